"""Fixtures: the built library (MONITORAGE_LIBRARY, set by CTest) and private databases."""

from __future__ import annotations

import http.server
import itertools
import re
import time
from typing import Iterator

import pytest

import loopback
import pgtest

_counter = itertools.count()


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """A database with every migration applied, copied by each test's database (fast)."""
    from monitorage import Store

    url = pgtest.fresh_database("python_template")
    with Store(url) as store:
        store.migrate()
    yield re.search(r"@/([^?]*)\?", url).group(1)  # type: ignore[union-attr]
    pgtest.drop_database(url)


@pytest.fixture
def db_url(migrated_template: str) -> Iterator[str]:
    """URL of a fresh, migrated database of this test's own."""
    url = pgtest.fresh_database("python_%d" % next(_counter), template=migrated_template)
    yield url
    pgtest.drop_database(url)


@pytest.fixture
def empty_db_url() -> Iterator[str]:
    """URL of a fresh database without any migration."""
    url = pgtest.fresh_database("python_empty_%d" % next(_counter))
    yield url
    pgtest.drop_database(url)


@pytest.fixture
def store(db_url: str) -> Iterator["object"]:
    from monitorage import Store

    with Store(db_url) as opened:
        yield opened


class _Target(http.server.BaseHTTPRequestHandler):
    """A loopback HTTP target: /ok, /json and /slow (0.4 s) answer 200, anything else 503."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/slow":
            time.sleep(0.4)
        code = {"/ok": 200, "/slow": 200, "/json": 200}.get(self.path, 503)
        body = b'{"status": "green"}' if self.path == "/json" else b"hello"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def base() -> Iterator[str]:
    """Base URL of the loopback target (http://127.0.0.1:PORT)."""
    with loopback.serve(_Target) as url:
        yield url
