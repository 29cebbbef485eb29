"""The checker: many HTTP(S) checks at once, each judged UP / DOWN / DEGRADED / UNKNOWN.

Results arrive as :class:`CheckResult` dataclasses with their phase timings.
Python callbacks given to :meth:`Checker.submit` run on the thread driving the
checker (inside :meth:`Checker.run` or :meth:`Checker.process`); an exception
they raise never unwinds into C: it is kept and raised again by the driving
call once the library has returned, so nothing is lost or left half-done.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import itertools
from ctypes import byref, c_char_p, c_size_t, c_void_p
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _ffi, errors
from ._ffi import CheckerP, CheckResultP, EndpointP, lib
from ._handle import Handle
from .connector import Connectors
from .endpoint import Endpoint
from .store import CheckRecord, Status

POLL_IN = 1
POLL_OUT = 2
POLL_REMOVE = 4
POLL_ERR = 8
TIMEOUT = -1  # MON_CHECKER_TIMEOUT: the fd to give process() when the timeout expired


@dataclasses.dataclass(frozen=True)
class PhaseTimings:
    """Phase durations of the last attempt in ms; None when the phase did not happen."""

    dns_ms: Optional[float]
    connect_ms: Optional[float]
    tls_ms: Optional[float]
    ttfb_ms: Optional[float]
    total_ms: Optional[float]


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The result of one check."""

    endpoint_id: Optional[str]  # None when the endpoint had no id
    url: str
    status: Status
    status_code: Optional[int]  # None when there was no answer
    latency_ms: Optional[int]
    error_message: Optional[str]  # why it is not UP; None when UP
    attempts: int
    timings: PhaseTimings
    cert_expires_at: Optional[_dt.datetime]
    remote_ip: Optional[str]
    checked_at: Optional[_dt.datetime]
    body_truncated: bool
    body_bytes: int

    @classmethod
    def _from_c(cls, r: _ffi.CheckResult) -> "CheckResult":
        t = _ffi.text
        ms = _ffi.optional_ms
        return cls(
            endpoint_id=t(r.endpoint_id) or None,
            url=t(r.url) or "",
            status=Status.from_c(r.status),
            status_code=r.status_code or None,
            latency_ms=None if r.latency_ms < 0 else r.latency_ms,
            error_message=t(r.error_message),
            attempts=r.attempts,
            timings=PhaseTimings(ms(r.dns_ms), ms(r.connect_ms), ms(r.tls_ms), ms(r.ttfb_ms), ms(r.total_ms)),
            cert_expires_at=_ffi.to_datetime(r.cert_expires_at),
            remote_ip=t(r.remote_ip) or None,
            checked_at=_ffi.to_datetime(r.checked_at),
            body_truncated=bool(r.body_truncated),
            body_bytes=r.body_bytes,
        )

    def to_record(self) -> CheckRecord:
        """The history record to give Store.insert_history() (the endpoint must have an id)."""
        if not self.endpoint_id:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "endpoint_id: the endpoint has no id",
                                           "endpoint_id")
        return CheckRecord(endpoint_id=self.endpoint_id, status=self.status, status_code=self.status_code or 0,
                           latency_ms=self.latency_ms, error_message=self.error_message,
                           checked_at=self.checked_at, dns_ms=self.timings.dns_ms,
                           connect_ms=self.timings.connect_ms, tls_ms=self.timings.tls_ms,
                           ttfb_ms=self.timings.ttfb_ms)


def checker_options(*, max_in_flight: Optional[int] = None, body_limit: Optional[int] = None,
                    user_agent: Optional[str] = None, retry_delay_ms: Optional[int] = None,
                    ca_file: Optional[str] = None, resolve: Optional[Sequence[str]] = None,
                    ip_version: int = 0) -> Tuple[_ffi.CheckerOptions, Any]:
    """A mon_checker_options from keywords (None keeps the default), and what must outlive it."""
    options = _ffi.CheckerOptions()
    lib.mon_checker_options_init(byref(options), _ffi.CHECKER_OPTIONS_VERSION)
    if max_in_flight is not None:
        options.max_in_flight = max_in_flight
    if body_limit is not None:
        options.body_limit = body_limit
    if retry_delay_ms is not None:
        options.retry_delay_ms = retry_delay_ms
    options.user_agent = _ffi.arg(user_agent, "user_agent")
    options.ca_file = _ffi.arg(ca_file, "ca_file")
    keep = None
    if resolve is not None:
        entries = [_ffi.arg(entry, "resolve") for entry in resolve]
        keep = (c_char_p * (len(entries) + 1))(*entries, None)
        options.resolve = keep
    options.ip_version = ip_version
    return options, keep


ResultCallback = Callable[[CheckResult], Any]
TokenCallback = Callable[[Endpoint], Optional[str]]
SocketCallback = Callable[[int, int], Any]


def token_trampoline(token: TokenCallback, raised: List[BaseException]) -> Callable[..., int]:
    """The C token hook calling token(endpoint copy); an exception is appended to raised and the
    check becomes UNKNOWN ("no credentials")."""

    def trampoline(out: Any, endpoint: Any, payload: Any) -> int:
        try:
            copy = EndpointP()
            lib.mon_endpoint_dup(byref(copy), endpoint)
            with Endpoint._from_pointer(copy) as ep:
                value = token(ep)
            if value is not None:
                address = _ffi.malloc_string(_ffi.arg(value, "token") or b"")
                if not address:
                    return errors.ENOMEM
                out[0] = address
            return errors.OK
        except BaseException as exc:
            raised.append(exc)
            return errors.EAUTH

    return trampoline


# The library's own TALEND token hook (checker.h), used when a Connectors registry is given as token=.
_TALEND_TOKEN = _ffi.CHECKER_TOKEN_FN(("mon_checker_talend_token", lib))


def token_hook(token: Union[TokenCallback, Connectors], raised: List[BaseException]) -> Tuple[Any, Any]:
    """(C hook, payload) for token=: a Connectors registry is the library's TALEND hook over it
    (no Python in the loop), a callable goes through token_trampoline()."""
    if isinstance(token, Connectors):
        return _TALEND_TOKEN, token._handle
    return _ffi.CHECKER_TOKEN_FN(token_trampoline(token, raised)), None


class Checker(Handle):
    """Runs checks concurrently on one libcurl multi handle. Use one checker per thread.

    Blocking use::

        with Checker() as checker:
            results = checker.check_all([ep1, ep2])

    Event-loop use: :meth:`set_socket_callback` or :meth:`fds`, :meth:`timeout_ms`
    and :meth:`process` (see docs/python.md).
    """

    _free = lib.mon_checker_free
    _what = "Checker"
    _in_socket_callback = False

    def __init__(self, *, max_in_flight: Optional[int] = None, body_limit: Optional[int] = None,
                 user_agent: Optional[str] = None, retry_delay_ms: Optional[int] = None,
                 ca_file: Optional[str] = None, resolve: Optional[Sequence[str]] = None, ip_version: int = 0,
                 token: Optional[Union[TokenCallback, Connectors]] = None) -> None:
        options, self._keep = checker_options(max_in_flight=max_in_flight, body_limit=body_limit,
                                              user_agent=user_agent, retry_delay_ms=retry_delay_ms, ca_file=ca_file,
                                              resolve=resolve, ip_version=ip_version)
        self._errors: List[BaseException] = []
        self._callbacks: Dict[int, Tuple[Endpoint, Optional[ResultCallback]]] = {}
        self._tokens = itertools.count(1)
        self._unclaimed: List[CheckResult] = []
        self._driving = 0
        self._in_socket_callback = False
        self._socket_cb: Any = None
        self._token_cb: Any = None
        if token is not None:
            self._token_cb, options.token_payload = token_hook(token, self._errors)
            options.token_cb = self._token_cb
        self._result_cb = _ffi.CHECK_FN(self._on_result)
        pointer = CheckerP()
        lib.mon_checker_new(byref(pointer), byref(options))
        self._adopt(pointer)
        if isinstance(token, Connectors):
            self._depend_on(token)  # the hook borrows the registry

    # ------------------------------------------------------------ callbacks

    def _on_result(self, checker: Any, result: Any, payload: Any) -> None:
        try:
            _endpoint, callback = self._callbacks.pop(payload or 0)
            converted = CheckResult._from_c(result.contents)
            if callback is None:
                self._unclaimed.append(converted)
            else:
                callback(converted)
        except BaseException as exc:
            self._errors.append(exc)

    @property
    def _handle(self) -> Any:
        if self._in_socket_callback:
            raise RuntimeError("the socket callback must only record the request, not call the Checker")
        return super()._handle

    def _drive(self, function: Any, *args: Any) -> int:
        if self._driving:
            raise RuntimeError("the Checker is already being driven (from its own callback, or another thread)")
        self._driving += 1
        try:
            code = function(self._handle, *args)
        except errors.TimeoutError:
            code = errors.ETIMEOUT
        finally:
            self._driving -= 1
        if self._errors:
            first, self._errors = self._errors[0], []
            raise first
        return code

    # ------------------------------------------------------------ blocking use

    def submit(self, endpoint: Endpoint, callback: Optional[ResultCallback] = None) -> None:
        """Queue a check of endpoint (copied). callback(result) is called once when it finishes;
        without one the result is returned by the next run() (or results())."""
        token = next(self._tokens)
        self._callbacks[token] = (endpoint, callback)
        try:
            lib.mon_checker_submit(self._handle, endpoint._handle, self._result_cb, c_void_p(token))
        except BaseException:
            del self._callbacks[token]
            raise

    @property
    def pending(self) -> int:
        """Checks submitted and not yet reported."""
        return int(lib.mon_checker_pending(self._handle))

    @property
    def in_flight(self) -> int:
        """Checks running now."""
        return int(lib.mon_checker_in_flight(self._handle))

    def run(self, timeout: Optional[float] = None) -> bool:
        """Drive the checker until nothing is pending (True) or timeout seconds passed (False)."""
        timeout_ms = -1 if timeout is None else max(0, int(timeout * 1000))
        return self._drive(lib.mon_checker_run, timeout_ms) == errors.OK

    def results(self) -> List[CheckResult]:
        """Results of the checks submitted without a callback, finished so far (and forgotten here)."""
        out, self._unclaimed = self._unclaimed, []
        return out

    def check_all(self, endpoints: Sequence[Endpoint], timeout: Optional[float] = None) -> List[CheckResult]:
        """Check every endpoint concurrently; results in the order of endpoints."""
        found: Dict[int, CheckResult] = {}
        for index, endpoint in enumerate(endpoints):
            self.submit(endpoint, lambda result, i=index: found.__setitem__(i, result))
        if not self.run(timeout):
            raise errors.TimeoutError(errors.ETIMEOUT, "MON_ETIMEOUT",
                                      "%d check(s) still pending after %s s" % (self.pending, timeout))
        return [found[i] for i in range(len(endpoints))]

    # ------------------------------------------------------------ event loop

    def set_socket_callback(self, callback: Optional[SocketCallback]) -> None:
        """callback(fd, events) when a descriptor must be watched for POLL_IN/POLL_OUT, or no
        longer (POLL_REMOVE); None removes it. Exceptions are raised again by the driving call."""
        if callback is None:
            lib.mon_checker_set_socket_callback(self._handle, _ffi.CHECKER_SOCKET_FN(), None)
            self._socket_cb = None
            return

        def trampoline(checker: Any, fd: int, events: int, payload: Any) -> None:
            self._in_socket_callback = True
            try:
                callback(fd, events)
            except BaseException as exc:
                self._errors.append(exc)
            finally:
                self._in_socket_callback = False

        self._socket_cb = _ffi.CHECKER_SOCKET_FN(trampoline)
        handle = self._handle
        self._driving += 1
        try:
            lib.mon_checker_set_socket_callback(handle, self._socket_cb, None)
        finally:
            self._driving -= 1
        if self._errors:
            first, self._errors = self._errors[0], []
            raise first

    def fds(self) -> List[Tuple[int, int]]:
        """(fd, events) pairs to watch now, for hosts that poll a list."""
        count = c_size_t()
        cap = 16
        while True:
            array = (_ffi.CheckerFd * cap)()
            lib.mon_checker_fds(self._handle, array, cap, byref(count))
            if count.value <= cap:
                return [(array[i].fd, array[i].events) for i in range(count.value)]
            cap = count.value

    def timeout_ms(self) -> int:
        """Milliseconds until process(TIMEOUT) is due: 0 for now, -1 when nothing is pending."""
        return int(lib.mon_checker_timeout_ms(self._handle))

    def process(self, fd: int = TIMEOUT, events: int = 0) -> None:
        """Act on a ready descriptor (fd, POLL_* events seen) or, with no argument, on the timeout."""
        self._drive(lib.mon_checker_process, fd, events)

    def close(self) -> None:
        if getattr(self, "_driving", 0):
            raise RuntimeError("a Checker cannot be closed from inside its own callbacks")
        super().close()
        self._callbacks = {}


def check_url(url: str, timeout_ms: int = 10000) -> CheckResult:
    """Check one URL now (GET, expecting 200, no retry) with default options; blocks up to timeout_ms."""
    pointer = CheckResultP()
    lib.mon_check_url(byref(pointer), _ffi.arg(url, "url"), timeout_ms)
    try:
        return CheckResult._from_c(pointer.contents)
    finally:
        lib.mon_check_result_free(pointer)

