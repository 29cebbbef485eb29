#!/usr/bin/env python3
"""Zero-downtime rolling restart of the checker (docs/deploy.md): two
monitorage-checkd replicas check 20 endpoints every 10 s against a loopback
target; replica A is stopped with SIGTERM and started again, then replica B.
Every endpoint's history must show no missed interval and no double check
(each gap between consecutive checks within 0.5..1.5 intervals), across a
window that covers both restarts; each SIGTERM must end its replica with exit
status 0 within the stop grace period (10 s), and both first replicas must
have done checks (the work is shared).

Exit 77 without the private PostgreSQL or the programs. Environment (from
CTest): MONITORAGE_TEST_PG_DIR, MONITORAGE_SOURCE_DIR, MONITORAGE_BINARY_DIR.
"""
import os
import re
import signal
import subprocess
import sys
import time

SOURCE_DIR = os.environ.get("MONITORAGE_SOURCE_DIR", "")
BINARY_DIR = os.environ.get("MONITORAGE_BINARY_DIR", "")
PG_DIR = os.environ.get("MONITORAGE_TEST_PG_DIR", "")
CHECKD = os.path.join(BINARY_DIR, "server", "monitorage-checkd")
CTL = os.path.join(BINARY_DIR, "server", "ctl", "monitoragectl")
TARGETS = os.path.join(SOURCE_DIR, "tests", "stubs", "targets.py")
ENDPOINTS, INTERVAL_S, STOP_GRACE_S = 20, 10, 10


def run(argv, env=None):
    out = subprocess.run(argv, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise AssertionError("%s failed: %s%s" % (argv[:3], out.stdout, out.stderr))
    return out.stdout.strip()


def fresh_database(name):
    with open(os.path.join(PG_DIR, "port"), encoding="utf-8") as f:
        port = f.read().strip()
    psql = ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres", "-c"]
    run(psql + ["DROP DATABASE IF EXISTS " + name])
    run(psql + ["CREATE DATABASE " + name])
    return "postgresql://postgres@127.0.0.1:%s/%s?gssencmode=disable" % (port, name)


class Replica:
    def __init__(self, name, url):
        self.name = name
        env = dict(os.environ, DATABASE_URL=url, MONITORAGE_REPLICA_ID=name,
                   MONITORAGE_DRAIN_TIMEOUT_MS="5000")
        self.proc = subprocess.Popen([CHECKD], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stderr.readline()
        if "replica %s started" % name not in line:
            raise AssertionError("replica %s did not start: %s" % (name, line))

    def stop(self):
        """SIGTERM; returns the number of checks the replica reports."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("replica %s still running %d s after SIGTERM" % (self.name, STOP_GRACE_S))
        took = time.monotonic() - began
        print("replica %s: exit %d, %.2f s after SIGTERM" % (self.name, self.proc.returncode, took))
        if self.proc.returncode != 0:
            raise AssertionError("replica %s exited %d: %s" % (self.name, self.proc.returncode, err))
        m = re.search(r"stopped: (\d+) checks", err)
        if not m:
            raise AssertionError("replica %s: no stop summary: %s" % (self.name, err))
        return int(m.group(1))


def main():
    if not PG_DIR or not os.path.exists(os.path.join(PG_DIR, "port")):
        print("skipped: private PostgreSQL not running")
        return 77
    if not os.path.exists(CHECKD) or not os.path.exists(CTL):
        print("skipped: monitorage-checkd or monitoragectl not built")
        return 77
    url = fresh_database("deploy_rolling")
    env = dict(os.environ, DATABASE_URL=url)
    run([CTL, "migrate"], env=env)
    target = subprocess.Popen([sys.executable, TARGETS], stdout=subprocess.PIPE, text=True)
    replicas = []
    try:
        port = int(target.stdout.readline().split()[1])
        for i in range(ENDPOINTS):
            run([CTL, "endpoint", "add", "--name", "rolling-%02d" % i,
                 "--url", "http://127.0.0.1:%d/ok" % port, "--interval", str(INTERVAL_S),
                 "--timeout", "2000"], env=env)
        replicas = [Replica("a1", url), Replica("b1", url)]
        time.sleep(2 * INTERVAL_S + 2)
        restart_began = time.time()
        a_checks = replicas[0].stop()
        replicas[0] = Replica("a2", url)
        time.sleep(INTERVAL_S / 2)
        b_checks = replicas[1].stop()
        replicas[1] = Replica("b2", url)
        restart_ended = time.time()
        print("rolling restart took %.1f s; first replicas did %d and %d checks" %
              (restart_ended - restart_began, a_checks, b_checks))
        if a_checks == 0 or b_checks == 0:
            raise AssertionError("the work was not shared: %d / %d checks" % (a_checks, b_checks))
        time.sleep(2 * INTERVAL_S + 2)
        for r in replicas:
            r.stop()
        replicas = []
        end = time.time()

        rows = run(["psql", "-X", "-q", "-t", "-A", "-F", " ", "-d", url, "-c",
                    "SELECT e.name, extract(epoch FROM h.checked_at) FROM health_history h "
                    "JOIN endpoints e ON e.id = h.endpoint_id ORDER BY 1, 2"])
        history = {}
        for line in rows.splitlines():
            name, at = line.split()
            history.setdefault(name, []).append(float(at))
        if len(history) != ENDPOINTS:
            raise AssertionError("only %d endpoints checked" % len(history))
        worst_gap, total = 0.0, 0
        for name, times in sorted(history.items()):
            total += len(times)
            if times[0] > restart_began - INTERVAL_S or times[-1] < end - 1.5 * INTERVAL_S:
                raise AssertionError("%s: checks do not cover the restarts (%.1f .. %.1f)"
                                     % (name, times[0], times[-1]))
            for before, after in zip(times, times[1:]):
                gap = after - before
                worst_gap = max(worst_gap, gap)
                if not 0.5 * INTERVAL_S <= gap <= 1.5 * INTERVAL_S:
                    raise AssertionError("%s: %.1f s between checks at %.1f (interval %d s)"
                                         % (name, gap, before, INTERVAL_S))
        print("%d checks on %d endpoints; longest gap %.2f s for an interval of %d s: no interval missed"
              % (total, ENDPOINTS, worst_gap, INTERVAL_S))
        return 0
    finally:
        for r in replicas:
            r.proc.kill()
            r.proc.wait()
        target.kill()
        target.wait()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAIL:", e)
        sys.exit(1)
