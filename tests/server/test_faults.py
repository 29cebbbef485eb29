#!/usr/bin/env python3
"""Faults, end to end (docs/reliability.md#faults): PostgreSQL killed during API
writes, while idle and during checking, a checker replica SIGKILLed, the JWKS
endpoint hanging and gone, a check target and a connector upstream that hang.
Runs the real server and monitorage-checkd against a PostgreSQL cluster of its
own (scripts/pg-private) that it kills and restarts, so the shared fixture
cluster is never disturbed. Each test prints its figures as "FIGURE <name>:
<value>" lines (kept in the CTest log)."""
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness
import test_connectors as connector_suite
from harness import (SERVER_DIR, SOURCE_DIR, Server, ServerTestCase, Stub, die_with_parent, jwk_of, main,
                     psql, sign)

CHECKD = os.path.join(SERVER_DIR, "monitorage-checkd")
CTL = os.path.join(SERVER_DIR, "ctl", "monitoragectl")
PG_PRIVATE = os.path.join(SOURCE_DIR, "scripts", "pg-private")
FINISHED = "checked_at + latency_ms * interval '1 ms'"  # when a history row's check ended


def figure(name, value):
    print("FIGURE %s: %s" % (name, value), flush=True)


def timed_get(port, path, token=None):
    """GET path from the server on port: (status, JSON body, seconds)."""
    h = {"Authorization": "Bearer " + token} if token else {}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.time()
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, json.loads(body or b"null"), time.time() - start


def pg_bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             check=True).stdout.strip()
        if os.access(os.path.join(out, "pg_ctl"), os.X_OK):
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]


class Cluster:
    """A PostgreSQL cluster of this suite's own (scripts/pg-private) under `parent`.

    fsync is off as in every test cluster, but synchronous_commit is on: a commit
    is acknowledged once its WAL is in the kernel, which is what survives a
    killed server (an immediate stop), the fault tested here."""

    def __init__(self, parent):
        self.dir = os.path.join(parent, "pg")
        env = dict(os.environ, PG_PRIVATE_OPTS="-c synchronous_commit=on")
        subprocess.run([PG_PRIVATE, "start", self.dir], check=True, capture_output=True, env=env, timeout=120)
        with open(os.path.join(self.dir, "database_url")) as f:
            self.url = f.read().strip()
        self.pg_ctl_path = os.path.join(pg_bindir(), "pg_ctl")

    def pg_ctl(self, *args):
        cmd = [self.pg_ctl_path, "-D", os.path.join(self.dir, "data")] + list(args)
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def kill(self):
        """Every PostgreSQL process killed at once (no checkpoint: crash recovery at the next start)."""
        out = self.pg_ctl("stop", "-m", "immediate")
        assert out.returncode == 0, out.stderr

    def start(self):
        """Start again with the options of the last start (postmaster.opts), after a kill or a crash."""
        out = self.pg_ctl("restart", "-w", "-t", "60", "-l", os.path.join(self.dir, "server.log"))
        assert out.returncode == 0, out.stdout + out.stderr

    def running(self):
        return self.pg_ctl("status").returncode == 0

    def database(self, name):
        """A new database in the cluster with every migration applied; its URL."""
        psql(self.url, "CREATE DATABASE %s" % name)
        url = self.url.replace("/monitorage?", "/%s?" % name)
        subprocess.run([CTL, "migrate"], env=dict(os.environ, DATABASE_URL=url), check=True,
                       capture_output=True)
        return url

    def stop(self):
        subprocess.run([PG_PRIVATE, "stop", self.dir], capture_output=True, timeout=120)


class Targets:
    """tests/stubs/targets.py: the check targets (/ok, /slow?ms=N, /hang...)."""

    def __init__(self):
        path = os.path.join(SOURCE_DIR, "tests", "stubs", "targets.py")
        self.proc = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, text=True,
                                     preexec_fn=die_with_parent)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "PORT", "targets stub did not start"
        self.port = int(line[1])

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Checkd:
    """server/monitorage-checkd as a process; stderr kept for its closing counters."""

    def __init__(self, url, replica, **env_extra):
        self.err = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ, DATABASE_URL=url, MONITORAGE_REPLICA_ID=replica, MONITORAGE_MIGRATE="1")
        env.update({k: str(v) for k, v in env_extra.items()})
        self.proc = subprocess.Popen([CHECKD], env=env, stdout=subprocess.DEVNULL, stderr=self.err,
                                     preexec_fn=die_with_parent)

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self, timeout=30):
        """SIGTERM; its exit code and closing counters {checks, written, unwritten, dropped}."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        text = self.stderr()
        m = re.search(r"stopped: (\d+) checks, (\d+) results written, (\d+) unwritten, (\d+) dropped", text)
        assert m, text
        return code, dict(zip(("checks", "written", "unwritten", "dropped"), map(int, m.groups()))), text

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)


def add_endpoints(url, count, prefix, target, interval, timeout_ms):
    psql(url, "INSERT INTO endpoints (name, type, url, check_interval, timeout, retries) "
              "SELECT '%s-' || i, 'APIM', '%s', %d, %d, 0 FROM generate_series(1, %d) i"
         % (prefix, target, interval, timeout_ms, count))


def count(url, sql):
    return int(psql(url, sql))


class PrivateClusterCase(ServerTestCase):
    """Server tests against a Cluster of their own, with the check targets stub. The cluster lives
    in the directory make_storage() returns; release_storage() gives that directory back."""

    @classmethod
    def make_storage(cls):
        raise NotImplementedError

    @classmethod
    def release_storage(cls):
        raise NotImplementedError

    @classmethod
    def cluster_dir(cls):
        return cls.cluster.dir

    @classmethod
    def setUpClass(cls):
        cls.storage = cls.make_storage()
        cls.cluster = cls.targets = None
        try:
            cls.cluster = Cluster(cls.storage)
            cls.targets = Targets()
            super().setUpClass()
        except BaseException:
            cls.release_all()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if not cls.cluster.running():
                cls.cluster.start()
            super().tearDownClass()
        finally:
            cls.release_all()

    @classmethod
    def release_all(cls):
        if cls.targets:
            cls.targets.stop()
        if cls.cluster:
            cls.cluster.stop()
        cls.release_storage()


class Faults(PrivateClusterCase):
    DB_PREFIX = "faults"

    @classmethod
    def server_env(cls):
        return {"ENCRYPTION_KEY": connector_suite.ENCRYPTION_KEY}

    @classmethod
    def make_storage(cls):
        path = tempfile.mkdtemp(prefix="monitorage-faults-")
        os.chmod(path, 0o755)  # the postgres user must reach the cluster under it
        return path

    @classmethod
    def release_storage(cls):
        shutil.rmtree(cls.storage, ignore_errors=True)

    def setUp(self):
        if not self.cluster.running():
            self.cluster.start()
        # After a restart the worker's old connection fails once (503) before it reconnects.
        deadline = time.time() + 10
        while self.call("GET", "/ready")[0] != 200 and time.time() < deadline:
            time.sleep(0.1)

    def admin(self):
        return self.token(oid="faults-admin")

    def server_errors(self):
        """The lines of the server's log that report an error (for failure messages)."""
        return "\n".join(line for line in self.server.output().splitlines()
                         if "MON_E" in line or "rror" in line)

    # -- PostgreSQL killed during API writes ---------------------------------------------
    def test_api_writes_survive_a_postgres_kill(self):
        token = self.admin()
        results = []  # (time, status, id or None, error code or None)
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                i += 1
                code, _, data = self.call("POST", "/api/v1/endpoints",
                                          self.endpoint_body(name="kill-write-%d" % i), token)
                ok = code == 201
                results.append((time.time(), code, data["id"] if ok else None,
                                None if ok else (data or {}).get("error", {}).get("code")))

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            time.sleep(1.5)
            killed = time.time()
            self.cluster.kill()
            time.sleep(3)
            self.cluster.start()
            up = time.time()
            deadline = up + 20
            while time.time() < deadline and not any(t > up and c == 201 for t, c, _, _ in results):
                time.sleep(0.05)
            time.sleep(1)
        finally:
            stop.set()
            thread.join(30)
        accepted = [r for r in results if r[1] == 201]
        refused = [r for r in results if r[1] != 201]
        self.assertTrue(any(t < killed for t, *_ in accepted), "writes accepted before the kill")
        recovered = [t for t, c, _, _ in results if t > up and c == 201]
        self.assertTrue(recovered, "writes accepted again after the restart, without restarting the server")
        self.assertTrue(refused, "writes refused during the outage")
        # Every refusal is a 503 with the error model; nothing else (no 500, no dropped connection).
        self.assertEqual({(c, e) for _, c, _, e in refused}, {(503, "database_unavailable")},
                         "%s\n%s" % (refused[:5], self.server_errors()))
        ids = set(psql(self.db, "SELECT id FROM endpoints WHERE name LIKE 'kill-write-%'").split())
        lost = [r for r in accepted if r[2] not in ids]
        self.assertEqual(lost, [], "every 201 is in the database")
        self.assertEqual(self.call("GET", "/ready")[0], 200)
        code, _, report = self.call("GET", "/api/v1/audit/verify", token=token)
        self.assertEqual((code, report["ok"]), (200, True), report)
        figure("api kill: writes accepted", len(accepted))
        figure("api kill: writes refused with 503", len(refused))
        figure("api kill: accepted writes lost", len(lost))
        figure("api kill: outage (kill to PostgreSQL ready) s", "%.1f" % (up - killed))
        figure("api kill: first accepted write after PostgreSQL ready s", "%.2f" % (min(recovered) - up))

    def test_reads_right_after_an_idle_restart_succeed(self):
        token = self.admin()
        ep = self.create(name="idle-restart")["id"]
        self.assertEqual(self.call("GET", "/api/v1/endpoints/" + ep, token=token)[0], 200)
        self.cluster.kill()
        self.cluster.start()
        # The worker's connection is dead but libpq does not know yet: a read is retried on a
        # new connection instead of failing once.
        for path in ("/api/v1/endpoints/" + ep, "/api/v1/status", "/api/v1/endpoints", "/ready"):
            code, _, data = self.call("GET", path, token=token)
            self.assertEqual(code, 200, "%s %s\n%s" % (path, data, self.server_errors()))

    # -- PostgreSQL killed while monitorage-checkd checks ---------------------------------
    def test_checker_results_made_while_postgres_is_down_are_written(self):
        url = self.cluster.database("checkd_kill")
        # 60 checks of 3 s every 10 s: about 18 in flight at any moment.
        add_endpoints(url, 60, "kill-check", self.targets.url("/slow?ms=3000"), 10, 5000)
        d = Checkd(url, "kill-check")
        try:
            time.sleep(6)
            before = count(url, "SELECT count(*) FROM health_history")
            killed = time.time()
            self.cluster.kill()
            time.sleep(6)
            self.cluster.start()
            up = time.time()
            flushed = None
            while time.time() < up + 40:
                if count(url, "SELECT count(*) FROM health_history WHERE %s > to_timestamp(%f)"
                         % (FINISHED, killed)) > 0:
                    flushed = time.time()
                    break
                time.sleep(0.1)
            time.sleep(3)
        finally:
            code, stats, text = d.stop()
        self.assertEqual(code, 0, text)
        rows = count(url, "SELECT count(*) FROM health_history")
        during = count(url, "SELECT count(*) FROM health_history WHERE %s BETWEEN to_timestamp(%f) "
                            "AND to_timestamp(%f)" % (FINISHED, killed, up))
        self.assertGreater(before, 0)
        self.assertIsNotNone(flushed, "the buffer was written after the restart")
        self.assertGreater(during, 5, "checks finished while the database was down")
        self.assertEqual((stats["unwritten"], stats["dropped"]), (0, 0), text)
        self.assertEqual(stats["written"], stats["checks"], text)
        self.assertEqual(rows, stats["written"], "every result produced is in health_history")
        self.assertIn("database failure", text)
        figure("checkd kill: results finished while PostgreSQL was down", during)
        figure("checkd kill: results produced / written / lost", "%d / %d / %d"
               % (stats["checks"], rows, stats["checks"] - rows))
        figure("checkd kill: outage s", "%.1f" % (up - killed))
        figure("checkd kill: buffer written s after PostgreSQL ready", "%.1f" % (flushed - up))

    # -- a checker replica SIGKILLed -------------------------------------------------------
    def test_sigkilled_replica_is_taken_over_when_its_leases_expire(self):
        url = self.cluster.database("checkd_sigkill")
        # Checks of 2 s, timeout 4 s, lease 4 s + 8 s margin = 12 s, longer than the 10 s slot:
        # the endpoints in flight on the dead replica wait for their lease, not their slot.
        add_endpoints(url, 40, "sigkill", self.targets.url("/slow?ms=2000"), 10, 4000)
        psql(url, "SELECT 1")
        a = Checkd(url, "replica-a", MONITORAGE_LEASE_MARGIN_MS=8000)
        b = Checkd(url, "replica-b", MONITORAGE_LEASE_MARGIN_MS=8000)
        try:
            deadline = time.time() + 15
            held_sql = ("SELECT count(*) FROM endpoint_schedule "
                        "WHERE lease_owner = 'replica-a' AND lease_until > now()")
            while time.time() < deadline and count(url, held_sql) < 3:
                time.sleep(0.05)
            a.kill()
            killed = time.time()
            psql(url, "CREATE TABLE dead AS SELECT endpoint_id, lease_until FROM endpoint_schedule "
                      "WHERE lease_owner = 'replica-a' AND lease_until > now()")
            held = count(url, "SELECT count(*) FROM dead")
            self.assertGreaterEqual(held, 3)
            last_lease = float(psql(url, "SELECT extract(epoch FROM max(lease_until)) FROM dead"))
            time.sleep(max(0.0, last_lease - time.time()) + 3)
        finally:
            code, stats, text = b.stop()
        self.assertEqual(code, 0, text)
        # Nobody checked them while the dead replica's lease held...
        self.assertEqual(count(url, "SELECT count(*) FROM health_history h JOIN dead d USING (endpoint_id) "
                                    "WHERE h.checked_at > to_timestamp(%f) AND h.checked_at < d.lease_until"
                               % killed), 0)
        # ...and the survivor checked every one of them right after it expired.
        gaps = psql(url, "SELECT extract(epoch FROM min(h.checked_at) - d.lease_until) FROM dead d "
                         "LEFT JOIN health_history h "
                         "ON h.endpoint_id = d.endpoint_id AND h.checked_at >= d.lease_until "
                         "GROUP BY d.endpoint_id, d.lease_until").split()
        self.assertEqual(len(gaps), held)
        self.assertNotIn("", gaps, "every endpoint of the dead replica checked after its lease")
        gaps = sorted(float(g) for g in gaps)
        self.assertLess(gaps[-1], 2.0, gaps)
        lease = float(psql(url, "SELECT extract(epoch FROM max(lease_until)) FROM dead")) - killed
        figure("sigkill: endpoints in flight on the killed replica", held)
        figure("sigkill: lease left at the kill, at most s", "%.1f" % lease)
        figure("sigkill: takeover after lease expiry, median / max s", "%.2f / %.2f"
               % (gaps[len(gaps) // 2], gaps[-1]))

    # -- the JWKS endpoint down ------------------------------------------------------------
    def jwks_server(self, stub):
        """A server of its own whose JWKS is the stub's (loaded with kA)."""
        stub.serve([jwk_of(self.key_a, "kA")])
        server = Server({"DATABASE_URL": self.db, "OIDC_ISSUER": harness.ISSUER,
                         "OIDC_JWKS_URL": "http://127.0.0.1:%d/keys" % stub.port,
                         "OIDC_AUDIENCE": harness.AUDIENCE})
        # /health answers before the worker's start-up fetch has finished (slower under ASan):
        # a fault injected before then would hit that fetch, and kA would never be cached.
        deadline = time.time() + 30
        while "signing key(s) loaded" not in server.output():
            if time.time() > deadline:
                server.stop()
                raise AssertionError("the start-up JWKS fetch did not finish:\n" + server.output())
            time.sleep(0.05)
        return server

    def test_jwks_down_cached_keys_work_and_new_kids_are_refused(self):
        stub = Stub()
        server = self.jwks_server(stub)
        try:
            def get(path, token=None):
                return timed_get(server.port, path, token)

            # The keys server hangs: a token under the cached kid is verified without it...
            stub.call("POST", "/__control", {"mode": "hang", "seconds": 20})
            code, _, _ = get("/api/v1/me", sign(self.claims(oid="cached-1"), self.key_a, "kA"))
            self.assertEqual(code, 200)
            # ...two requests under a new kid wait for one shared refetch, which runs off the
            # event loop: meanwhile the worker answers /health and cached keys at once...
            waiting = []
            new_kid = [threading.Thread(target=lambda oid=oid: waiting.append(
                get("/api/v1/me", sign(self.claims(oid=oid), self.key_b, "kB"))))
                for oid in ("new-1", "new-1b")]
            for t in new_kid:
                t.start()
            time.sleep(0.5)
            code, _, health = get("/health")
            self.assertEqual(code, 200)
            self.assertLess(health, 0.5)
            code, _, cached = get("/api/v1/me", sign(self.claims(oid="cached-1b"), self.key_a, "kA"))
            self.assertEqual(code, 200)
            self.assertLess(cached, 0.5)
            self.assertEqual(len(waiting), 0, "the new-kid requests wait for the refetch")
            self.assertEqual(stub.fetches(), 1, "waiting requests share one refetch")
            # ...which gives up at the 5 s fetch timeout: 401 naming the unavailable keys.
            for t in new_kid:
                t.join()
            self.assertEqual(len(waiting), 2)
            for code, data, took in waiting:
                self.assertEqual(code, 401)
                self.assertIn("unknown key", data["error"]["message"])
                self.assertIn("keys are unavailable", data["error"]["message"])
                self.assertGreater(took, 4.0)
                self.assertLess(took, 7.0)
            self.assertEqual(stub.fetches(), 1)
            # The keys server is gone (connection refused): cached keys still work, the new kid is
            # refused at once (one refetch a minute at most).
            stub.stop()
            code, _, fast = get("/api/v1/me", sign(self.claims(oid="cached-2"), self.key_a, "kA"))
            self.assertEqual(code, 200)
            code, _, refused = get("/api/v1/me", sign(self.claims(oid="new-2"), self.key_b, "kB"))
            self.assertEqual(code, 401)
            self.assertLess(refused, 1.0)
            self.assertIn("JWKS fetch", server.output())
            figure("jwks hang: new kid refused after s", "%.2f" % max(w[2] for w in waiting))
            figure("jwks hang: during the refetch /health, cached kid answered after s (one worker)",
                   "%.3f, %.3f" % (health, cached))
            figure("jwks down: cached kid accepted in s, new kid refused in s",
                   "%.3f, %.3f" % (fast, refused))
        finally:
            server.stop()
            stub.stop()

    def test_jwks_slow_new_kid_waits_for_one_refetch_while_others_are_served(self):
        stub = Stub()
        server = self.jwks_server(stub)
        try:
            # The issuer publishes kB, but its keys server takes 2 s to answer: three requests
            # under kB wait for one refetch off the event loop, then are accepted...
            stub.call("POST", "/__control", {"mode": "slow", "seconds": 2, "jwks": {
                "keys": [jwk_of(self.key_a, "kA"), jwk_of(self.key_b, "kB")]}})
            waiting = []
            new_kid = [threading.Thread(target=lambda oid=oid: waiting.append(timed_get(
                server.port, "/api/v1/me", sign(self.claims(oid=oid), self.key_b, "kB"))))
                for oid in ("slow-1", "slow-2", "slow-3")]
            for t in new_kid:
                t.start()
            time.sleep(0.3)
            # ...while /health and a token under the cached kA are answered at once.
            code, _, health = timed_get(server.port, "/health")
            self.assertEqual(code, 200)
            self.assertLess(health, 0.5)
            code, _, cached = timed_get(server.port, "/api/v1/me",
                                        sign(self.claims(oid="slow-cached"), self.key_a, "kA"))
            self.assertEqual(code, 200)
            self.assertLess(cached, 0.5)
            for t in new_kid:
                t.join()
            self.assertEqual(sorted((code, data["id"]) for code, data, _ in waiting),
                             [(200, "slow-1"), (200, "slow-2"), (200, "slow-3")])
            for _, _, took in waiting:
                self.assertGreater(took, 1.5)
                self.assertLess(took, 4.0)
            self.assertEqual(stub.fetches(), 1, "the waiting requests shared one refetch")
            figure("jwks slow (2 s): new kid accepted after s, /health and cached kid meanwhile s",
                   "%.2f, %.3f, %.3f" % (max(w[2] for w in waiting), health, cached))
        finally:
            server.stop()
            stub.stop()

    # -- a check target or a connector upstream that hangs ----------------------------------
    def calls_while_probing(self, calls, reads, seconds=3):
        """Run the (method, path, body) calls at once while reading the paths in a loop for `seconds`;
        the calls' (status, body, seconds) and the reads' (path, status, seconds)."""
        token, operator = self.admin(), self.token(roles=["Monitorage.Operator"], oid="faults-operator")
        results, probes = [], []

        def one(method, path, body):
            start = time.time()
            code, _, data = self.call(method, path, body, token=operator)
            results.append((code, data, time.time() - start))

        threads = [threading.Thread(target=one, args=c) for c in calls]
        for t in threads:
            t.start()
        end = time.time() + seconds
        while time.time() < end:
            for path in reads:
                start = time.time()
                code = self.call("GET", path, token=token)[0]
                probes.append((path, code, time.time() - start))
            time.sleep(0.05)
        for t in threads:
            t.join(30)
        return results, probes

    def test_hanging_connector_upstream_times_out_and_the_server_stays_responsive(self):
        stub = connector_suite.TalendStub()
        try:
            body = {"base_url": "http://127.0.0.1:%d" % stub.port, "options": {"timeout_ms": 1500},
                    "credentials": {"token": connector_suite.TOKEN}, "enabled": True}
            code, _, data = self.call("PUT", "/api/v1/connectors/TALEND", body, self.admin())
            self.assertEqual(code, 200, data)
            stub.scenario(mode="hang", seconds=15)
            ep = self.create(name="connector-hang-read")["id"]
            # A connection test and two actions at once, each on a task thread.
            calls = [("POST", "/api/v1/connectors/TALEND/test", None)] + \
                [("POST", "/api/v1/connectors/TALEND/actions/list_tasks", {})] * 2
            results, probes = self.calls_while_probing(
                calls, ("/health", "/api/v1/status", "/api/v1/endpoints/" + ep, "/api/v1/connectors/TALEND"))
        finally:
            stub.stop()
        self.assertEqual(len(results), 3)
        for code, data, took in results:
            self.assertEqual((code, data["error"]["code"]), (504, "upstream_timeout"),
                             "%s\n%s" % (data, self.server_errors()))
            self.assertLess(took, 6.0)
        self.assertEqual({c for _, c, _ in probes}, {200}, probes)
        slowest = max(t for _, _, t in probes)
        self.assertLess(slowest, 1.0, probes)
        figure("hanging connector: test + 2 actions (timeout 1.5 s) answered 504 after s, max",
               "%.2f" % max(t for _, _, t in results))
        figure("hanging connector: reads during the hang, count / slowest s",
               "%d / %.3f" % (len(probes), slowest))

    def test_hanging_check_target_times_out_and_the_server_stays_responsive(self):
        hangs = [self.create(name="hang-%d" % i, url=self.targets.url("/hang"), timeout=2000, retries=0)["id"]
                 for i in range(4)]
        # Four hanging checks at once, each on a task thread.
        results, probes = self.calls_while_probing(
            [("POST", "/api/v1/endpoints/%s/check" % ep, None) for ep in hangs],
            ("/health", "/api/v1/status", "/api/v1/endpoints/" + hangs[0]))
        self.assertEqual(len(results), 4)
        for code, data, took in results:
            self.assertEqual(code, 200, "%s\n%s" % (data, self.server_errors()))
            self.assertEqual(data["status"], "DOWN", data)
            self.assertIn("tim", data["error_message"].lower())
            self.assertLess(took, 6.0)
        self.assertEqual({c for _, c, _ in probes}, {200}, "%s\n%s" % (probes, self.server_errors()))
        slowest = max(t for _, _, t in probes)
        self.assertLess(slowest, 1.0, probes)
        figure("hanging target: check-now answered (timeout 2 s, 4 at once) after s, max",
               "%.2f" % max(t for _, _, t in results))
        figure("hanging target: reads during the hang, count / slowest s",
               "%d / %.3f" % (len(probes), slowest))


if __name__ == "__main__":
    main()
