"""The scheduler through Python: due endpoints are checked and their results written."""

from __future__ import annotations

import threading
import time
from typing import List, Tuple

import pytest

import pgtest
from monitorage import Endpoint, InvalidInputError, Scheduler, Status, Store


def add(store: Store, base: str, name: str, path: str) -> Endpoint:
    return store.create_endpoint(Endpoint(name=name, type="APIM", url=base + path, check_interval=60,
                                          timeout_ms=2000, retries=0))


def all_due_now(db_url: str) -> None:
    pgtest.query(db_url, "UPDATE endpoint_schedule SET next_check_at = now()")


def test_due_endpoints_are_checked_and_written_with_status_changes(store: Store, db_url: str, base: str) -> None:
    up, down = add(store, base, "up", "/ok"), add(store, base, "down", "/down")
    all_due_now(db_url)
    changes: List[Tuple[str, Status, Status]] = []
    with Scheduler(db_url, owner="py-replica", flush_interval_ms=50, checker={"max_in_flight": 10},
                   on_status=lambda ep, old, new, result: changes.append((ep.name, old, new))) as scheduler:
        assert scheduler.owner == "py-replica"
        deadline = time.monotonic() + 20
        while scheduler.stats().results_written < 2 and time.monotonic() < deadline:
            assert scheduler.step(100)
        assert scheduler.drain(10)
        stats = scheduler.stats()
    assert stats.claimed == 2 and stats.checks_done == 2 and stats.results_written == 2
    assert stats.db_connected and stats.dropped == 0 and stats.lag_p50_ms is not None
    assert sorted(changes) == [("down", Status.UNKNOWN, Status.DOWN), ("up", Status.UNKNOWN, Status.UP)]
    assert store.history(up.id)[0].status is Status.UP
    assert store.history(down.id)[0].status_code == 503


def test_run_returns_after_stop_from_another_thread(store: Store, db_url: str, base: str) -> None:
    add(store, base, "one", "/ok")
    all_due_now(db_url)
    with Scheduler(db_url, flush_interval_ms=50) as scheduler:
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.setdefault("ok", scheduler.run(drain_timeout=10)))
        worker.start()
        deadline = time.monotonic() + 20
        while scheduler.stats().results_written < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(RuntimeError, match="being driven"):
            scheduler.close()
        scheduler.stop()
        worker.join(20)
        assert outcome == {"ok": True}
        assert scheduler.step(0) is False  # stopped
    assert scheduler.closed


def test_an_exception_in_on_status_is_raised_by_step(store: Store, db_url: str, base: str) -> None:
    add(store, base, "x", "/ok")
    all_due_now(db_url)

    def broken(*args: object) -> None:
        raise KeyError("on_status failed")

    with Scheduler(db_url, flush_interval_ms=50, on_status=broken) as scheduler:
        with pytest.raises(KeyError):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                scheduler.step(100)
        scheduler.drain(10)


def test_bad_options_and_old_schemas_are_refused(db_url: str, empty_db_url: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Scheduler(db_url, batch_size=0)
    assert "batch_size" in (caught.value.field or caught.value.message)
    from monitorage import VersionError

    with pytest.raises(VersionError):
        Scheduler(empty_db_url)
