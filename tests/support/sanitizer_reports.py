"""Sanitizer report files of one test run (standard library only).

In a sanitizer build a test that runs the product's programs gets
MONITORAGE_SANITIZER_REPORTS, the directory ASAN_OPTIONS' and UBSAN_OPTIONS'
log_path write into (monitorage_server_test_env() in tests/server/CMakeLists.txt):
the test empties it first, and any file in it afterwards fails the test.
Elsewhere DIRECTORY is empty and both calls do nothing.
"""
import os
import sys

DIRECTORY = os.environ.get("MONITORAGE_SANITIZER_REPORTS", "")


def clear():
    """Create or empty the report directory, before the run."""
    if DIRECTORY:
        os.makedirs(DIRECTORY, exist_ok=True)
        for name in os.listdir(DIRECTORY):
            os.unlink(os.path.join(DIRECTORY, name))


def exit_status(ok):
    """The run's exit status: 0 when ok and no report was written; prints every report to stderr."""
    reports = []
    if DIRECTORY and os.path.isdir(DIRECTORY):
        for name in sorted(os.listdir(DIRECTORY)):
            with open(os.path.join(DIRECTORY, name), errors="replace") as f:
                reports.append("== %s\n%s" % (name, f.read()))
    if reports:
        print("sanitizer reports in %s:\n%s" % (DIRECTORY, "\n".join(reports)), file=sys.stderr)
    return 0 if ok and not reports else 1
