"""The scheduler: checks every enabled endpoint once per interval, shared by replicas
through PostgreSQL leases, results written in batches (buffered while the database is away).

``run()`` blocks in C until :meth:`Scheduler.stop` is called from another thread
(Python signal handlers only run between bytecodes, so a blocked main thread
would not see Ctrl-C): either call ``run()`` in a worker thread, or drive the
scheduler from Python with ``while scheduler.step(100): ...``, then ``drain()``.
"""

from __future__ import annotations

import dataclasses
import os
from ctypes import byref, pointer as _pointer
from typing import Any, Callable, List, Optional, Union

from . import _ffi, errors
from ._ffi import EndpointP, SchedulerP, lib
from ._handle import Handle
from .checker import CheckResult, TokenCallback, checker_options, token_hook
from .connector import Connectors
from .endpoint import Endpoint
from .store import Status

StatusCallback = Callable[[Endpoint, Status, Status, CheckResult], Any]


@dataclasses.dataclass(frozen=True)
class SchedulerStats:
    """Counters since the scheduler was created; lag percentiles None before any check."""

    claimed: int
    checks_done: int
    results_written: int
    dropped: int
    discarded: int
    db_failures: int
    buffered: int
    in_flight: int
    db_connected: bool
    lag_p50_ms: Optional[float]
    lag_p99_ms: Optional[float]
    rejected: int
    last_db_error: str


def _timeout_ms(timeout: Optional[float]) -> int:
    return -1 if timeout is None else max(0, int(timeout * 1000))


class Scheduler(Handle):
    """A scheduler replica on the database at database_url (default DATABASE_URL), whose schema
    must be current. Options left None keep the library's defaults; ``checker`` takes the
    keywords of :class:`~monitorage.Checker` (max_in_flight, user_agent, ca_file, ...).

    ``on_status(endpoint, old, new, result)`` is called on the driving thread when a check's
    status differs from the latest recorded one; an exception it raises is raised again by the
    driving call (``run``, ``step``, ``drain``) once the library has returned.
    """

    _free = lib.mon_scheduler_free
    _what = "Scheduler"

    def __init__(self, database_url: Optional[str] = None, *, owner: Optional[str] = None,
                 batch_size: Optional[int] = None, flush_interval_ms: Optional[int] = None,
                 buffer_capacity: Optional[int] = None, claim_batch: Optional[int] = None,
                 poll_interval_ms: Optional[int] = None, lease_margin_ms: Optional[int] = None,
                 reconnect_max_ms: Optional[int] = None, checker: Optional[dict] = None,
                 token: Optional[Union[TokenCallback, Connectors]] = None,
                 on_status: Optional[StatusCallback] = None) -> None:
        if database_url is None:
            database_url = os.environ.get("DATABASE_URL")
            if not database_url:
                raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL",
                                               "database_url: not given and DATABASE_URL is not set",
                                               "database_url")
        options = _ffi.SchedulerOptions()
        lib.mon_scheduler_options_init(byref(options), _ffi.SCHEDULER_OPTIONS_VERSION)
        options.owner = _ffi.arg(owner, "owner")
        for name, value in (("batch_size", batch_size), ("flush_interval_ms", flush_interval_ms),
                            ("buffer_capacity", buffer_capacity), ("claim_batch", claim_batch),
                            ("poll_interval_ms", poll_interval_ms), ("lease_margin_ms", lease_margin_ms),
                            ("reconnect_max_ms", reconnect_max_ms)):
            if value is not None:
                setattr(options, name, value)
        self._errors: List[BaseException] = []
        self._driving = 0
        c_checker, keep = checker_options(**(checker or {}))
        self._keep = (c_checker, keep)
        if token is not None:
            self._token_cb, c_checker.token_payload = token_hook(token, self._errors)
            c_checker.token_cb = self._token_cb
        options.checker = _pointer(c_checker)
        self._status_cb = None
        if on_status is not None:
            self._status_cb = _ffi.SCHEDULER_STATUS_FN(self._status_trampoline(on_status))
            options.on_status = self._status_cb
        scheduler = SchedulerP()
        lib.mon_scheduler_new(byref(scheduler), _ffi.arg(database_url, "database_url"), byref(options))
        self._adopt(scheduler)
        if isinstance(token, Connectors):
            self._depend_on(token)  # the hook borrows the registry

    def _status_trampoline(self, on_status: StatusCallback) -> Callable[..., None]:
        def trampoline(scheduler: Any, endpoint: Any, old: int, new: int, result: Any, payload: Any) -> None:
            try:
                copy = EndpointP()
                lib.mon_endpoint_dup(byref(copy), endpoint)
                with Endpoint._from_pointer(copy) as ep:
                    on_status(ep, Status.from_c(old), Status.from_c(new), CheckResult._from_c(result.contents))
            except BaseException as exc:
                self._errors.append(exc)

        return trampoline

    def _drive(self, function: Any, *args: Any) -> int:
        if self._driving:
            raise RuntimeError("the Scheduler is already being driven (from its own callback, or another thread)")
        self._driving += 1
        try:
            try:
                code = function(self._handle, *args)
            except (errors.TimeoutError, errors.CanceledError) as exc:
                code = exc.code
        finally:
            self._driving -= 1
        if self._errors:
            first, self._errors = self._errors[0], []
            raise first
        return code

    @property
    def owner(self) -> str:
        """The replica name written as lease owner."""
        return _ffi.text(lib.mon_scheduler_owner(self._handle)) or ""

    def run(self, drain_timeout: Optional[float] = None) -> bool:
        """Schedule until stop(), then drain; True when every result was written."""
        return self._drive(lib.mon_scheduler_run, _timeout_ms(drain_timeout)) == errors.OK

    def step(self, timeout_ms: int = 100) -> bool:
        """One round (claim, wait for check I/O at most timeout_ms, deliver, write); False once stopped."""
        return self._drive(lib.mon_scheduler_step, timeout_ms) == errors.OK

    def drain(self, timeout: Optional[float] = None) -> bool:
        """Stop claiming, finish checks in flight, write every result, release leases; True if all done."""
        return self._drive(lib.mon_scheduler_drain, _timeout_ms(timeout)) == errors.OK

    def stop(self) -> None:
        """Make run() drain and return, and step() return False. Safe from any thread."""
        lib.mon_scheduler_stop(self._handle)

    def stats(self) -> SchedulerStats:
        out = _ffi.SchedulerStats()
        out.version = _ffi.SCHEDULER_STATS_VERSION
        lib.mon_scheduler_stats_get(byref(out), self._handle)
        return SchedulerStats(
            claimed=out.claimed, checks_done=out.checks_done, results_written=out.results_written,
            dropped=out.dropped, discarded=out.discarded, db_failures=out.db_failures, buffered=out.buffered,
            in_flight=out.in_flight, db_connected=bool(out.db_connected),
            lag_p50_ms=_ffi.optional_ms(out.lag_p50_ms), lag_p99_ms=_ffi.optional_ms(out.lag_p99_ms),
            rejected=out.rejected, last_db_error=out.last_db_error.decode("utf-8", "replace"))

    def close(self) -> None:
        if getattr(self, "_driving", 0):
            raise RuntimeError("a Scheduler cannot be closed while it is being driven (stop() it first)")
        super().close()

    def __repr__(self) -> str:
        return "<Scheduler %s>" % ("closed" if self.closed else "owner=%r" % self.owner)
