#!/usr/bin/env python3
"""Webhook receiver for the notification tests (docs/notifications.md).

argv: secret. Two servers on 127.0.0.1:
  control (its port is printed as "PORT n"):
    GET  /__port     {"port": <receiver port>}
    GET  /__log      the deliveries received: [{"path", "delivery", "event", "signature_ok",
                     "body", "headers"}]
    POST /__control  JSON, replaces the scenario and, with "clear": true, empties the log:
                     {"mode": "normal"}                    2xx (204) when the signature is valid
                     {"mode": "fail", "status": 500}       answer that status
                     {"mode": "hang", "seconds": 30}       never answer in time
                     {"down": true} / {"down": false}      close the receiver's socket (connection
                                                           refused) / listen again on the same port
  receiver: POST any path. The signature header X-Monitorage-Signature must be
  "sha256=" + hex HMAC-SHA256 of the raw body with the secret; a wrong or missing
  one is answered 401 (and logged with signature_ok false), whatever the mode.
"""
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stubkit import serve

SECRET = (sys.argv[1] if len(sys.argv) > 1 else "webhook-secret-0123456789").encode()
LOCK = threading.Lock()
STATE = {"scenario": {"mode": "normal"}, "log": []}
RECEIVER = {"server": None, "port": 0}


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b""):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class Receiver(Quiet):
    def do_POST(self):
        body = self.read_body()
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, self.headers.get("X-Monitorage-Signature", ""))
        with LOCK:
            STATE["log"].append({"path": self.path, "delivery": self.headers.get("X-Monitorage-Delivery"),
                                 "event": self.headers.get("X-Monitorage-Event"), "signature_ok": ok,
                                 "body": body.decode("utf-8", "replace"),
                                 "headers": {k.lower(): v for k, v in self.headers.items()}})
            scenario = dict(STATE["scenario"])
        if not ok:
            return self.reply(401, {"error": "bad signature"})
        mode = scenario.get("mode", "normal")
        if mode == "hang":
            time.sleep(scenario.get("seconds", 30))
            return
        if mode == "fail":
            return self.reply(scenario.get("status", 500), {"error": "receiver failing"})
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def start_receiver(port=0):
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    server.daemon_threads = True
    RECEIVER["server"] = server
    RECEIVER["port"] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()


class Control(Quiet):
    def do_GET(self):
        if self.path == "/__port":
            return self.reply(200, {"port": RECEIVER["port"]})
        if self.path == "/__log":
            with LOCK:
                return self.reply(200, STATE["log"])
        return self.reply(404, {"error": "no route"})

    def do_POST(self):
        if self.path != "/__control":
            return self.reply(404, {"error": "no route"})
        scenario = json.loads(self.read_body() or b"{}")
        with LOCK:
            if scenario.pop("clear", False):
                STATE["log"] = []
            down = scenario.pop("down", None)
            if scenario:
                STATE["scenario"] = scenario
        if down is True and RECEIVER["server"] is not None:
            RECEIVER["server"].shutdown()
            RECEIVER["server"].server_close()
            RECEIVER["server"] = None
        elif down is False and RECEIVER["server"] is None:
            start_receiver(RECEIVER["port"])
        return self.reply(200, {})


if __name__ == "__main__":
    start_receiver()
    serve(Control)
