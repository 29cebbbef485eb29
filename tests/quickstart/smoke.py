#!/usr/bin/env python3
"""quickstart_smoke: `scripts/quickstart --smoke` against this build tree
(MONITORAGE_QUICKSTART_BUILD), its exit status being the test's.

In a sanitizer build the programs it starts (monitoragectl, monitorage-checkd,
kore with the runtimes preloaded by the launcher) write their reports under
MONITORAGE_SANITIZER_REPORTS: any report fails the test
(tests/support/sanitizer_reports.py).
"""
import os
import subprocess
import sys

SOURCE_DIR = os.environ["MONITORAGE_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "support"))
import sanitizer_reports  # noqa: E402

if __name__ == "__main__":
    sanitizer_reports.clear()
    status = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "quickstart"), "--smoke"]).returncode
    if status:
        print("scripts/quickstart --smoke: exit status %d" % status, file=sys.stderr)
    sys.exit(sanitizer_reports.exit_status(status == 0))
