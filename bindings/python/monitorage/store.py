"""The PostgreSQL store: migrations, endpoints, health history, status, uptime, retention."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import os
from ctypes import POINTER, byref, c_int, c_int64, c_void_p, pointer as _pointer
from typing import TYPE_CHECKING, Any, Iterable, Iterator, List, Optional, Union

from . import _ffi, errors
from ._ffi import EndpointListP, EndpointP, HistoryListP, StatusListP, StoreP, UptimeListP, lib
from ._handle import Handle
from .endpoint import Endpoint, EndpointType

if TYPE_CHECKING:
    from .audit import Audit
    from .incident import Incidents, MaintenanceWindows

Duration = Union[_dt.timedelta, int, float]


class Status(str, enum.Enum):
    """Health of one check (``health_status`` in PostgreSQL)."""

    UP = "UP"
    DOWN = "DOWN"
    DEGRADED = "DEGRADED"
    UNKNOWN = "UNKNOWN"

    def to_c(self) -> int:
        out = c_int()
        lib.mon_status_parse(byref(out), self.value.encode())
        return out.value

    @classmethod
    def from_c(cls, value: int) -> "Status":
        member = _STATUS_BY_C.get(value)
        if member is None:  # a value newer than these bindings: ValueError with its name
            member = cls(_ffi.text(lib.mon_status_name(value)))
        return member

    @classmethod
    def coerce(cls, value: Any, field: str = "status") -> "Status":
        try:
            return cls(value)
        except ValueError:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL",
                                           "%s: must be UP, DOWN, DEGRADED or UNKNOWN" % field, field) from None


# C value -> member, read once from the library.
_STATUS_BY_C = {member.to_c(): member for member in Status}


@dataclasses.dataclass
class CheckRecord:
    """One check result to record with :meth:`Store.insert_history`. Timings in ms; None = unknown."""

    endpoint_id: str
    status: Status
    status_code: int = 0
    latency_ms: Optional[int] = None
    error_message: Optional[str] = None
    checked_at: Optional[_dt.datetime] = None  # None = now
    dns_ms: Optional[float] = None
    connect_ms: Optional[float] = None
    tls_ms: Optional[float] = None
    ttfb_ms: Optional[float] = None

    def _to_c(self) -> _ffi.CheckRecord:
        record = _ffi.CheckRecord()
        lib.mon_check_record_init(byref(record), _ffi.CHECK_RECORD_VERSION)
        endpoint_id = _ffi.arg(self.endpoint_id, "endpoint_id") or b""
        if len(endpoint_id) > 36:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "endpoint_id: not a UUID", "endpoint_id")
        record.endpoint_id = endpoint_id
        record.status = Status.coerce(self.status).to_c()
        record.status_code = self.status_code
        record.latency_ms = -1 if self.latency_ms is None else self.latency_ms
        record.error_message = _ffi.arg(self.error_message, "error_message")
        record.checked_at = _ffi.from_datetime(self.checked_at, "checked_at")
        for name in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms"):
            value = getattr(self, name)
            setattr(record, name, -1.0 if value is None else value)
        return record


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One stored check result. Timings in ms; None when unknown."""

    id: str
    endpoint_id: str
    status: Status
    status_code: Optional[int]
    latency_ms: Optional[int]
    error_message: Optional[str]
    checked_at: Optional[_dt.datetime]
    dns_ms: Optional[float]
    connect_ms: Optional[float]
    tls_ms: Optional[float]
    ttfb_ms: Optional[float]

    @classmethod
    def _from_c(cls, e: _ffi.HistoryEntry) -> "HistoryEntry":
        return cls(
            id=_ffi.text(e.id) or "",
            endpoint_id=_ffi.text(e.endpoint_id) or "",
            status=Status.from_c(e.status),
            status_code=e.status_code or None,
            latency_ms=None if e.latency_ms < 0 else e.latency_ms,
            error_message=_ffi.text(e.error_message),
            checked_at=_ffi.to_datetime(e.checked_at),
            dns_ms=_ffi.optional_ms(e.dns_ms),
            connect_ms=_ffi.optional_ms(e.connect_ms),
            tls_ms=_ffi.optional_ms(e.tls_ms),
            ttfb_ms=_ffi.optional_ms(e.ttfb_ms),
        )


@dataclasses.dataclass(frozen=True)
class StatusEntry:
    """Latest status of one endpoint (status UNKNOWN and last_check None when never checked)."""

    endpoint_id: str
    name: str
    type: EndpointType
    url: str
    enabled: bool
    status: Status
    status_code: Optional[int]
    latency_ms: Optional[int]
    error_message: Optional[str]
    last_check: Optional[_dt.datetime]

    @classmethod
    def _from_c(cls, e: _ffi.StatusEntry) -> "StatusEntry":
        return cls(
            endpoint_id=_ffi.text(e.endpoint_id) or "",
            name=_ffi.text(e.name) or "",
            type=EndpointType.from_c(e.type),
            url=_ffi.text(e.url) or "",
            enabled=bool(e.enabled),
            status=Status.from_c(e.status),
            status_code=e.status_code or None,
            latency_ms=None if e.latency_ms < 0 else e.latency_ms,
            error_message=_ffi.text(e.error_message),
            last_check=_ffi.to_datetime(e.last_check),
        )


@dataclasses.dataclass(frozen=True)
class UptimeEntry:
    """Availability and latency of one endpoint over a window ending now."""

    endpoint_id: str
    window: _dt.timedelta
    checks: int
    up: int
    degraded: int
    down: int
    unknown: int
    uptime_percent: Optional[float]  # None when there were no checks
    p50_ms: Optional[float]
    p95_ms: Optional[float]
    p99_ms: Optional[float]

    @classmethod
    def _from_c(cls, e: _ffi.UptimeEntry) -> "UptimeEntry":
        return cls(
            endpoint_id=_ffi.text(e.endpoint_id) or "",
            window=_dt.timedelta(seconds=e.window_seconds),
            checks=e.checks,
            up=e.up,
            degraded=e.degraded,
            down=e.down,
            unknown=e.unknown,
            uptime_percent=None if e.uptime_percent < 0 else e.uptime_percent,
            p50_ms=_ffi.optional_ms(e.p50_ms),
            p95_ms=_ffi.optional_ms(e.p95_ms),
            p99_ms=_ffi.optional_ms(e.p99_ms),
        )


class EndpointPage(List[Endpoint]):
    """A page of endpoints (a list) with ``total``: how many match the filter, ignoring paging."""

    total: int = 0

    def close(self) -> None:
        """Free every endpoint of the page now."""
        for endpoint in self:
            endpoint.close()


class _List(Handle):
    """A C list freed once its rows are copied out."""

    def __init__(self, pointer: c_void_p, free: Any, count: Any, at: Any) -> None:
        self._adopt(pointer)
        self._free_fn, self._count, self._at = free, count, at

    def close(self) -> None:
        pointer, self._ptr = self._ptr, None
        if pointer is not None and pointer.value:
            self._free_fn(pointer)

    def rows(self) -> Iterator[Any]:
        handle = self._handle
        for index in range(self._count(handle)):
            yield self._at(handle, index)


def _to_json(function: Any, handle: c_void_p) -> Any:
    out = c_void_p()
    function(byref(out), handle)
    return json.loads(_ffi.take_string(out))


class Store(Handle):
    """A connection to the database. Use one store per thread.

    ``Store(url)`` connects (``url`` defaults to the DATABASE_URL environment
    variable); ``with Store(url) as store:`` closes it at the end of the block.
    """

    _free = lib.mon_store_close
    _what = "Store"

    def __init__(self, database_url: Optional[str] = None) -> None:
        if database_url is None:
            database_url = os.environ.get("DATABASE_URL")
            if not database_url:
                raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL",
                                               "database_url: not given and DATABASE_URL is not set",
                                               "database_url")
        pointer = StoreP()
        lib.mon_store_open(byref(pointer), _ffi.arg(database_url, "database_url"))
        self._adopt(pointer)

    def ping(self) -> None:
        """Round trip to the server (reconnecting once); raises ConnectionError if unreachable."""
        lib.mon_store_ping(self._handle)

    # ------------------------------------------------------------ migrations

    def migrate(self) -> int:
        """Apply the embedded migrations not applied yet; returns how many ran."""
        applied = c_int()
        lib.mon_store_migrate(self._handle, byref(applied))
        return applied.value

    def migrations_pending(self) -> int:
        """How many embedded migrations the database lacks (VersionError if it is newer)."""
        pending = c_int()
        lib.mon_store_migrations_pending(self._handle, byref(pending))
        return pending.value

    @staticmethod
    def migration_names() -> List[str]:
        """Names of the migrations embedded in the library, in order."""
        return [_ffi.text(lib.mon_store_migration_name(i)) or "" for i in range(lib.mon_store_migration_count())]

    # ------------------------------------------------------------ endpoints

    def create_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Insert endpoint; it receives its id (generated if unset) and time stamps. Returns it."""
        lib.mon_store_endpoint_create(self._handle, endpoint._handle)
        return endpoint

    def get_endpoint(self, endpoint_id: str) -> Endpoint:
        """Read one endpoint (NotFoundError if absent, InvalidInputError for a malformed id)."""
        pointer = EndpointP()
        lib.mon_store_endpoint_get(byref(pointer), self._handle, _ffi.arg(endpoint_id, "id"))
        return Endpoint._from_pointer(pointer)

    def update_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Replace the stored endpoint with endpoint's id; it receives the new updated_at."""
        lib.mon_store_endpoint_update(self._handle, endpoint._handle)
        return endpoint

    def delete_endpoint(self, endpoint: Union[str, Endpoint]) -> None:
        """Delete an endpoint (given or by id) and its history."""
        endpoint_id = endpoint.id if isinstance(endpoint, Endpoint) else endpoint
        lib.mon_store_endpoint_delete(self._handle, _ffi.arg(endpoint_id or "", "id"))

    def list_endpoints(self, *, type: Optional[Union[str, EndpointType]] = None, enabled: Optional[bool] = None,
                       status: Optional[Union[str, Status]] = None, limit: int = 100,
                       offset: int = 0) -> EndpointPage:
        """One page of endpoints ordered by name then id, filtered by type, enabled and latest status."""
        filt = _ffi.EndpointFilter()
        lib.mon_endpoint_filter_init(byref(filt), _ffi.ENDPOINT_FILTER_VERSION)
        if type is not None:
            filt.type = EndpointType.coerce(type, "filter.type").to_c()
        if enabled is not None:
            filt.enabled = int(bool(enabled))
        if status is not None:
            filt.status = Status.coerce(status, "filter.status").to_c()
        if limit < 0 or offset < 0:
            field = "filter.limit" if limit < 0 else "filter.offset"
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "%s: must not be negative" % field, field)
        filt.limit, filt.offset = limit, offset
        pointer = EndpointListP()
        lib.mon_store_endpoint_list(byref(pointer), self._handle, byref(filt))
        page = EndpointPage()
        with _List(pointer, lib.mon_endpoint_list_free, lib.mon_endpoint_list_count,
                   lib.mon_endpoint_list_at) as rows:
            page.total = lib.mon_endpoint_list_total(rows._handle)
            for borrowed in rows.rows():
                copy = EndpointP()
                lib.mon_endpoint_dup(byref(copy), borrowed)
                page.append(Endpoint._from_pointer(copy))
        return page

    def iter_endpoints(self, *, page_size: int = 100, **filters: Any) -> Iterator[Endpoint]:
        """Every endpoint matching the filters of list_endpoints(), fetched a page at a time."""
        offset = 0
        while True:
            page = self.list_endpoints(limit=page_size, offset=offset, **filters)
            yield from page
            offset += len(page)
            if not page or offset >= page.total:
                return

    # ------------------------------------------------------------ history

    def insert_history(self, records: Iterable[CheckRecord]) -> None:
        """Write check results in one batch: all or none (NotFoundError if an endpoint is unknown)."""
        converted = [record._to_c() for record in records]
        if not converted:
            return
        array = (POINTER(_ffi.CheckRecord) * len(converted))(*[_pointer(r) for r in converted])
        lib.mon_store_history_insert(self._handle, array, len(converted))

    def _history(self, endpoint_id: str, since: Optional[_dt.datetime], until: Optional[_dt.datetime],
                 limit: int) -> _List:
        pointer = HistoryListP()
        lib.mon_store_history(byref(pointer), self._handle, _ffi.arg(endpoint_id, "endpoint_id"),
                              _ffi.from_datetime(since, "from"), _ffi.from_datetime(until, "to"), limit)
        return _List(pointer, lib.mon_history_list_free, lib.mon_history_list_count, lib.mon_history_list_at)

    def history(self, endpoint_id: str, *, since: Optional[_dt.datetime] = None,
                until: Optional[_dt.datetime] = None, limit: int = 100) -> List[HistoryEntry]:
        """Results of one endpoint with since <= checked_at < until, newest first (limit 1..10000)."""
        with self._history(endpoint_id, since, until, limit) as rows:
            return [HistoryEntry._from_c(row.contents) for row in rows.rows()]

    def history_json(self, endpoint_id: str, *, since: Optional[_dt.datetime] = None,
                     until: Optional[_dt.datetime] = None, limit: int = 100) -> List[Any]:
        """Same as history(), as the library's JSON (decoded)."""
        with self._history(endpoint_id, since, until, limit) as rows:
            return _to_json(lib.mon_history_list_to_json, rows._handle)

    def _status(self) -> _List:
        pointer = StatusListP()
        lib.mon_store_status_list(byref(pointer), self._handle)
        return _List(pointer, lib.mon_status_list_free, lib.mon_status_list_count, lib.mon_status_list_at)

    def status(self) -> List[StatusEntry]:
        """Latest status of every endpoint, ordered by name then id."""
        with self._status() as rows:
            return [StatusEntry._from_c(row.contents) for row in rows.rows()]

    def status_json(self) -> List[Any]:
        with self._status() as rows:
            return _to_json(lib.mon_status_list_to_json, rows._handle)

    def _uptime(self, window: Duration, endpoint_id: Optional[str]) -> _List:
        pointer = UptimeListP()
        lib.mon_store_uptime(byref(pointer), self._handle, _ffi.arg(endpoint_id, "endpoint_id"),
                             _ffi.seconds(window, "window_seconds"))
        return _List(pointer, lib.mon_uptime_list_free, lib.mon_uptime_list_count, lib.mon_uptime_list_at)

    def uptime(self, window: Duration = _dt.timedelta(days=1),
               endpoint_id: Optional[str] = None) -> List[UptimeEntry]:
        """Uptime and latency percentiles over the last window (60 s..31 days), one entry per endpoint."""
        with self._uptime(window, endpoint_id) as rows:
            return [UptimeEntry._from_c(row.contents) for row in rows.rows()]

    def uptime_json(self, window: Duration = _dt.timedelta(days=1),
                    endpoint_id: Optional[str] = None) -> List[Any]:
        with self._uptime(window, endpoint_id) as rows:
            return _to_json(lib.mon_uptime_list_to_json, rows._handle)

    def overview(self, *, type: Optional[Union[str, EndpointType]] = None, enabled: Optional[bool] = None,
                 status: Optional[Union[str, Status]] = None, limit: int = 1000, offset: int = 0,
                 recent: int = 30) -> Any:
        """A dashboard's overview in one query (mon_store_status_overview): {"items": [the members of
        status_json() plus "uptime_24h_percent" (as uptime(86400) reports it), "recent_latency_ms" and
        "recent_status" of the latest `recent` (0..60) checks, oldest first], "total", "limit", "offset",
        "recent"}, filtered like list_endpoints() (limit 1..10000)."""
        options = _ffi.OverviewOptions()
        lib.mon_overview_options_init(byref(options), _ffi.OVERVIEW_OPTIONS_VERSION)
        if type is not None:
            options.type = EndpointType.coerce(type, "options.type").to_c()
        if enabled is not None:
            options.enabled = int(bool(enabled))
        if status is not None:
            options.status = Status.coerce(status, "options.status").to_c()
        for field, value in (("limit", limit), ("offset", offset), ("recent", recent)):
            if value < 0:
                raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL",
                                               "options.%s: must not be negative" % field, "options." + field)
        options.limit, options.offset, options.recent = limit, offset, recent
        out = c_void_p()
        lib.mon_store_status_overview(byref(out), self._handle, byref(options))
        return json.loads(_ffi.take_string(out))

    def apply_retention(self, older_than: Duration) -> int:
        """Delete history older than older_than (at least a day); returns the rows removed."""
        deleted = c_int64()
        lib.mon_store_retention_apply(self._handle, _ffi.seconds(older_than, "older_than_seconds"), byref(deleted))
        return deleted.value

    def check_metrics(self) -> Any:
        """Check figures for a metrics exporter: {"checks_total": {status: count}, "phases": [the
        phase timings of each endpoint's latest check]} (metrics.h)."""
        out = c_void_p()
        lib.mon_store_check_metrics_json(byref(out), self._handle)
        return json.loads(_ffi.take_string(out))

    @property
    def incidents(self) -> "Incidents":
        """Incidents and their thresholds (incident policies) in this store's database."""
        from .incident import Incidents

        return Incidents(self)

    @property
    def maintenance(self) -> "MaintenanceWindows":
        """Maintenance windows in this store's database."""
        from .incident import MaintenanceWindows

        return MaintenanceWindows(self)

    @property
    def audit(self) -> "Audit":
        """The audit log kept in this store's database."""
        from .audit import Audit

        return Audit(self)

    def __repr__(self) -> str:
        return "<Store %s>" % ("closed" if self.closed else "open")
