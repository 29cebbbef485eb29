"""The store through Python against the private PostgreSQL: migrations, endpoint CRUD and
listing, history, latest status, uptime and retention."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

import pgtest
from monitorage import (
    AlreadyExistsError,
    CheckRecord,
    Endpoint,
    EndpointType,
    InvalidInputError,
    NotFoundError,
    Status,
    Store,
    VersionError,
)

NOW = dt.datetime.now(dt.timezone.utc)


def endpoint(name: str, type: str = "APIM", **fields) -> Endpoint:
    return Endpoint(name=name, type=type, url="https://%s.example.com/health" % name.lower(), **fields)


def test_migrations_apply_once_and_are_listed(empty_db_url: str) -> None:
    names = Store.migration_names()
    assert names[:2] == ["001_initial_schema.sql", "002_seed_connectors.sql"] and names == sorted(names)
    with Store(empty_db_url) as store:
        assert store.migrations_pending() == len(names)
        assert store.migrate() == len(names)
        assert store.migrate() == 0 and store.migrations_pending() == 0
        store.ping()


def test_a_database_newer_than_the_library_is_a_version_error(store: Store, db_url: str) -> None:
    pgtest.query(db_url, "INSERT INTO schema_migrations (name) VALUES ('999_from_the_future.sql')")
    with pytest.raises(VersionError):
        store.migrations_pending()


def test_store_reads_database_url_from_the_environment(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    with Store() as store:
        store.ping()
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(InvalidInputError) as caught:
        Store()
    assert caught.value.field == "database_url"


def test_endpoint_round_trip_keeps_every_field(store: Store) -> None:
    ep = endpoint("Billing", type="DOMAIN", check_interval=120, timeout_ms=3000, expected_status=204,
                  headers={"X-Env": "prod", "Accept": "application/json"}, enabled=False, method="HEAD",
                  degraded_ms=800, retries=3, cert_warn_days=30, follow_redirects=True)
    assert store.create_endpoint(ep) is ep
    assert uuid.UUID(ep.id) and ep.created_at and ep.updated_at
    with store.get_endpoint(ep.id) as read:
        assert read == ep and read.type is EndpointType.DOMAIN and read.headers["X-Env"] == "prod"


def test_crud_errors_are_exceptions(store: Store) -> None:
    ep = store.create_endpoint(endpoint("Once"))
    clash = endpoint("Twice")
    clash.id = ep.id
    with pytest.raises(AlreadyExistsError):
        store.create_endpoint(clash)
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError):
        store.get_endpoint(missing)
    with pytest.raises(NotFoundError):
        store.delete_endpoint(missing)
    with pytest.raises(InvalidInputError):
        store.get_endpoint("1; DROP TABLE endpoints")
    with pytest.raises(InvalidInputError) as caught:
        store.create_endpoint(Endpoint(type="APIM", url="https://x.example.com"))
    assert caught.value.field == "name"


def test_update_and_delete(store: Store) -> None:
    ep = store.create_endpoint(endpoint("Before"))
    first = ep.updated_at
    ep.name = "After"
    ep.retries = 4
    store.update_endpoint(ep)
    assert ep.updated_at >= first
    with store.get_endpoint(ep.id) as read:
        assert read.name == "After" and read.retries == 4
    store.delete_endpoint(ep)
    with pytest.raises(NotFoundError):
        store.get_endpoint(ep.id)
    ghost = endpoint("Ghost")
    ghost.id = str(uuid.uuid4())
    with pytest.raises(NotFoundError):
        store.update_endpoint(ghost)


def test_strings_round_trip_verbatim_in_utf8(store: Store) -> None:
    name = "Robert'); DROP TABLE endpoints;-- ünïcødé 東京"
    ep = store.create_endpoint(endpoint("x"))
    ep.name = name
    store.update_endpoint(ep)
    assert store.get_endpoint(ep.id).name == name


def test_list_pages_filters_and_counts(store: Store) -> None:
    for i in range(7):
        store.create_endpoint(endpoint("E%02d" % i, type="APIM" if i % 2 else "DOMAIN", enabled=i < 5))
    page = store.list_endpoints(limit=3)
    assert [e.name for e in page] == ["E00", "E01", "E02"] and page.total == 7
    page = store.list_endpoints(limit=3, offset=6)
    assert [e.name for e in page] == ["E06"] and page.total == 7
    assert [e.name for e in store.list_endpoints(type="APIM")] == ["E01", "E03", "E05"]
    assert [e.name for e in store.list_endpoints(type=EndpointType.DOMAIN, enabled=False)] == ["E06"]
    assert store.list_endpoints(status="UP").total == 0
    assert store.list_endpoints(status=Status.UNKNOWN).total == 7
    assert [e.name for e in store.iter_endpoints(page_size=2)] == ["E%02d" % i for i in range(7)]
    page.close()
    assert all(e.closed for e in page)


def test_list_refuses_bad_filters(store: Store) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.list_endpoints(limit=1001)
    assert caught.value.field == "filter.limit"
    with pytest.raises(InvalidInputError):
        store.list_endpoints(limit=0)
    with pytest.raises(InvalidInputError) as caught:
        store.list_endpoints(offset=-1)
    assert caught.value.field == "filter.offset"
    with pytest.raises(InvalidInputError) as caught:
        store.list_endpoints(type="SMTP")
    assert caught.value.field == "filter.type"


def _record(endpoint_id: str, status: Status, latency: int, age: dt.timedelta, **extra) -> CheckRecord:
    return CheckRecord(endpoint_id=endpoint_id, status=status, status_code=200 if status == Status.UP else 503,
                       latency_ms=latency, checked_at=NOW - age, **extra)


def test_history_batch_round_trips_newest_first_and_by_range(store: Store) -> None:
    ep = store.create_endpoint(endpoint("Hist"))
    records = [_record(ep.id, Status.UP, 10 + i, dt.timedelta(minutes=i)) for i in range(10)]
    records[3] = CheckRecord(endpoint_id=ep.id, status=Status.DOWN, error_message="expected 200, got 503 — ünï",
                             checked_at=NOW - dt.timedelta(minutes=3), dns_ms=1.5, connect_ms=2.25, tls_ms=None,
                             ttfb_ms=4.0)
    store.insert_history(records)
    rows = store.history(ep.id)
    assert len(rows) == 10 and [r.checked_at for r in rows] == sorted((r.checked_at for r in rows), reverse=True)
    down = rows[3]
    assert down.status is Status.DOWN and down.status_code is None and down.latency_ms is None
    assert down.error_message == "expected 200, got 503 — ünï"
    assert (down.dns_ms, down.connect_ms, down.tls_ms, down.ttfb_ms) == (1.5, 2.25, None, 4.0)
    assert abs(down.checked_at - (NOW - dt.timedelta(minutes=3))) < dt.timedelta(milliseconds=1)
    window = store.history(ep.id, since=NOW - dt.timedelta(minutes=5, seconds=30),
                           until=NOW - dt.timedelta(minutes=1, seconds=30), limit=100)
    assert len(window) == 4
    assert len(store.history(ep.id, limit=2)) == 2
    as_json = store.history_json(ep.id, limit=1)
    assert as_json[0]["status"] == "UP" and as_json[0]["latency_ms"] == 10


def test_history_batch_with_an_unknown_endpoint_writes_nothing(store: Store) -> None:
    ep = store.create_endpoint(endpoint("Batch"))
    with pytest.raises(NotFoundError):
        store.insert_history([_record(ep.id, Status.UP, 5, dt.timedelta(0)),
                              _record(str(uuid.uuid4()), Status.UP, 5, dt.timedelta(0))])
    assert store.history(ep.id) == []
    with pytest.raises(InvalidInputError):
        store.insert_history([CheckRecord(endpoint_id=ep.id, status="SIDEWAYS")])  # type: ignore[arg-type]


def test_latest_status_follows_writes(store: Store) -> None:
    a = store.create_endpoint(endpoint("Alpha"))
    store.create_endpoint(endpoint("Beta", type="TALEND"))
    store.insert_history([_record(a.id, Status.UP, 20, dt.timedelta(minutes=2)),
                          _record(a.id, Status.DOWN, 30, dt.timedelta(minutes=1))])
    status = store.status()
    assert [s.name for s in status] == ["Alpha", "Beta"]
    assert status[0].status is Status.DOWN and status[0].status_code == 503 and status[0].latency_ms == 30
    assert status[1].status is Status.UNKNOWN and status[1].last_check is None and status[1].type == "TALEND"
    assert store.list_endpoints(status="DOWN").total == 1
    assert store.status_json()[0]["status"] == "DOWN"


def test_check_metrics_count_checks_and_give_the_latest_phases(store: Store) -> None:
    assert store.check_metrics()["phases"] == []
    a = store.create_endpoint(endpoint("Alpha"))
    store.insert_history([_record(a.id, Status.UP, 20, dt.timedelta(minutes=2)),
                          _record(a.id, Status.DOWN, 30, dt.timedelta(minutes=1), dns_ms=1.5, ttfb_ms=12.25)])
    metrics = store.check_metrics()
    assert metrics["checks_total"] == {"UP": 1, "DOWN": 1, "DEGRADED": 0, "UNKNOWN": 0}
    [phase] = metrics["phases"]
    assert phase["endpoint_id"] == a.id and phase["total_ms"] == 30
    assert (phase["dns_ms"], phase["connect_ms"], phase["ttfb_ms"]) == (1.5, None, 12.25)


def test_uptime_maths_on_known_data(store: Store) -> None:
    ep = store.create_endpoint(endpoint("Maths"))
    idle = store.create_endpoint(endpoint("Never"))
    records = []
    for i in range(100):
        status = Status.UP if i < 90 else Status.DEGRADED if i < 95 else Status.DOWN
        records.append(_record(ep.id, status, 10 + (i * 37) % 700, dt.timedelta(seconds=(i + 1) * 20)))
    records += [CheckRecord(endpoint_id=ep.id, status=Status.UNKNOWN, checked_at=NOW - dt.timedelta(seconds=i))
                for i in range(3)]
    store.insert_history(records)
    entries = store.uptime(dt.timedelta(hours=1))
    assert [e.endpoint_id for e in entries] == [ep.id, idle.id]
    first = entries[0]
    assert (first.checks, first.up, first.degraded, first.down, first.unknown) == (103, 90, 5, 5, 3)
    assert first.window == dt.timedelta(hours=1) and first.uptime_percent == pytest.approx(95.0)
    assert first.p50_ms is not None and first.p50_ms <= first.p95_ms <= first.p99_ms
    assert entries[1].checks == 0 and entries[1].uptime_percent is None and entries[1].p95_ms is None
    only = store.uptime(86400, endpoint_id=ep.id)
    assert len(only) == 1 and only[0].uptime_percent == pytest.approx(95.0)
    assert store.uptime_json(3600, ep.id)[0]["uptime_percent"] == pytest.approx(95.0)
    with pytest.raises(InvalidInputError):
        store.uptime(10)


def test_overview_gives_status_uptime_and_recent_checks_in_one_call(store: Store) -> None:
    a = store.create_endpoint(endpoint("Alpha"))
    b = store.create_endpoint(endpoint("Beta", type="TALEND"))
    store.insert_history([_record(a.id, Status.UP, 20, dt.timedelta(minutes=3)),
                          _record(a.id, Status.DOWN, 30, dt.timedelta(minutes=2)),
                          _record(a.id, Status.UP, 25, dt.timedelta(minutes=1))])
    page = store.overview()
    assert (page["total"], page["limit"], page["offset"], page["recent"]) == (2, 1000, 0, 30)
    alpha, beta = page["items"]
    assert alpha["endpoint_id"] == a.id and alpha["status"] == "UP"
    assert alpha["recent_latency_ms"] == [20, 30, 25] and alpha["recent_status"] == ["UP", "DOWN", "UP"]
    assert alpha["uptime_24h_percent"] == store.uptime(86400, endpoint_id=a.id)[0].uptime_percent
    assert alpha["uptime_24h_percent"] == pytest.approx(200 / 3)
    assert beta["endpoint_id"] == b.id and beta["uptime_24h_percent"] is None and beta["recent_status"] == []
    assert {k: alpha[k] for k in store.status_json()[0]} == store.status_json()[0]
    page = store.overview(type="TALEND", recent=0)
    assert [i["name"] for i in page["items"]] == ["Beta"] and page["total"] == 1
    assert store.overview(status="DOWN", limit=1)["items"] == []
    assert store.overview(recent=2)["items"][0]["recent_latency_ms"] == [30, 25]
    for bad, field in (({"limit": 0}, "options.limit"), ({"limit": 10001}, "options.limit"),
                       ({"recent": 61}, "options.recent"), ({"recent": -1}, "options.recent"),
                       ({"type": "FTP"}, "options.type")):
        with pytest.raises(InvalidInputError) as caught:
            store.overview(**bad)
        assert caught.value.field == field, bad


def test_retention_deletes_old_history(store: Store) -> None:
    ep = store.create_endpoint(endpoint("Old"))
    store.insert_history([_record(ep.id, Status.UP, 5, dt.timedelta(days=40)),
                          _record(ep.id, Status.UP, 5, dt.timedelta(days=10)),
                          _record(ep.id, Status.UP, 5, dt.timedelta(hours=1))])
    assert store.apply_retention(dt.timedelta(days=30)) == 1
    assert len(store.history(ep.id)) == 2
    with pytest.raises(InvalidInputError):
        store.apply_retention(60)


def test_closed_store_is_refused(db_url: str) -> None:
    store = Store(db_url)
    store.close()
    store.close()
    with pytest.raises(ValueError, match="closed"):
        store.ping()
