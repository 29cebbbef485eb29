"""Shared machinery of the connector stubs (Python standard library only).

A stub binds 127.0.0.1 on a free port, prints "PORT <n>" and serves until
killed. Tests switch scenarios with POST /__control (JSON body, replaces the
current scenario) and read what the connector sent with GET /__log:

  {"mode": "normal"}                          default
  {"mode": "slow", "seconds": 3}              answer after a delay
  {"mode": "hang", "seconds": 30}             never answer in time
  {"mode": "malformed"}                       200 with broken JSON
  {"mode": "ratelimit", "count": 1, "retry_after": 1}
                                              the next `count` requests get the
                                              system's rate-limit answer, then normal
  {"mode": "html_error", "status": 401}       an HTML error page (gateways, Jira DC)

Any other key is read by the stub itself (page sizes, expected values...).
Each stub subclasses Handler, sets `expected` checks, and implements route().
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STATE = {"scenario": {"mode": "normal"}, "log": []}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    # -- helpers for subclasses -------------------------------------------------
    def send(self, status, body=b"", content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def scenario(self):
        with LOCK:
            return dict(STATE["scenario"])

    def json_body(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    # -- to override -------------------------------------------------------------
    def route(self, method, path, query):
        self.send(404, {"message": "no route"})

    def rate_limit(self, retry_after):
        self.send(429, {"message": "Too Many Requests"}, headers={"Retry-After": str(retry_after)})

    # -- dispatch ------------------------------------------------------------------
    def handle_any(self):
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        if split.path == "/__control":
            with LOCK:
                STATE["scenario"] = json.loads(self.body or b"{}")
                STATE["log"] = []
            return self.send(200, {})
        if split.path == "/__log":
            with LOCK:
                return self.send(200, STATE["log"])
        with LOCK:
            STATE["log"].append({"method": self.command, "path": split.path, "query": split.query,
                                 "headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": self.body.decode("utf-8", "replace")})
            sc = STATE["scenario"]
            mode = sc.get("mode", "normal")
            if mode == "ratelimit":
                if sc.get("count", 1) > 0:
                    sc["count"] = sc.get("count", 1) - 1
                else:
                    mode = "normal"
        if mode == "hang":
            time.sleep(sc.get("seconds", 30))
            return
        if mode == "slow":
            time.sleep(sc.get("seconds", 3))
        if mode == "ratelimit":
            return self.rate_limit(sc.get("retry_after", 1))
        if mode == "malformed":
            return self.send(200, b'{"items": [ {"id": ', "application/json")
        if mode == "html_error":
            return self.send(sc.get("status", 401),
                             "<html><head><title>Unauthorized (gateway)</title></head><body>no</body></html>",
                             "text/html")
        self.route(self.command, split.path, parse_qs(split.query))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def serve(handler_class):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
