"""A loopback HTTP server for the tests: 127.0.0.1, a free port, served on a daemon thread."""

from __future__ import annotations

import contextlib
import http.server
import threading
from typing import Iterator, Type


@contextlib.contextmanager
def serve(handler: Type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve handler while the block runs; the base URL (http://127.0.0.1:PORT)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
