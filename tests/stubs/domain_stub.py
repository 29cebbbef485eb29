#!/usr/bin/env python3
"""DOMAIN_HEALTH stub (CONNECTORS.md §5): two listeners on 127.0.0.1.

The plain HTTP port (printed as PORT) serves /__control, /__log, /__info
({"tls_port": n}) and RDAP under /rdap (RFC 9083 replies; /rdap-moved
redirects there). The TLS port serves "/" (200), "/redirect" (302 to "/"),
"/loop" (endless redirects) and "/down" (503), with the certificate chosen by
SNI from argv[1]: <name>.pem / <name>.key for valid.test, soon.test,
expired.test and selfsigned.test; wronghost.test gets valid.test's
certificate. stubkit's scenario modes (hang, slow, malformed, ratelimit)
apply to both ports.
"""
import os
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer

from stubkit import Handler, serve

CERT_DIR = sys.argv[1]
TLS_PORT = [0]
RDAP = {
    "valid.test": {"objectClassName": "domain", "ldhName": "VALID.TEST", "status": ["client transfer prohibited"],
                   "events": [{"eventAction": "registration", "eventDate": "1995-08-14T04:00:00Z"},
                              {"eventAction": "expiration", "eventDate": "2030-08-13T04:00:00Z"},
                              {"eventAction": "last changed", "eventDate": "2024-08-14T07:01:34Z"}]},
}


class Domain(Handler):
    def route(self, method, path, query):
        if path == "/__info":
            return self.send(200, {"tls_port": TLS_PORT[0]})
        if path.startswith("/rdap-moved/"):
            return self.send(301, b"", headers={"Location": "/rdap/" + path[len("/rdap-moved/"):]})
        if path.startswith("/rdap/domain/"):
            return self.rdap(path[len("/rdap/domain/"):])
        if path == "/":
            return self.send(200, "ok", "text/plain")
        if path == "/redirect":
            return self.send(302, b"", headers={"Location": "/"})
        if path == "/loop":
            return self.send(302, b"", headers={"Location": "/loop"})
        if path == "/down":
            return self.send(503, "<html><title>Service Unavailable</title></html>", "text/html")
        return self.send(404, "not found", "text/plain")

    def rdap(self, name):
        if self.headers.get("Accept") != "application/rdap+json":
            return self.send(406, {"errorCode": 406, "title": "Accept must be application/rdap+json"},
                             "application/rdap+json")
        if name == "limited.test":
            return self.send(429, {"errorCode": 429, "title": "Too Many Requests"}, "application/rdap+json",
                             headers={"Retry-After": "120"})
        if name in RDAP:
            return self.send(200, RDAP[name], "application/rdap+json")
        return self.send(404, {"errorCode": 404, "title": "Not Found", "description": ["no such domain"]},
                         "application/rdap+json")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # refused handshakes are part of the tests
        pass


def context(name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(CERT_DIR, name + ".pem"), os.path.join(CERT_DIR, name + ".key"))
    return ctx


def start_tls():
    contexts = {name: context(name) for name in ("valid", "soon", "expired", "selfsigned")}
    contexts["wronghost"] = contexts["valid"]

    def pick(sslobj, server_name, _ctx):
        sslobj.context = contexts.get((server_name or "valid.test").split(".")[0], contexts["valid"])

    default = context("valid")
    default.sni_callback = pick
    server = QuietServer(("127.0.0.1", 0), Domain)
    server.daemon_threads = True
    # The handshake happens in the request thread, so a silent client blocks nobody.
    server.socket = default.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    TLS_PORT[0] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()


if __name__ == "__main__":
    start_tls()
    serve(Domain)
