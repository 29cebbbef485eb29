"""The audit log through Python: append, redaction, query and paging, verify, retention."""

from __future__ import annotations

import datetime as dt

import pytest

import pgtest
from monitorage import AuditEntry, AuditResult, InvalidInputError, Store, VersionError


def entry(i: int = 0, **fields) -> AuditEntry:
    values = dict(action="endpoint.update", target="endpoint-%d" % i, user_id="u1", user_email="ops@example.com")
    values.update(fields)
    return AuditEntry(**values)


def tamper(url: str, sql: str) -> None:
    """What a superuser with full access could do: bypass the append-only trigger."""
    pgtest.query(url, "ALTER TABLE action_logs DISABLE TRIGGER action_logs_append_only; %s;"
                      " ALTER TABLE action_logs ENABLE TRIGGER action_logs_append_only" % sql)


def test_append_and_read_back_every_field(store: Store) -> None:
    audit = store.audit
    row_id = audit.append(action="connector.run", target="GITHUB.list_prs", user_id="u-42",
                          user_email="ané@example.com", user_roles=["operator", "reader"], ip_address="2001:db8::1",
                          user_agent="pytest/1 ünï", parameters={"repo": "x", "nested": {"api_token": "t0ps3cret"}},
                          result=AuditResult.FAILURE, error_message="upstream said 502")
    page = audit.query()
    assert len(page) == 1 and page.next_cursor is None
    row = page[0]
    assert row.id == row_id and row.seq == 1
    assert (row.action, row.target, row.user_id, row.user_email) == ("connector.run", "GITHUB.list_prs", "u-42",
                                                                     "ané@example.com")
    assert row.user_roles == ["operator", "reader"] and row.ip_address == "2001:db8::1"
    assert row.user_agent == "pytest/1 ünï" and row.result is AuditResult.FAILURE
    assert row.parameters == {"nested": {"api_token": "[REDACTED]"}, "repo": "x"}
    assert row.error_message == "upstream said 502"
    assert row.created_at and abs(row.created_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)
    assert len(row.row_hash or "") == 64 and len(row.prev_hash or "") == 64
    assert "t0ps3cret" not in str(audit.query_json())


def test_redaction_applies_at_any_depth_and_case() -> None:
    from monitorage import Audit

    redacted = Audit.redact({"Password": "a", "x": [{"API-Key": "b", "client_secret": "c"}], "ok": 1})
    assert redacted == {"Password": "[REDACTED]", "ok": 1,
                        "x": [{"API-Key": "[REDACTED]", "client_secret": "[REDACTED]"}]}


@pytest.mark.parametrize("fields,field", [
    (dict(action="a" * 51), "action"),
    (dict(target=""), "target"),
    (dict(user_email=""), "user_email"),
    (dict(ip_address="10.0.0.300"), "ip_address"),
    (dict(user_roles={"admin": True}), "user_roles"),
    (dict(parameters=["not", "an", "object"]), "parameters"),
    (dict(action="audit.retention"), "action"),
    (dict(result="MAYBE"), "result"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(store: Store, fields, field) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.audit.append(entry(**fields))
    assert caught.value.field == field
    assert store.audit.query() == []


def test_append_many_is_all_or_nothing(store: Store) -> None:
    audit = store.audit
    batch = [entry(0), entry(1), entry(2, ip_address="10.0.0.300")]
    with pytest.raises(InvalidInputError) as caught:
        audit.append_many(batch)
    assert caught.value.field == "entries[2].ip_address"
    assert audit.query() == []
    batch[2].ip_address = "10.0.0.3"
    audit.append_many(batch)
    assert audit.verify().rows_checked == 3


def test_query_filters_and_pages_newest_first(store: Store) -> None:
    audit = store.audit
    for i in range(25):
        audit.append(entry(i, user_id="u%d" % (i % 2), result=i % 5 != 0))
    first = audit.query(limit=10)
    assert [r.target for r in first] == ["endpoint-%d" % i for i in range(24, 14, -1)]
    second = audit.query(limit=10, cursor=first.next_cursor)
    assert second[0].target == "endpoint-14"
    assert [r.target for r in audit.rows(page_size=7)] == ["endpoint-%d" % i for i in range(24, -1, -1)]
    assert len(audit.query(user_id="u1")) == 12
    assert len(audit.query(result=AuditResult.FAILURE)) == 5 and len(audit.query(result=False)) == 5
    assert [r.target for r in audit.query(target="endpoint-3")] == ["endpoint-3"]
    assert audit.query(since=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)) == []
    as_json = audit.query_json(limit=2)
    assert len(as_json["items"]) == 2 and as_json["next_cursor"]
    with pytest.raises(InvalidInputError) as caught:
        audit.query(cursor="garbage")
    assert caught.value.field == "cursor"
    with pytest.raises(TypeError):
        audit.query_json(colour="red")


def test_verify_reports_an_intact_chain(store: Store) -> None:
    for i in range(5):
        store.audit.append(entry(i))
    report = store.audit.verify()
    assert report.ok and report.reason == "intact" and report.broken_id is None
    assert (report.rows_checked, report.first_seq, report.last_seq) == (5, 1, 5)
    assert len(report.last_hash) == 64 and report.json["ok"] is True


def test_verify_names_the_row_a_superuser_edited(store: Store, db_url: str) -> None:
    for i in range(6):
        store.audit.append(entry(i))
    edited = pgtest.value(db_url, "SELECT id FROM action_logs WHERE seq = 4")
    tamper(db_url, "UPDATE action_logs SET target = 'forged' WHERE seq = 4")
    report = store.audit.verify()
    assert not report.ok and report.reason == "edited"
    assert report.broken_id == edited and report.broken_seq == 4


def test_verify_names_the_row_after_a_deleted_one(store: Store, db_url: str) -> None:
    for i in range(6):
        store.audit.append(entry(i))
    after = pgtest.value(db_url, "SELECT id FROM action_logs WHERE seq = 4")
    tamper(db_url, "DELETE FROM action_logs WHERE seq = 3")
    report = store.audit.verify()
    assert not report.ok and report.reason == "deleted" and report.broken_id == after


def test_database_refuses_updates(store: Store, db_url: str) -> None:
    store.audit.append(entry())
    with pytest.raises(RuntimeError, match="SQL failed"):
        pgtest.query(db_url, "UPDATE action_logs SET target = 'x'")


def test_retention_is_audited_and_keeps_the_chain_verifiable(store: Store, db_url: str) -> None:
    for i in range(8):
        store.audit.append(entry(i))
    removed = store.audit.apply_retention(entry(user_id="admin-1"), dt.timedelta(0))
    assert removed == 8
    rows = store.audit.query()
    assert [r.action for r in rows] == ["audit.retention"] and rows[0].user_id == "admin-1"
    assert store.audit.verify().ok
    with pytest.raises(InvalidInputError):
        store.audit.apply_retention(entry(user_id=""), 0)


def test_entry_version_is_checked_by_the_library(store: Store) -> None:
    from monitorage import _ffi

    c_entry = entry()._to_c()
    c_entry.version = 99
    with pytest.raises(VersionError):
        _ffi.lib.mon_audit_append(None, store._handle, c_entry)
