"""The checker through Python against a loopback HTTP server of the standard library."""

from __future__ import annotations

import selectors
import time
from typing import List

import pytest

from monitorage import Checker, CheckResult, Endpoint, InvalidInputError, Status, Store, check_url
from monitorage import checker as checker_module


def ep(base: str, path: str, name: str = "t", **fields) -> Endpoint:
    return Endpoint(name=name, type="APIM", url=base + path, retries=0, **fields)


def test_check_url_returns_a_dataclass_with_phase_timings(base: str) -> None:
    result = check_url(base + "/ok", 5000)
    assert isinstance(result, CheckResult)
    assert result.status is Status.UP and result.status_code == 200 and result.error_message is None
    assert result.attempts == 1 and result.remote_ip == "127.0.0.1" and result.body_bytes == 5
    t = result.timings
    assert t.total_ms is not None and t.total_ms >= (t.ttfb_ms or 0) and t.tls_ms is None
    assert result.checked_at is not None and result.endpoint_id is None
    with pytest.raises(InvalidInputError):
        check_url("ftp://example.com", 5000)


def test_many_checks_run_concurrently_and_keep_their_order(base: str) -> None:
    endpoints = [ep(base, "/slow", "slow%d" % i) for i in range(8)] + [ep(base, "/down"), ep(base, "/ok")]
    started = time.monotonic()
    with Checker(max_in_flight=20) as checker:
        results = checker.check_all(endpoints, timeout=30)
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == [Status.UP] * 8 + [Status.DOWN, Status.UP]
    assert results[8].status_code == 503 and results[8].error_message == "expected 200, got 503"
    assert elapsed < 8 * 0.4  # concurrent, not one after the other


def test_callbacks_get_results_and_may_submit_more(base: str) -> None:
    seen: List[CheckResult] = []
    with Checker() as checker:
        def first(result: CheckResult) -> None:
            seen.append(result)
            checker.submit(ep(base, "/down"), seen.append)

        checker.submit(ep(base, "/ok"), first)
        checker.submit(ep(base, "/json"))  # no callback: kept for results()
        assert checker.pending == 2
        assert checker.run(timeout=30) is True
        assert checker.pending == 0 and checker.in_flight == 0
        assert [r.status for r in seen] == [Status.UP, Status.DOWN]
        unclaimed = checker.results()
        assert len(unclaimed) == 1 and unclaimed[0].url.endswith("/json") and checker.results() == []


def test_an_exception_in_a_callback_is_raised_by_run_after_the_library_returns(base: str) -> None:
    with Checker() as checker:
        checker.submit(ep(base, "/ok"), lambda result: 1 / 0)
        checker.submit(ep(base, "/ok"))
        with pytest.raises(ZeroDivisionError):
            checker.run(timeout=30)
        assert checker.pending == 0 and len(checker.results()) == 1


def test_a_checker_cannot_be_closed_from_its_own_callback(base: str) -> None:
    with Checker() as checker:
        checker.submit(ep(base, "/ok"), lambda result: checker.close())
        with pytest.raises(RuntimeError, match="cannot be closed"):
            checker.run(timeout=30)
    assert checker.closed


def test_a_callback_cannot_drive_the_checker_again(base: str) -> None:
    with Checker() as checker:
        checker.submit(ep(base, "/ok"), lambda result: checker.run(timeout=1))
        with pytest.raises(RuntimeError, match="already being driven"):
            checker.run(timeout=30)
        assert checker.pending == 0


def test_the_socket_callback_may_not_call_the_checker(base: str) -> None:
    with Checker() as checker:
        checker.set_socket_callback(lambda fd, events: checker.pending)
        checker.submit(ep(base, "/ok"))
        with pytest.raises(RuntimeError, match="only record"):
            checker.run(timeout=30)
        checker.set_socket_callback(None)
        checker.run(timeout=30)


def test_invalid_endpoint_is_refused_at_submit_and_its_callback_never_runs() -> None:
    called = []
    with Checker() as checker:
        with pytest.raises(InvalidInputError) as caught:
            checker.submit(Endpoint(type="APIM", name="no url yet"), called.append)
        assert caught.value.field == "url"
        assert checker.pending == 0 and checker.run(timeout=1) and called == []


def test_bad_options_name_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Checker(max_in_flight=0)
    assert "max_in_flight" in (caught.value.field or caught.value.message)


def test_event_loop_interface_drives_checks_from_a_python_selector(base: str) -> None:
    results: List[CheckResult] = []
    watched = {}
    with Checker() as checker, selectors.DefaultSelector() as selector:
        def on_socket(fd: int, events: int) -> None:
            if fd in watched:
                selector.unregister(fd)
                del watched[fd]
            if events & checker_module.POLL_REMOVE:
                return
            mask = (selectors.EVENT_READ if events & checker_module.POLL_IN else 0) | \
                   (selectors.EVENT_WRITE if events & checker_module.POLL_OUT else 0)
            selector.register(fd, mask)
            watched[fd] = mask

        checker.set_socket_callback(on_socket)
        for path in ("/ok", "/down", "/json"):
            checker.submit(ep(base, path), results.append)
        deadline = time.monotonic() + 30
        while checker.pending and time.monotonic() < deadline:
            timeout = checker.timeout_ms()
            ready = selector.select(None if timeout < 0 else timeout / 1000) if watched else \
                (time.sleep(max(timeout, 0) / 1000) or [])
            if not ready:
                checker.process()
            for key, mask in ready:
                events = (checker_module.POLL_IN if mask & selectors.EVENT_READ else 0) | \
                         (checker_module.POLL_OUT if mask & selectors.EVENT_WRITE else 0)
                checker.process(key.fd, events)
        checker.set_socket_callback(None)
    assert sorted(r.status.value for r in results) == ["DOWN", "UP", "UP"]


def test_fds_lists_descriptors_for_poll_hosts(base: str) -> None:
    with Checker() as checker:
        checker.submit(ep(base, "/slow"))
        checker.process()
        deadline = time.monotonic() + 5
        fds = checker.fds()
        while not fds and time.monotonic() < deadline:
            time.sleep(0.01)
            checker.process()
            fds = checker.fds()
        assert fds and all(isinstance(fd, int) and events for fd, events in fds)
        assert checker.run(timeout=30)


def test_results_become_history_records(base: str, store: Store) -> None:
    endpoint = store.create_endpoint(ep(base, "/ok", "stored"))
    with Checker() as checker:
        result = checker.check_all([endpoint], timeout=30)[0]
    assert result.endpoint_id == endpoint.id
    store.insert_history([result.to_record()])
    row = store.history(endpoint.id)[0]
    assert row.status is Status.UP and row.status_code == 200 and row.ttfb_ms == pytest.approx(
        result.timings.ttfb_ms, abs=0.01)
    with pytest.raises(InvalidInputError):
        check_url(base + "/ok", 5000).to_record()


def test_token_callback_supplies_bearer_tokens_for_talend(base: str) -> None:
    asked: List[str] = []

    def token(endpoint: Endpoint) -> str:
        asked.append(endpoint.name)
        return "tok-123"

    with Checker(token=token) as checker:
        result = checker.check_all([Endpoint(name="job", type="TALEND", url=base + "/ok", retries=0)],
                                   timeout=30)[0]
    assert asked == ["job"] and result.status is Status.UP
