#!/usr/bin/env python3
"""Load and soak of the REST server, run by `scripts/bench load` (not a test).

usage: load_bench.py DATABASE_URL SERVER_DIR [seconds=60] [connections=256] [soak_seconds=60]

1. Reads: wrk (--latency) at `connections` connections for `seconds` each against
   GET /health, GET /api/v1/status (1,000 endpoints) and GET /api/v1/endpoints/{id}
   with a reader token; the server runs 2 workers. Every answer must be 2xx and
   no socket may fail (connect, read, write or timeout errors).
2. Write soak: 8 client threads create, update (PUT and PATCH: name, interval,
   enabled) and delete endpoints through the API for `soak_seconds` while
   monitorage-checkd checks them (interval 10 s, targets UP and DOWN), then
   checks in SQL that the database is consistent: no history without its
   endpoint, endpoint_status equal to the newest history row of every endpoint,
   the hourly rollups' totals equal to the history, a schedule row for exactly
   the enabled endpoints, the endpoints equal to what the clients were told,
   one audit row per write, and the audit chain intact (GET /api/v1/audit/verify).
Exits 1 if any of that fails. Figures go to docs/reliability.md ("Load").
"""
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import harness  # noqa: E402
from harness import AUDIENCE, ISSUER, Server, Stub, jwk_of, new_key, psql, sign  # noqa: E402

FAILURES = []


def check(ok, what):
    print("%s: %s" % (what, "ok" if ok else "FAILED"), flush=True)
    if not ok:
        FAILURES.append(what)


def call_on(port):
    """A function (method, path, body, token) -> (status, headers, JSON body) talking to the server."""
    def call(method, path, body=None, token=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        raw = r.read()
        c.close()
        return r.status, dict(r.getheaders()), json.loads(raw) if raw else None
    return call


def wrk(url, seconds, connections, token=None):
    cmd = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s", "--latency"]
    if token:
        cmd += ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "total": total, "p50": pct.get("50"), "p99": pct.get("99"),
            "non2xx": int(bad.group(1)) if bad else 0, "socket": sum(map(int, sock.groups())) if sock else 0,
            "socket_detail": sock.group(0) if sock else "no socket errors"}


def reads(base, seconds, connections, token, one):
    print("== reads: wrk -t2 -c%d -d%ds, server with 2 workers, 1000 endpoints" % (connections, seconds))
    for name, path, tok in (("GET /health", "/health", None), ("GET /api/v1/status", "/api/v1/status", token),
                            ("GET /api/v1/endpoints/{id}", "/api/v1/endpoints/" + one, token)):
        r = wrk(base + path, seconds, connections, tok)
        print("%s: %d requests, %.0f req/s, p50 %s, p99 %s, non-2xx %d, socket errors %d (%s)"
              % (name, r["total"], r["rps"], r["p50"], r["p99"], r["non2xx"], r["socket"],
                 r["socket_detail"]), flush=True)
        check(r["non2xx"] == 0 and r["socket"] == 0, "%s without errors" % name)


class Client(threading.Thread):
    """One soak client: its own endpoints, created, changed and deleted at random."""

    def __init__(self, n, call, token, targets, deadline):
        super().__init__()
        self.n, self.call, self.token, self.targets, self.deadline = n, call, token, targets, deadline
        self.model = {}  # id -> {"name", "check_interval", "enabled"} as last acknowledged; None once deleted
        self.writes, self.errors, self.latencies = 0, [], []
        self.rnd = random.Random(n)

    def request(self, method, path, body=None):
        start = time.time()
        code, _, data = self.call(method, path, body, self.token)
        self.latencies.append(time.time() - start)
        self.writes += 1
        return code, data

    def run(self):
        i = 0
        while time.time() < self.deadline:
            i += 1
            live = [k for k, v in self.model.items() if v is not None]
            op = self.rnd.random()
            if op < 0.35 or not live:
                body = {"name": "soak-%d-%d" % (self.n, i), "type": "APIM",
                        "url": self.targets.url(self.rnd.choice(["/ok", "/ok", "/status/503"])),
                        "check_interval": 10, "timeout": 2000, "retries": 0}
                code, data = self.request("POST", "/api/v1/endpoints", body)
                if code == 201:
                    self.model[data["id"]] = {"name": body["name"], "check_interval": 10, "enabled": True}
                else:
                    self.errors.append(("POST", code, data))
                continue
            ep = self.rnd.choice(live)
            path = "/api/v1/endpoints/" + ep
            if op < 0.55:
                change = self.rnd.choice([{"name": "soak-%d-%d-renamed" % (self.n, i)},
                                          {"check_interval": self.rnd.choice([10, 20, 30])},
                                          {"enabled": self.rnd.random() < 0.5}])
                code, data = self.request("PATCH", path, change)
                if code == 200:
                    self.model[ep].update(change)
                else:
                    self.errors.append(("PATCH", code, data))
            elif op < 0.75:
                body = {"name": "soak-%d-%d-put" % (self.n, i), "type": "APIM",
                        "url": self.targets.url("/ok"),
                        "check_interval": 10, "timeout": 2000, "retries": 0, "enabled": True}
                code, data = self.request("PUT", path, body)
                if code == 200:
                    self.model[ep] = {"name": body["name"], "check_interval": 10, "enabled": True}
                else:
                    self.errors.append(("PUT", code, data))
            else:
                code, data = self.request("DELETE", path)
                if code == 204:
                    self.model[ep] = None
                else:
                    self.errors.append(("DELETE", code, data))


def soak(url, server, call, admin, seconds, checkd_env):
    import test_faults as faults  # tests/server: Targets, Checkd

    print("== write soak: 8 clients for %d s, monitorage-checkd checking (interval 10 s)" % seconds)
    targets = faults.Targets()
    try:
        d = faults.Checkd(url, "soak", **checkd_env)
        deadline = time.time() + seconds
        clients = [Client(n, call, admin, targets, deadline) for n in range(8)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        time.sleep(2)
        code, stats, text = d.stop(60)
    finally:
        targets.stop()
    writes = sum(c.writes for c in clients)
    lat = sorted(x for c in clients for x in c.latencies)
    errors = [e for c in clients for e in c.errors]
    print("writes: %d in %d s (%.0f/s), latency p50 %.1f ms, p99 %.1f ms, errors %d %s"
          % (writes, seconds, writes / seconds, 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99)],
             len(errors), errors[:3]))
    print("checker: %d checks, %d results written, %d unwritten, %d dropped, exit %d"
          % (stats["checks"], stats["written"], stats["unwritten"], stats["dropped"], code))
    discarded, rejected = (int(x) for x in re.search(r"(\d+) discarded .* (\d+) rejected", text).groups())
    print("checker: %d results discarded (endpoint deleted while being checked), %d rejected"
          % (discarded, rejected))
    check(not errors, "every write answered 2xx")
    check(code == 0 and stats["unwritten"] == 0 and stats["dropped"] == 0, "checker drained, nothing dropped")
    check(stats["written"] + discarded + rejected == stats["checks"], "every check written or accounted for")

    def zero(what, sql):
        n = int(psql(url, sql))
        check(n == 0, "%s (%d)" % (what, n))

    history = int(psql(url, "SELECT count(*) FROM health_history"))
    print("history rows: %d, endpoints left: %s" % (history, psql(url, "SELECT count(*) FROM endpoints")))
    # Rows of deleted endpoints went with them (ON DELETE CASCADE): at most what was written remains.
    check(0 < history <= stats["written"], "history rows <= results written")
    zero("no history row without its endpoint",
         "SELECT count(*) FROM health_history h LEFT JOIN endpoints e ON e.id = h.endpoint_id "
         "WHERE e.id IS NULL")
    zero("endpoint_status = newest history row of each endpoint",
         "WITH latest AS (SELECT DISTINCT ON (endpoint_id) endpoint_id, id, status FROM health_history "
         "ORDER BY endpoint_id, checked_at DESC, id DESC) SELECT count(*) FROM latest l "
         "FULL JOIN endpoint_status s USING (endpoint_id) "
         "WHERE s.history_id IS DISTINCT FROM l.id OR s.status IS DISTINCT FROM l.status")
    zero("hourly rollup totals = history counts",
         "WITH r AS (SELECT DISTINCT ON (endpoint_id) endpoint_id, "
         "c_up + c_down + c_degraded + c_unknown AS n "
         "FROM health_rollup_hourly ORDER BY endpoint_id, hour DESC), "
         "h AS (SELECT endpoint_id, count(*) AS n FROM health_history GROUP BY endpoint_id) "
         "SELECT count(*) FROM r FULL JOIN h USING (endpoint_id) WHERE r.n IS DISTINCT FROM h.n")
    zero("a schedule row for exactly the enabled endpoints",
         "SELECT count(*) FROM endpoints e FULL JOIN endpoint_schedule s ON s.endpoint_id = e.id "
         "WHERE e.id IS NULL OR e.enabled <> (s.endpoint_id IS NOT NULL)")
    model = {k: v for c in clients for k, v in c.model.items() if v is not None}
    rows = psql(url, "SELECT id || '|' || name || '|' || check_interval || '|' || enabled FROM endpoints "
                     "WHERE name LIKE 'soak-%'").split("\n")
    stored = {r.split("|")[0]: r.split("|")[1:] for r in rows if r}
    expected = {k: [v["name"], str(v["check_interval"]), "true" if v["enabled"] else "false"]
                for k, v in model.items()}
    differ = sorted(k for k in set(stored) | set(expected) if stored.get(k) != expected.get(k))
    check(not differ, "endpoints = what the clients were told (%d; %d differ%s)" % (
        len(expected), len(differ), "".join(" %s: %s != %s" % (k, stored.get(k), expected.get(k))
                                            for k in differ[:3])))
    audited = int(psql(url, "SELECT count(*) FROM action_logs WHERE user_id = 'soak-admin'"))
    check(audited == writes, "one audit row per write (%d of %d)" % (audited, writes))
    start = time.time()
    vcode, _, report = call("GET", "/api/v1/audit/verify", None, admin)
    check(vcode == 200 and report.get("ok") is True,
          "audit chain intact (%s rows, verified in %.2f s)"
          % (report.get("rows_checked"), time.time() - start))
    check("died" not in server.output(), "no server worker died")


def main():
    url, server_dir = sys.argv[1], sys.argv[2]
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    soak_seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 60
    if not shutil.which("wrk"):
        sys.exit("load bench needs wrk (Debian package wrk)")
    harness.SERVER_DIR = server_dir
    harness.SOURCE_DIR = os.path.join(HERE, "..", "..")

    key = new_key()
    stub = Stub()
    stub.serve([jwk_of(key, "kA")])
    now = int(time.time())

    def token(oid, role):
        return sign({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 7200, "nbf": now - 10, "oid": oid,
                     "preferred_username": oid + "@example.test", "roles": [role]}, key, "kA")

    server = Server({"DATABASE_URL": url, "MONITORAGE_WORKERS": "2", "OIDC_ISSUER": ISSUER,
                     "OIDC_JWKS_URL": "http://127.0.0.1:%d/keys" % stub.port, "OIDC_AUDIENCE": AUDIENCE})
    try:
        # A separate database for the soak, so its consistency checks see only its own rows.
        psql(url, "CREATE DATABASE load_soak")
        soak_url = url.replace("/monitorage?", "/load_soak?")
        psql(url, "INSERT INTO endpoints (name, type, url) SELECT 'load-' || g, 'APIM', "
                  "'http://127.0.0.1:9/' || g FROM generate_series(1, 1000) g")
        psql(url, "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms) "
                  "SELECT id, 'UP', 200, 10 FROM endpoints")
        psql(url, "UPDATE endpoints SET enabled = false")  # nobody checks these; no checker runs on this db
        one = psql(url, "SELECT id FROM endpoints ORDER BY name LIMIT 1")
        reads("http://127.0.0.1:%d" % server.port, seconds, connections,
              token("load-reader", "Monitorage.Reader"), one)
    finally:
        server.stop()
    server = Server({"DATABASE_URL": soak_url, "MONITORAGE_WORKERS": "2", "OIDC_ISSUER": ISSUER,
                     "OIDC_JWKS_URL": "http://127.0.0.1:%d/keys" % stub.port, "OIDC_AUDIENCE": AUDIENCE})
    try:
        soak(soak_url, server, call_on(server.port), token("soak-admin", "Monitorage.Admin"), soak_seconds,
             {})
    finally:
        server.stop()
        stub.stop()
    print("load: %d check(s) failed%s" % (len(FAILURES), (": " + "; ".join(FAILURES)) if FAILURES else ""))
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
