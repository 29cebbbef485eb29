#!/usr/bin/env bash
# Fails if the shared library exports anything but public mon_* functions, or
# if its exported symbols differ from the committed list (tests/abi/exports.txt;
# regenerate it with scripts/update-exports after a deliberate API change).
set -euo pipefail
library=$1 expected=$2
actual=$(nm -D --defined-only "$library" | awk '{print $3}' | sed 's/@.*//' | sort -u)
bad=$(echo "$actual" | grep -v '^mon_' | grep -v '^MON_1$' || true)
private=$(echo "$actual" | grep '^mon__' || true)
status=0
if [ -n "$bad" ]; then
    echo "exported symbols outside the mon_ prefix:"; echo "$bad"; status=1
fi
if [ -n "$private" ]; then
    echo "private mon__ symbols exported:"; echo "$private"; status=1
fi
if [ -f "$expected" ]; then
    if ! diff <(grep -v '^#' "$expected") <(echo "$actual" | grep -v '^MON_1$'); then
        echo "exported symbols differ from $expected (< committed, > built)"; status=1
    fi
fi
count=$(echo "$actual" | grep -c '^mon_' || true)
echo "$count exported mon_ symbols checked"
exit $status
