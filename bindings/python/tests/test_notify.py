"""Notification rules, the outbox and the dispatcher through Python (notify.h), against a loopback
webhook receiver that checks the signature."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
from typing import Any, Dict, Iterator, List

import pytest

import loopback
from monitorage import (
    Actor,
    AlreadyExistsError,
    CheckRecord,
    Connectors,
    EncryptionKeyError,
    Endpoint,
    InvalidInputError,
    NotFoundError,
    Notifications,
    Notifier,
    NotifyStats,
    SecretKey,
    Status,
    Store,
)

HOOK_SECRET = "py-hook-Secret-4417-abcdef"


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: List[Dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(expected, self.headers.get("X-Monitorage-Signature", ""))
        type(self).received.append({"path": self.path, "signed": signed, "body": json.loads(body),
                                    "delivery": self.headers.get("X-Monitorage-Delivery")})
        self.send_response(200 if signed else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    """URL of a webhook receiver; what it received is in _Receiver.received."""
    _Receiver.received = []
    with loopback.serve(_Receiver) as url:
        yield url + "/hooks/ops"


@pytest.fixture
def key() -> Iterator[SecretKey]:
    with SecretKey(SecretKey.new_hex()) as opened:
        yield opened


def _rule(url: str, name: str = "ops hook", **extra: Any) -> Dict[str, Any]:
    return dict({"name": name, "channel": "webhook",
                 "webhook": {"url": url, "timeout_ms": 2000, "secret": HOOK_SECRET}}, **extra)


def _down(store: Store) -> Endpoint:
    ep = store.create_endpoint(Endpoint(name="Billing API", type="APIM", url="https://api.example.com/health"))
    store.insert_history([CheckRecord(endpoint_id=ep.id, status=Status.DOWN, status_code=503,
                                      error_message="HTTP 503", checked_at=dt.datetime.now(dt.timezone.utc))])
    return ep


def test_rules_are_created_read_updated_and_deleted_without_their_secret(store: Store, key: SecretKey,
                                                                         hook: str) -> None:
    notifications = Notifications(store, key)
    rule = notifications.create_rule(_rule(hook, events=["opened"]), actor=Actor(user_id="u1"))
    assert rule["channel"] == "webhook" and rule["events"] == ["opened"] and rule["enabled"] is True
    assert rule["webhook"]["secret_set"] is True and "secret" not in rule["webhook"]
    assert notifications.get_rule(rule["id"]) == rule
    assert [r["name"] for r in notifications.rules()] == ["ops hook"]

    changed = notifications.update_rule(rule["id"], {"webhook": {"timeout_ms": 2500}, "enabled": False})
    assert changed["webhook"]["timeout_ms"] == 2500 and changed["webhook"]["secret_set"] is True
    assert changed["enabled"] is False

    with pytest.raises(AlreadyExistsError):
        notifications.create_rule(_rule(hook))
    notifications.delete_rule(rule["id"])
    with pytest.raises(NotFoundError):
        notifications.get_rule(rule["id"])
    with pytest.raises(NotFoundError):
        notifications.delete_rule(rule["id"])
    audited = store.audit.query(target=rule["id"])
    assert len(audited) >= 3 and HOOK_SECRET not in json.dumps([r.parameters for r in audited])


def test_rule_errors_name_the_field(store: Store, key: SecretKey) -> None:
    notifications = Notifications(store, key)
    with pytest.raises(InvalidInputError) as bad:
        notifications.create_rule(_rule("ftp://h/x"))
    assert bad.value.field == "webhook.url"
    assert HOOK_SECRET not in str(bad.value)
    with pytest.raises(InvalidInputError) as bad:
        notifications.create_rule(_rule("http://h/x", events=["opened", "exploded"]))
    assert bad.value.field == "events[1]"
    with pytest.raises(InvalidInputError) as bad:
        notifications.outbox(status="lost")
    assert bad.value.field == "status"
    with pytest.raises(InvalidInputError) as bad:
        notifications.outbox(limit=-1)
    assert bad.value.field == "limit"
    with pytest.raises(EncryptionKeyError):
        Notifications(store).create_rule(_rule("http://h/x"))


def test_an_opened_incident_is_delivered_once_signed(store: Store, key: SecretKey, hook: str) -> None:
    notifications = Notifications(store, key)
    rule = notifications.create_rule(_rule(hook))
    ep = _down(store)
    pending = notifications.outbox(status="pending")
    assert [(row["rule_id"], row["event"], row["endpoint_id"]) for row in pending] == [(rule["id"], "opened", ep.id)]

    with Notifier(store, key=key, owner="py-test", backoff_base_ms=10) as notifier:
        assert notifier.owner == "py-test"
        stats = notifier.dispatch()
        assert stats == NotifyStats(claimed=1, sent=1, retried=0, failed=0, skipped=0, deferred=0, lost=0)
        assert notifier.dispatch().claimed == 0
    assert [(r["path"], r["signed"]) for r in _Receiver.received] == [("/hooks/ops", True)]
    assert _Receiver.received[0]["delivery"]
    sent = notifications.outbox(incident_id=pending[0]["incident_id"])
    assert [(row["status"], row["attempts"], row["response_status"]) for row in sent] == [("sent", 1, 200)]


def test_a_notifier_without_the_key_retries_and_keeps_the_row(store: Store, key: SecretKey, hook: str) -> None:
    Notifications(store, key).create_rule(_rule(hook))
    _down(store)
    with Notifier(store, owner="no-key") as notifier:
        stats = notifier.dispatch()
    assert (stats.claimed, stats.sent, stats.retried) == (1, 0, 1)
    assert _Receiver.received == []
    [row] = Notifications(store).outbox()
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"]
    assert HOOK_SECRET not in json.dumps(row)


def test_notifier_options_are_checked_and_parents_kept_alive(db_url: str, key: SecretKey) -> None:
    store = Store(db_url)
    with pytest.raises(InvalidInputError) as bad:
        Notifier(store, batch=0)
    assert bad.value.field == "batch"
    connectors = Connectors(store, key)
    notifier = Notifier(store, connectors, key)
    store.close()  # closes what borrows it first
    assert notifier.closed and connectors.closed
    with pytest.raises(ValueError):
        notifier.dispatch()
