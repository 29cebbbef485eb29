"""Incidents, incident policies and maintenance windows through Python (incident.h)."""

from __future__ import annotations

import datetime as dt

import pytest

from monitorage import (
    Actor,
    CheckRecord,
    Endpoint,
    IncidentPage,
    InvalidInputError,
    NotFoundError,
    Status,
    Store,
)

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
MISSING = "00000000-0000-4000-8000-000000000000"


def _endpoint(store: Store, name: str = "Billing API") -> Endpoint:
    return store.create_endpoint(Endpoint(name=name, type="APIM", url="https://api.example.com/health"))


def _record(store: Store, ep: Endpoint, status: str, seconds_ago: int) -> None:
    store.insert_history([CheckRecord(endpoint_id=ep.id, status=Status(status), status_code=503,
                                      error_message="HTTP 503" if status == "DOWN" else None,
                                      checked_at=NOW - dt.timedelta(seconds=seconds_ago))])


def test_down_result_opens_an_incident_and_up_results_resolve_it(store: Store) -> None:
    ep = _endpoint(store)
    _record(store, ep, "DOWN", 30)  # the global down_threshold is 1
    page = store.incidents.list(endpoint_id=ep.id)
    assert isinstance(page, IncidentPage) and page.next_cursor is None
    assert len(page) == 1
    incident = page[0]
    assert (incident["kind"], incident["state"], incident["endpoint_name"]) == ("down", "open", "Billing API")
    assert incident["first_error"] == "HTTP 503"
    assert store.incidents.list(open=False) == []

    _record(store, ep, "UP", 20)
    _record(store, ep, "UP", 10)  # up_threshold 2
    resolved = store.incidents.get(incident["id"])
    assert resolved["state"] == "resolved" and resolved["resolved_at"] is not None
    assert [event["kind"] for event in resolved["events"]] == ["opened", "resolved"]
    assert store.incidents.list(open=True) == []


def test_incident_pages_follow_the_cursor(store: Store) -> None:
    for i in range(3):
        ep = _endpoint(store, "ep %d" % i)
        _record(store, ep, "DOWN", 60 - i)
    first = store.incidents.list(limit=2)
    assert len(first) == 2 and first.next_cursor is not None
    second = store.incidents.list(limit=2, cursor=first.next_cursor)
    assert len(second) == 1 and second.next_cursor is None
    every = list(store.incidents.iter(page_size=1))
    assert [i["id"] for i in every] == [i["id"] for i in first + second]


def test_incident_errors_name_the_field(store: Store) -> None:
    with pytest.raises(InvalidInputError) as bad:
        store.incidents.list(endpoint_id="not-a-uuid")
    assert bad.value.field == "endpoint_id"
    with pytest.raises(InvalidInputError) as bad:
        store.incidents.list(limit=0)
    assert bad.value.field == "limit"
    with pytest.raises(InvalidInputError) as bad:
        store.incidents.list(limit=-1)
    assert bad.value.field == "limit"
    with pytest.raises(NotFoundError) as missing:
        store.incidents.list(endpoint_id=MISSING)
    assert missing.value.field == "endpoint_id"
    with pytest.raises(NotFoundError):
        store.incidents.get(MISSING)
    with pytest.raises(InvalidInputError) as bad:
        store.incidents.get("x")
    assert bad.value.field == "id"


def test_policy_overrides_are_set_removed_and_audited(store: Store) -> None:
    ep = _endpoint(store)
    assert store.incidents.policy()["down_threshold"] == 1
    actor = Actor(user_id="u1", user_email="ops@example.com", roles=["admin"])
    policy = store.incidents.set_policy(ep.id, down_threshold=3, actor=actor)
    assert policy["down_threshold"] == 3 and policy["overrides"] == {"down_threshold": 3}
    assert store.incidents.policy(ep.id)["down_threshold"] == 3
    _record(store, ep, "DOWN", 30)
    _record(store, ep, "DOWN", 20)
    assert store.incidents.list() == []  # 2 of 3
    assert store.incidents.set_policy(ep.id, down_threshold=None)["overrides"] == {}

    with pytest.raises(InvalidInputError) as bad:
        store.incidents.set_policy(flap_window_s=5)
    assert bad.value.field == "flap_window_s"
    rows = store.audit.query(action="incident_policy.set")
    assert sorted((r.user_id, r.result.value) for r in rows) == [("system", "FAILURE"), ("system", "SUCCESS"),
                                                                 ("u1", "SUCCESS")]
    assert [r.user_email for r in rows if r.user_id == "u1"] == ["ops@example.com"]


def test_maintenance_window_lifecycle(store: Store) -> None:
    ep = _endpoint(store)
    window = store.maintenance.create({
        "name": "db upgrade", "endpoint_id": ep.id, "kind": "once",
        "starts_at": (NOW - dt.timedelta(hours=1)).isoformat(),
        "ends_at": (NOW + dt.timedelta(hours=1)).isoformat()}, actor=Actor(user_id="u1"))
    assert window["active"] is True and window["id"]
    weekly = store.maintenance.create({"name": "weekly deploy", "endpoint_type": "APIM", "kind": "weekly",
                                       "weekdays": ["mon", 3], "start_time": "22:00", "duration_s": 3600,
                                       "time_zone": "Europe/Paris"})
    assert weekly["weekdays"] == [1, 3]
    assert [w["name"] for w in store.maintenance.list()] == ["db upgrade", "weekly deploy"]
    assert [w["name"] for w in store.maintenance.list(ep.id)] == ["db upgrade", "weekly deploy"]

    # A DOWN result inside the window is not counted: no incident.
    _record(store, ep, "DOWN", 10)
    assert store.incidents.list() == []

    changed = store.maintenance.update(weekly["id"], {"duration_s": 7200})
    assert changed["duration_s"] == 7200 and store.maintenance.get(weekly["id"])["duration_s"] == 7200
    store.maintenance.delete(window["id"])
    with pytest.raises(NotFoundError):
        store.maintenance.get(window["id"])
    with pytest.raises(NotFoundError):
        store.maintenance.delete(window["id"])
    assert {r.action for r in store.audit.query(target=weekly["id"])} >= {"maintenance_window.create",
                                                                          "maintenance_window.update"}


def test_maintenance_errors_name_the_field(store: Store) -> None:
    base = {"name": "w", "endpoint_type": "APIM", "kind": "weekly", "weekdays": [1, 8], "start_time": "22:00",
            "duration_s": 3600, "time_zone": "Europe/Paris"}
    with pytest.raises(InvalidInputError) as bad:
        store.maintenance.create(base)
    assert bad.value.field == "weekdays[1]"
    with pytest.raises(InvalidInputError) as bad:
        store.maintenance.create(dict(base, weekdays=[1], time_zone="Mars/Base"))
    assert bad.value.field == "time_zone"
    with pytest.raises(NotFoundError) as missing:
        store.maintenance.create(dict(base, weekdays=[1], endpoint_type=None, endpoint_id=MISSING))
    assert missing.value.field == "endpoint_id"
    with pytest.raises(TypeError):
        store.maintenance.create("{}")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError) as bad:
        store.maintenance.update("x", {})
    assert bad.value.field == "id"
    with pytest.raises(InvalidInputError) as bad:
        store.maintenance.create(dict(base, name="a\0b"))
    assert bad.value.field in ("window", "name")
