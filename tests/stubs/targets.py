"""Check targets for the checker tests (Python standard library only).

Binds 127.0.0.1 on a free port, prints "PORT <n>" and serves until killed:

  /ok                      200 "ok"
  /slow?ms=N               200 "ok" after N ms
  /hang                    reads the request, never answers (until the client closes)
  /close                   reads the request, closes the connection without answering
  /status/N                status N
  /huge?mb=N               200 with an N MiB body (default 20), streamed
  /redirect-loop           302 to itself
  /redirect?to=PATH        302 to PATH
  /json                    {"status": "UP", "data": {"items": [{"id": 7, "latency": "12ms"}]}, "count": 3}
  /headers                 200 with X-Test: yes; the body is the request headers as a JSON object
  /flaky?key=K&fails=N     503 for the first N requests of key K, then 200
  /status-0123456789abcdef 200 "gateway ok" (the APIM gateway status path)
  /stats                   {"max_concurrent", "current", "requests"} of connections, and resets the maximum
  /tls-ports               {"name": port} of the TLS listeners

Each "--tls NAME:CERT:KEY" argument adds a TLS listener on its own port serving
the same routes with that certificate chain.
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATS = {"current": 0, "max_concurrent": 0, "requests": 0}
FLAKY = {}
TLS_PORTS = {}
JSON_BODY = {"status": "UP", "data": {"items": [{"id": 7, "latency": "12ms"}]}, "count": 3}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
        with LOCK:
            STATS["current"] += 1
            STATS["max_concurrent"] = max(STATS["max_concurrent"], STATS["current"])

    def finish(self):
        with LOCK:
            STATS["current"] -= 1
        try:
            super().finish()
        except OSError:
            pass

    def send(self, status, body=b"ok", content_type="text/plain", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def wait_for_close(self):
        self.close_connection = True
        try:
            while self.rfile.read1(4096):
                pass
        except OSError:
            pass

    def handle_any(self):
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        path = split.path
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with LOCK:
            STATS["requests"] += 1
        if path == "/ok":
            return self.send(200)
        if path == "/slow":
            time.sleep(int(query.get("ms", "1000")) / 1000.0)
            return self.send(200)
        if path == "/hang":
            return self.wait_for_close()
        if path == "/close":
            self.close_connection = True
            return
        if path.startswith("/status/"):
            return self.send(int(path[len("/status/"):]), "status")
        if path == "/huge":
            size = int(query.get("mb", "20")) << 20
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(size // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                self.close_connection = True
            return
        if path == "/redirect-loop":
            return self.send(302, "", headers={"Location": "/redirect-loop"})
        if path == "/redirect":
            return self.send(302, "", headers={"Location": query.get("to", "/ok")})
        if path == "/json":
            return self.send(200, JSON_BODY, "application/json")
        if path == "/headers":
            return self.send(200, {k.lower(): v for k, v in self.headers.items()}, "application/json",
                             {"X-Test": "yes"})
        if path == "/flaky":
            key = query.get("key", "")
            with LOCK:
                seen = FLAKY.get(key, 0)
                FLAKY[key] = seen + 1
            return self.send(503 if seen < int(query.get("fails", "1")) else 200)
        if path == "/status-0123456789abcdef":
            return self.send(200, "gateway ok")
        if path == "/stats":
            with LOCK:
                body = dict(STATS)
                STATS["max_concurrent"] = STATS["current"]
            return self.send(200, body, "application/json")
        if path == "/tls-ports":
            return self.send(200, TLS_PORTS, "application/json")
        return self.send(404, "no route")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    context = None

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.context:
            # The handshake happens in the handler's thread so a client that
            # refuses the certificate does not stall the accept loop.
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # clients that reject a certificate or go away are expected here


def start(context=None):
    server = Server(("127.0.0.1", 0), Handler)
    server.context = context
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    args = sys.argv[1:]
    while args:
        if args[0] != "--tls" or len(args) < 2:
            sys.exit("usage: targets.py [--tls NAME:CERT:KEY]...")
        name, cert, key = args[1].split(":")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        TLS_PORTS[name] = start(context).server_address[1]
        args = args[2:]
    plain = start()
    print("PORT %d" % plain.server_address[1], flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
