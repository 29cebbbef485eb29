"""No leak across the ctypes boundary: resident memory stays flat over long loops.

Each loop runs a warm-up first (allocator pools, ctypes caches), then measures
resident memory (/proc/self/statm) before and after the real run. A leak of
one C object or one library string per iteration would add megabytes.
"""

from __future__ import annotations

import gc
import os
from typing import Callable

import pytest

from monitorage import Endpoint, SecretKey, Store

pytestmark = pytest.mark.skipif(os.environ.get("MONITORAGE_SANITIZERS") == "1",
                                reason="ASan's quarantine keeps freed memory resident: RSS measures nothing there")

PAGE = os.sysconf("SC_PAGE_SIZE")
SLACK = 4 * 1024 * 1024  # bytes of growth tolerated (allocator noise)


def rss() -> int:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * PAGE


def growth(step: Callable[[int], None], iterations: int, warmup: int) -> int:
    for i in range(warmup):
        step(i)
    gc.collect()
    before = rss()
    for i in range(iterations):
        step(i)
    gc.collect()
    return rss() - before


def test_100k_endpoints_created_and_freed_keep_rss_flat() -> None:
    def step(i: int) -> None:
        ep = Endpoint(name="endpoint %d" % i, type="DOMAIN", url="https://e%d.example.com/health" % i,
                      headers={"X-Request": str(i)})
        ep.to_json()
        ep.copy().close()
        if i % 2:
            ep.close()  # deterministic free; the other half is freed by the garbage collector

    grew = growth(step, 100_000, 5_000)
    print("endpoint create/free x100000: RSS grew by %.1f KiB" % (grew / 1024))
    assert grew < SLACK


def test_100k_validation_errors_keep_rss_flat() -> None:
    ep = Endpoint(name="x", type="APIM", url="https://example.com")

    def step(i: int) -> None:
        try:
            ep.url = "ftp://bad/%d" % i
        except ValueError:
            pass

    grew = growth(step, 100_000, 5_000)
    print("rejected setter x100000: RSS grew by %.1f KiB" % (grew / 1024))
    assert grew < SLACK


def test_10k_secret_round_trips_keep_rss_flat() -> None:
    key = SecretKey(SecretKey.new_hex())

    def step(i: int) -> None:
        assert key.decrypt(key.encrypt(b"credential %d" % i)) == b"credential %d" % i

    grew = growth(step, 10_000, 1_000)
    print("secret encrypt/decrypt x10000: RSS grew by %.1f KiB" % (grew / 1024))
    assert grew < SLACK


@pytest.mark.integration
def test_10k_store_list_calls_keep_rss_flat(store: Store) -> None:
    for i in range(5):
        store.create_endpoint(Endpoint(name="E%d" % i, type="APIM", url="https://e%d.example.com" % i))

    def step(i: int) -> None:
        page = store.list_endpoints(limit=5)
        assert len(page) == 5
        if i % 10 == 0:
            assert len(store.status()) == 5

    grew = growth(step, 10_000, 500)
    print("store list x10000: RSS grew by %.1f KiB" % (grew / 1024))
    assert grew < SLACK


@pytest.mark.integration
def test_5k_incident_and_notification_json_calls_keep_rss_flat(store: Store) -> None:
    import datetime as dt

    from monitorage import Actor, CheckRecord, InvalidInputError, Notifications, Status

    for i in range(5):
        ep = store.create_endpoint(Endpoint(name="E%d" % i, type="APIM", url="https://e%d.example.com" % i))
        store.insert_history([CheckRecord(endpoint_id=ep.id, status=Status.DOWN, error_message="HTTP 503 " * 20,
                                          checked_at=dt.datetime.now(dt.timezone.utc))])
    store.maintenance.create({"name": "w", "endpoint_type": "DOMAIN", "kind": "weekly", "weekdays": [1],
                              "start_time": "03:00", "duration_s": 3600, "time_zone": "Europe/Paris"})
    notifications = Notifications(store)
    actor = Actor(user_id="u1", user_email="ops@example.com", roles=["admin"])

    def step(i: int) -> None:
        assert len(store.incidents.list()) == 5
        assert len(store.maintenance.list()) == 1
        assert notifications.rules() == [] and notifications.outbox() == []
        if i % 10 == 0:  # a refused change: the error path with an actor (and an audit row)
            try:
                store.maintenance.create({"name": ""}, actor=actor)
            except InvalidInputError:
                pass

    grew = growth(step, 5_000, 300)
    print("incident/maintenance/notify JSON x5000: RSS grew by %.1f KiB" % (grew / 1024))
    assert grew < SLACK
