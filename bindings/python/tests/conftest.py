"""Fixtures: the built library (MONITORAGE_LIBRARY, set by CTest) and private databases."""

from __future__ import annotations

import itertools
import re
from typing import Iterator

import pytest

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
