#!/usr/bin/env python3
"""Every variable in .env.example is read by the product, and every variable
the product reads is in .env.example (docs/deploy.md).

"Read by the product" means, in the shipped code (tests excluded):
- C (lib/, server/): a string literal naming a variable passed to a function
  whose name contains "env" (getenv, env_dup, env_int, ...), in a connector's
  environment table ({"NAME", MON__ENV_...}), or in the initializer of a
  variable whose name contains "env" (a table of names handed to getenv);
- shell (server/monitorage-server, scripts/*): ${NAME...} or $NAME;
- Python (bindings/python/monitorage/): os.environ.get("NAME") / os.environ["NAME"];
- docker-compose.yml: ${NAME...} interpolations (the DB_* variables are read
  there to build DATABASE_URL).
Environment (from CTest): MONITORAGE_SOURCE_DIR.
"""
import glob
import os
import re
import sys

SOURCE_DIR = os.environ.get("MONITORAGE_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
NAME = r"[A-Z][A-Z0-9_]*"

# Read by the code but deliberately absent from .env.example, with the reason.
NOT_PRODUCT_SETTINGS = {
    "BASH_SOURCE": "bash's own variable (the launcher finds its directory)",
    "TMPDIR": "the system's temporary directory (the launcher's run directory)",
    "PG_PRIVATE_OPTS": "test-only: scripts/pg-private, extra server options of a throwaway cluster",
    "PG_PRIVATE_DURABLE": "test-only: scripts/pg-private, fsync on for benchmarks",
    "MONITORAGE_QUICKSTART_BUILD": "developer tooling: scripts/quickstart's build tree",
    "MONITORAGE_SKIP_INSTALL": "developer tooling: scripts/quickstart skips apt-get",
    "MONITORAGE_KORE_PRELOAD": "test-only: the sanitizer build's server suites preload ASan into kore",
}
# In .env.example but read by nothing in this build, with the reason.
NOT_READ_HERE = {}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def c_reads(text):
    names = set()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for m in re.finditer(r"\b\w*env\w*\s*\(([^;{}]*?)\)", text):
        names.update(re.findall(r'"(%s)"' % NAME, m.group(1)))
    names.update(re.findall(r'\{\s*"(%s)"\s*,\s*MON__ENV_' % NAME, text))
    for m in re.finditer(r"\b\w*env\w*\s*(?:\[\w*\])*\s*=\s*(\{[^;]*?\}|\"[^\"]*\")\s*;", text):
        names.update(re.findall(r'"(%s)"' % NAME, m.group(1)))
    return names


def shell_reads(text):
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = re.sub(r"'[^'\n]*'", "''", text)  # no expansion inside single quotes
    return set(re.findall(r"\$\{(%s)" % NAME, text)) | set(re.findall(r"\$(%s)" % NAME, text))


def python_reads(text):
    return set(re.findall(r"""os\.environ(?:\.get\(|\[)\s*["'](%s)["']""" % NAME, text))


def product_reads():
    found = {}

    def add(names, where):
        for n in names:
            found.setdefault(n, set()).add(os.path.relpath(where, SOURCE_DIR))

    for path in glob.glob(os.path.join(SOURCE_DIR, "lib", "**", "*.c"), recursive=True) + \
            glob.glob(os.path.join(SOURCE_DIR, "server", "**", "*.c"), recursive=True):
        add(c_reads(read(path)), path)
    shell = [os.path.join(SOURCE_DIR, "server", "monitorage-server")] + \
        [p for p in glob.glob(os.path.join(SOURCE_DIR, "scripts", "*")) if os.path.isfile(p)]
    for path in shell:
        text = read(path)
        if text.startswith("#!") and "sh" in text.splitlines()[0]:
            add(shell_reads(text), path)
    for path in glob.glob(os.path.join(SOURCE_DIR, "bindings", "python", "monitorage", "*.py")):
        add(python_reads(read(path)), path)
    compose = os.path.join(SOURCE_DIR, "docker-compose.yml")
    add(set(re.findall(r"\$\{(%s)" % NAME, read(compose))), compose)
    return found


def env_example():
    names = []
    for line in read(os.path.join(SOURCE_DIR, ".env.example")).splitlines():
        m = re.match(r"^(?:# )?(%s)=" % NAME, line)
        if m:
            names.append(m.group(1))
    return names


def main():
    documented = env_example()
    reads = product_reads()
    problems = []

    def where(name):
        return ", ".join(sorted(reads[name]))
    duplicates = sorted({n for n in documented if documented.count(n) > 1})
    if duplicates:
        problems.append("listed twice in .env.example: " + ", ".join(duplicates))
    for name in sorted(set(documented)):
        if name not in reads and name not in NOT_READ_HERE:
            problems.append("%s is in .env.example but nothing reads it" % name)
        if name in NOT_READ_HERE and name in reads:
            problems.append("%s is read now (%s): drop it from NOT_READ_HERE" % (name, where(name)))
    for name in sorted(reads):
        if name not in documented and name not in NOT_PRODUCT_SETTINGS:
            problems.append("%s is read by %s but missing from .env.example" % (name, where(name)))
    # The extraction itself must keep working: these are known readers.
    for name, path in (("DATABASE_URL", "server/main.c"), ("MONITORAGE_DRAIN_TIMEOUT_MS", "server/checkd.c"),
                       ("MONITORAGE_ROLE_ADMIN", "server/auth.c"), ("JIRA_BOARD_ID", "lib/connectors/jira.c"),
                       ("PORT", "server/monitorage-server"), ("MONITORAGE_BACKUP_DIR", "scripts/backup")):
        if path not in reads.get(name, ()):
            problems.append("extraction broken: %s not found read in %s" % (name, path))
    print("%d variables in .env.example, %d read by the product" % (len(set(documented)), len(reads)))
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
