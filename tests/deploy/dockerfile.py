"""A small reader for the project's Dockerfile (the subset it uses): stages,
instructions with line continuations joined, apt-get package lists, COPY
--from lines, ENV, USER, HEALTHCHECK and ENTRYPOINT. Shared by the deploy
tests; standard library only."""
import json
import re
import shlex


def read(path):
    """Return {stage name: [(instruction, arguments)]} in file order."""
    stages, current = {}, None
    logical = ""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    joined = []
    for line in lines:
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        joined.append(logical + line)
        logical = ""
    for line in joined:
        word, _, rest = line.strip().partition(" ")
        word = word.upper()
        rest = rest.strip()
        if word == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            if not m:
                raise ValueError("bad FROM line: " + line)
            current = m.group(2) or m.group(1)
            stages[current] = [("FROM", m.group(1))]
        elif current is None:
            raise ValueError("instruction before FROM: " + line)
        else:
            stages[current].append((word, rest))
    return stages


def base_of(stages, name):
    return stages[name][0][1]


def chain(stages, name):
    """The stage and the stages it is built FROM, base first."""
    out = []
    while name in stages:
        out.insert(0, name)
        name = base_of(stages, name)
    return out


def instructions(stages, name, word):
    """Arguments of every `word` instruction of the stage and its parents."""
    return [rest for stage in chain(stages, name) for w, rest in stages[stage] if w == word]


def apt_packages(stages, name):
    """Packages named by `apt-get install` in the stage's RUN lines."""
    packages = []
    for run in instructions(stages, name, "RUN"):
        for command in run.split("&&"):
            words = shlex.split(command)
            if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
                packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def env(stages, name):
    """ENV of the stage and its parents (KEY=VALUE form only)."""
    out = {}
    for rest in instructions(stages, name, "ENV"):
        for item in shlex.split(rest):
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError("ENV must use KEY=VALUE: " + rest)
            out[key] = value
    return out


def copies_from(stages, name, source_stage):
    """(sources, destination) of each COPY --from=source_stage."""
    out = []
    for rest in instructions(stages, name, "COPY"):
        words = shlex.split(rest)
        if words and words[0] == "--from=" + source_stage:
            out.append((words[1:-1], words[-1]))
    return out


def exec_form(stages, name, word):
    """The last `word` (ENTRYPOINT, CMD) in JSON exec form, as a list."""
    found = instructions(stages, name, word)
    return json.loads(found[-1]) if found else None


def healthcheck(stages, name):
    """(options dict, shell command) of the stage's last HEALTHCHECK, or None."""
    found = instructions(stages, name, "HEALTHCHECK")
    if not found or found[-1].upper() == "NONE":
        return None
    options, _, command = found[-1].partition(" CMD ")
    opts = dict(o.lstrip("-").split("=", 1) for o in options.split())
    return opts, command.strip()
