"""The private PostgreSQL of the test run (like tests/support/pgtest.c), through libpq over ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from typing import List, Optional

import pytest

_libpq = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
_libpq.PQconnectdb.restype = ctypes.c_void_p
_libpq.PQconnectdb.argtypes = [ctypes.c_char_p]
_libpq.PQstatus.argtypes = [ctypes.c_void_p]
_libpq.PQerrorMessage.restype = ctypes.c_char_p
_libpq.PQerrorMessage.argtypes = [ctypes.c_void_p]
_libpq.PQexec.restype = ctypes.c_void_p
_libpq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_libpq.PQresultStatus.argtypes = [ctypes.c_void_p]
_libpq.PQresultErrorMessage.restype = ctypes.c_char_p
_libpq.PQresultErrorMessage.argtypes = [ctypes.c_void_p]
_libpq.PQntuples.argtypes = [ctypes.c_void_p]
_libpq.PQnfields.argtypes = [ctypes.c_void_p]
_libpq.PQgetisnull.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_libpq.PQgetvalue.restype = ctypes.c_char_p
_libpq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_libpq.PQclear.argtypes = [ctypes.c_void_p]
_libpq.PQfinish.argtypes = [ctypes.c_void_p]

_PGRES_COMMAND_OK, _PGRES_TUPLES_OK = 1, 2


def cluster_url() -> str:
    """URL of the cluster the CTest fixture started; skip when there is none."""
    directory = os.environ.get("MONITORAGE_TEST_PG_DIR")
    if not directory:
        pytest.skip("MONITORAGE_TEST_PG_DIR is not set: run through ctest")
    path = os.path.join(directory, "database_url")
    if not os.path.exists(path):
        pytest.skip("no private PostgreSQL (%s missing)" % path)
    with open(path) as file:
        return file.readline().strip()


def query(url: str, sql: str) -> List[List[Optional[str]]]:
    """Run SQL (several statements allowed) and return the last result's rows as text."""
    conn = _libpq.PQconnectdb(url.encode())
    try:
        if _libpq.PQstatus(conn) != 0:
            raise RuntimeError("cannot connect: %s" % _libpq.PQerrorMessage(conn).decode())
        _libpq.PQclear(_libpq.PQexec(conn, b"SET client_min_messages = warning"))
        res = _libpq.PQexec(conn, sql.encode())
        try:
            if _libpq.PQresultStatus(res) not in (_PGRES_COMMAND_OK, _PGRES_TUPLES_OK):
                raise RuntimeError("SQL failed: %s\n%s" % (sql, _libpq.PQresultErrorMessage(res).decode()))
            return [[None if _libpq.PQgetisnull(res, r, c) else _libpq.PQgetvalue(res, r, c).decode()
                     for c in range(_libpq.PQnfields(res))] for r in range(_libpq.PQntuples(res))]
        finally:
            _libpq.PQclear(res)
    finally:
        _libpq.PQfinish(conn)


def value(url: str, sql: str) -> Optional[str]:
    rows = query(url, sql)
    assert rows, "no row: %s" % sql
    return rows[0][0]


def with_database(url: str, database: str) -> str:
    """Our cluster URLs are postgresql://postgres@/DBNAME?host=...: swap DBNAME."""
    return re.sub(r"@/[^?]*\?", "@/%s?" % database, url, count=1)


def fresh_database(name: str, template: Optional[str] = None) -> str:
    """(Re)create database t_<name>_<pid> (as a copy of template if given) and return its URL."""
    url = cluster_url()
    database = "t_%s_%d" % (name, os.getpid())
    query(url, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
    query(url, 'CREATE DATABASE "%s"%s' % (database, ' TEMPLATE "%s"' % template if template else ""))
    return with_database(url, database)


def drop_database(url: str) -> None:
    database = re.search(r"@/([^?]*)\?", url).group(1)  # type: ignore[union-attr]
    query(cluster_url(), 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
