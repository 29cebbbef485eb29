#!/usr/bin/env python3
"""Every route (and method) that the server's Kore configuration serves is
documented in docs/openapi.yaml, and the reference documents nothing else.

usage: test_openapi.py server/monitorage.conf.in docs/openapi.yaml
(Standard library only: the YAML's path and method lines are read with the
indentation the file uses, two spaces a level.)"""
import re
import sys

PARAM_RE = re.compile(r"\([^)]*\)")
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def served(conf_path):
    routes, methods = {}, {}
    for line in open(conf_path):
        words = line.split()
        if len(words) >= 3 and words[0] == "route":
            path = words[1]
            if path == "^/":
                continue  # the JSON 404 for everything else
            template = PARAM_RE.sub("{id}", path).lstrip("^").rstrip("$")
            routes[path] = template
        elif len(words) >= 3 and words[0] == "restrict":
            methods[words[1]] = {m.lower() for m in words[2:]}
    result = set()
    for path, template in routes.items():
        if path not in methods:
            sys.exit("route %s has no restrict line: every route must list its methods" % path)
        result |= {(template, m) for m in methods[path]}
    return result


def documented(yaml_path):
    result, in_paths, current = set(), False, None
    for line in open(yaml_path):
        if re.match(r"^\S", line):
            in_paths = line.startswith("paths:")
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            current = re.sub(r"\{[^}]*\}", "{id}", m.group(1))  # the config's groups have no names
            continue
        m = re.match(r"^    (\w+):\s*$", line)
        if m and current and m.group(1) in METHODS:
            result.add((current, m.group(1)))
    return result


def main():
    conf, yaml = sys.argv[1], sys.argv[2]
    have, doc = served(conf), documented(yaml)
    missing, extra = sorted(have - doc), sorted(doc - have)
    for path, method in missing:
        print("served but not in openapi.yaml: %s %s" % (method.upper(), path))
    for path, method in extra:
        print("in openapi.yaml but not served: %s %s" % (method.upper(), path))
    if missing or extra or not have:
        sys.exit(1)
    print("%d operations served and documented" % len(have))


if __name__ == "__main__":
    main()
