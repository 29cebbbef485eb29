"""Shared by the tests/cli suites: a fresh database in the private PostgreSQL of
the run (psql), loopback stub servers, and running programs with a clean environment."""
import ctypes
import os
import signal
import subprocess
import sys
import unittest

SOURCE = os.environ.get("MONITORAGE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
STUBS = os.path.join(SOURCE, "tests", "stubs")
KEY_A = "0123456789abcdef" * 4
KEY_B = "fedcba9876543210" * 4


def psql(url, sql):
    out = subprocess.run(["psql", url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def cluster_url():
    directory = os.environ.get("MONITORAGE_TEST_PG_DIR")
    path = os.path.join(directory or "", "database_url")
    if not directory or not os.path.exists(path):
        print("no private PostgreSQL (run through ctest)", file=sys.stderr)
        sys.exit(77)
    with open(path) as file:
        return file.readline().strip()


def fresh_database(name):
    """(Re)create database t_cli_<name>_<pid>; returns (url, drop function)."""
    cluster = cluster_url()
    database = "t_cli_%s_%d" % (name, os.getpid())
    psql(cluster, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % database)
    psql(cluster, "CREATE DATABASE %s" % database)
    url = cluster.replace("@/monitorage?", "@/%s?" % database, 1)
    assert url != cluster, "unexpected cluster URL shape"
    return url, lambda: psql(cluster, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % database)


def _die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Stub:
    """A stub from tests/stubs started as a child (killed if the test dies, so it never holds
    CTest's output pipe); .url is its http://127.0.0.1:port."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen([sys.executable, os.path.join(STUBS, script)] + list(args),
                                     stdout=subprocess.PIPE, text=True, cwd=STUBS,
                                     preexec_fn=_die_with_parent)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "PORT", "stub %s did not start" % script
        self.url = "http://127.0.0.1:%s" % line[1]

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def run(argv, env=None, stdin=None, timeout=120):
    """Run argv with only the variables given (plus PATH, HOME and the sanitizer options)."""
    base = {k: v for k, v in os.environ.items()
            if k in ("PATH", "HOME", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LD_PRELOAD", "LANG")}
    base.update(env or {})
    return subprocess.run(argv, env=base, input=stdin, capture_output=True, text=True, timeout=timeout)


def main():
    unittest.main(verbosity=2)
