#!/usr/bin/env python3
"""REST server benchmark, run by `scripts/bench server` (not a test).

usage: server_bench.py DATABASE_URL SERVER_DIR [seconds=10] [endpoints=10000]

In one run, on this machine, with wrk: GET /health of our server against
nginx returning the same body (the baseline), GET /api/v1/endpoints/{id}
with a verified (cached) RS256 token, GET /api/v1/status with the given
number of endpoints, and the dashboard's overview: one GET /api/v1/overview
against the 1 + 2N requests it took before (status, then history and uptime
of each endpoint, one after the other on a kept-alive connection). The
server runs 2 workers in Kore's seccomp sandbox; its tokens come from a
loopback JWKS stub (tests/stubs/jwks_stub.py).
"""
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import harness  # noqa: E402
from harness import AUDIENCE, ISSUER, Server, Stub, free_port, jwk_of, new_key, psql, sign  # noqa: E402

NGINX_CONF = """
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port};
        location = /health {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
    }}
}}
"""


def wrk(url, seconds, connections, token=None):
    cmd = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds]
    if token:
        cmd += ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        sys.exit("wrk: %s non-2xx answers from %s" % (bad.group(1), url))
    latency = re.search(r"Latency\s+(\S+)", out).group(1)
    return rps, latency


def timed_gets(port, token, paths):
    """Seconds to GET every path in turn on one kept-alive connection (each must answer 200)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t = time.monotonic()
    for path in paths:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("GET %s: HTTP %d" % (path, r.status))
    elapsed = time.monotonic() - t
    conn.close()
    return elapsed


def bench_overview(port, token, url, count):
    ids = psql(url, "SELECT id FROM endpoints ORDER BY name, id").split()
    one = sorted(timed_gets(port, token, ["/api/v1/overview?limit=10000&recent=30"]) for _ in range(5))[2]
    old = ["/api/v1/status"]
    for i in ids:
        old += ["/api/v1/endpoints/%s/history?limit=30" % i, "/api/v1/endpoints/%s/uptime?window=24h" % i]
    before = timed_gets(port, token, old)
    print("server GET /api/v1/overview?limit=10000&recent=30, %d endpoints x 30 checks (median of 5): %.1f ms"
          % (count, one * 1e3))
    print("server the same as 1 + 2N = %d requests in turn (status, history and uptime of each): %.1f ms"
          % (len(old), before * 1e3))
    print("overview vs 1 + 2N requests: %.1f x" % (before / one))


def main():
    url, server_dir = sys.argv[1], sys.argv[2]
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    if not shutil.which("wrk") or not shutil.which("nginx"):
        sys.exit("server bench needs wrk and nginx (Debian packages wrk, nginx)")
    harness.SERVER_DIR = server_dir
    harness.SOURCE_DIR = os.path.join(HERE, "..", "..")

    key = new_key()
    stub = Stub()
    stub.serve([jwk_of(key, "kA")])
    now = int(time.time())
    token = sign({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 3600, "nbf": now - 10, "oid": "bench",
                  "preferred_username": "bench@example.test", "roles": ["Monitorage.Reader"]}, key, "kA")
    server = Server({"DATABASE_URL": url, "MONITORAGE_WORKERS": "2", "OIDC_ISSUER": ISSUER,
                     "OIDC_JWKS_URL": "http://127.0.0.1:%d/keys" % stub.port, "OIDC_AUDIENCE": AUDIENCE})
    tmp = tempfile.mkdtemp(prefix="server-bench-")
    nginx = None
    try:
        psql(url, "INSERT INTO endpoints (name, type, url) SELECT 'bench-' || g, 'APIM', "
                  "'http://127.0.0.1:9/' || g FROM generate_series(1, %d) g" % count)
        # 30 checks each, a minute apart: the overview's sparkline depth.
        psql(url, "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms, checked_at) "
                  "SELECT id, 'UP', 200, 10 + k, now() - (30 - k) * interval '1 minute' FROM endpoints"
                  " CROSS JOIN generate_series(1, 30) k")
        psql(url, "VACUUM ANALYZE")  # as autovacuum would have by then: plans for the tables' real sizes
        one = psql(url, "SELECT id FROM endpoints ORDER BY name LIMIT 1")

        port = free_port()
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(dir=tmp, port=port))
        nginx = subprocess.Popen(["nginx", "-c", os.path.join(tmp, "nginx.conf"), "-g", "daemon off;"],
                                 stderr=subprocess.DEVNULL)
        time.sleep(0.5)

        base = "http://127.0.0.1:%d" % server.port
        print("server: 2 workers, %d endpoints, wrk -t2, %d s per run" % (count, seconds))
        nginx_rps, nginx_lat = wrk("http://127.0.0.1:%d/health" % port, seconds, 64)
        print("nginx /health (2 workers, 64 connections): %.0f req/s, latency %s" % (nginx_rps, nginx_lat))
        health_rps, health_lat = wrk(base + "/health", seconds, 64)
        print("server /health (64 connections): %.0f req/s, latency %s" % (health_rps, health_lat))
        ep_rps, ep_lat = wrk(base + "/api/v1/endpoints/" + one, seconds, 64, token)
        print("server GET /api/v1/endpoints/{id} with token (64 connections): %.0f req/s, latency %s"
              % (ep_rps, ep_lat))
        st_rps, st_lat = wrk(base + "/api/v1/status", seconds, 4, token)
        print("server GET /api/v1/status, %d endpoints (4 connections): %.1f req/s, latency %s"
              % (count, st_rps, st_lat))
        bench_overview(server.port, token, url, count)
        print("server /health vs nginx /health: %.2f x" % (health_rps / nginx_rps))
        print("endpoint read vs goal of 10000 req/s: %.2f x" % (ep_rps / 10000.0))
        # The machine is shared: the same run's /health tells how loaded it was.
        print("endpoint read vs server /health: %.3f x" % (ep_rps / health_rps))
        if "died" in server.output():
            sys.exit("a server worker died:\n" + server.output())
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(10)
        server.stop()
        stub.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
