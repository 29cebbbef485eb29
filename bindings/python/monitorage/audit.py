"""The audit log: who did what to which target; append-only and hash-chained."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
from ctypes import POINTER, byref, c_int, c_int64, c_void_p, create_string_buffer, pointer as _pointer
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from . import _ffi, errors
from ._ffi import AuditListP, lib
from .store import Duration, Store, _List

ID_SIZE = 37  # MON_AUDIT_ID_SIZE


class AuditResult(str, enum.Enum):
    """Result of an audited action (``action_result`` in PostgreSQL)."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"

    def to_c(self) -> int:
        out = c_int()
        lib.mon_audit_result_parse(byref(out), self.value.encode())
        return out.value

    @classmethod
    def from_c(cls, value: int) -> "AuditResult":
        member = _AUDITRESULT_BY_C.get(value)
        if member is None:  # a value newer than these bindings: ValueError with its name
            member = cls(_ffi.text(lib.mon_audit_result_name(value)))
        return member

    @classmethod
    def coerce(cls, value: Any, field: str = "result") -> "AuditResult":
        if isinstance(value, bool):
            return cls.SUCCESS if value else cls.FAILURE
        try:
            return cls(value)
        except ValueError:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "%s: must be SUCCESS or FAILURE" % field,
                                           field) from None


# C value -> member, read once from the library.
_AUDITRESULT_BY_C = {member.to_c(): member for member in AuditResult}


@dataclasses.dataclass
class AuditEntry:
    """One entry to append. user_roles and parameters are Python values (sent as JSON)."""

    action: str
    target: str
    user_id: str
    user_email: str
    user_roles: Optional[List[str]] = None
    ip_address: Optional[str] = None
    user_agent: Optional[str] = None
    parameters: Optional[Dict[str, Any]] = None
    result: Union[AuditResult, str, bool] = AuditResult.SUCCESS
    error_message: Optional[str] = None

    def _to_c(self) -> _ffi.AuditEntry:
        entry = _ffi.AuditEntry()
        lib.mon_audit_entry_init(byref(entry), _ffi.AUDIT_ENTRY_VERSION)
        for name in ("action", "target", "user_id", "user_email", "ip_address", "user_agent", "error_message"):
            setattr(entry, name, _ffi.arg(getattr(self, name), name))
        if self.user_roles is not None:
            entry.user_roles_json = _ffi.arg(json.dumps(self.user_roles), "user_roles")
        if self.parameters is not None:
            entry.parameters_json = _ffi.arg(json.dumps(self.parameters), "parameters")
        entry.result = AuditResult.coerce(self.result).to_c()
        return entry


@dataclasses.dataclass(frozen=True)
class AuditRow:
    """One stored row. parameters are already redacted; seq is -1 for a row outside the chain."""

    id: str
    seq: int
    action: str
    target: str
    user_id: str
    user_email: str
    user_roles: List[str]
    ip_address: Optional[str]
    user_agent: Optional[str]
    parameters: Dict[str, Any]
    result: AuditResult
    error_message: Optional[str]
    created_at: Optional[_dt.datetime]
    prev_hash: Optional[str]
    row_hash: Optional[str]

    @classmethod
    def _from_c(cls, r: _ffi.AuditRow) -> "AuditRow":
        t = _ffi.text
        return cls(
            id=t(r.id) or "",
            seq=r.seq,
            action=t(r.action) or "",
            target=t(r.target) or "",
            user_id=t(r.user_id) or "",
            user_email=t(r.user_email) or "",
            user_roles=json.loads(t(r.user_roles_json) or "[]"),
            ip_address=t(r.ip_address),
            user_agent=t(r.user_agent),
            parameters=json.loads(t(r.parameters_json) or "{}"),
            result=AuditResult.from_c(r.result),
            error_message=t(r.error_message),
            created_at=_ffi.to_datetime(r.created_at),
            prev_hash=t(r.prev_hash_hex),
            row_hash=t(r.row_hash_hex),
        )


class AuditPage(List[AuditRow]):
    """Rows newest first (a list) and ``next_cursor`` for the next page (None on the last)."""

    next_cursor: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """What :meth:`Audit.verify` found. A broken chain is a report with ok False, not an exception."""

    ok: bool
    rows_checked: int
    legacy_rows: int
    first_seq: int
    last_seq: int
    last_hash: str
    reason: str  # "intact", "edited", "deleted", "inserted" or "reordered"
    broken_id: Optional[str]
    broken_seq: int
    elapsed_ms: float
    json: Dict[str, Any]  # the library's own JSON form of the report


class Audit:
    """The audit log of a store's database (``store.audit``). Keeps the store alive."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def append(self, entry: Optional[AuditEntry] = None, **fields: Any) -> str:
        """Append one entry (an AuditEntry or its fields as keywords); returns the new row's id."""
        if entry is None:
            entry = AuditEntry(**fields)
        elif fields:
            raise TypeError("give an AuditEntry or keyword fields, not both")
        c_entry = entry._to_c()
        out = create_string_buffer(ID_SIZE)
        lib.mon_audit_append(out, self._store._handle, byref(c_entry))
        return out.value.decode()

    def append_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries in one transaction, consecutive in the chain: all or none."""
        converted = [entry._to_c() for entry in entries]
        array = (POINTER(_ffi.AuditEntry) * len(converted))(*[_pointer(e) for e in converted])
        lib.mon_audit_append_many(self._store._handle, array, len(converted))

    @staticmethod
    def redact(value: Any) -> Any:
        """The value with every secret-looking key's value replaced by "[REDACTED]", at any depth."""
        out = c_void_p()
        lib.mon_audit_redact_json(byref(out), _ffi.arg(json.dumps(value), "parameters"))
        return json.loads(_ffi.take_string(out))

    def _query(self, user_id: Optional[str], action: Optional[str], target: Optional[str],
               result: Any, since: Optional[_dt.datetime], until: Optional[_dt.datetime], limit: int,
               cursor: Optional[str]) -> _List:
        filt = _ffi.AuditFilter()
        lib.mon_audit_filter_init(byref(filt), _ffi.AUDIT_FILTER_VERSION)
        filt.user_id = _ffi.arg(user_id, "user_id")
        filt.action = _ffi.arg(action, "action")
        filt.target = _ffi.arg(target, "target")
        if result is not None:
            filt.result = AuditResult.coerce(result).to_c()
        filt.from_ = _ffi.from_datetime(since, "from")
        filt.to = _ffi.from_datetime(until, "to")
        if limit < 0:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "limit: must not be negative", "limit")
        filt.limit = limit
        filt.cursor = _ffi.arg(cursor, "cursor")
        pointer = AuditListP()
        lib.mon_audit_query(byref(pointer), self._store._handle, byref(filt))
        return _List(pointer, lib.mon_audit_list_free, lib.mon_audit_list_count, lib.mon_audit_list_at)

    def query(self, *, user_id: Optional[str] = None, action: Optional[str] = None, target: Optional[str] = None,
              result: Optional[Union[AuditResult, str, bool]] = None, since: Optional[_dt.datetime] = None,
              until: Optional[_dt.datetime] = None, limit: int = 100, cursor: Optional[str] = None) -> AuditPage:
        """One page of rows, newest first; pass page.next_cursor as cursor for the next one."""
        with self._query(user_id, action, target, result, since, until, limit, cursor) as rows:
            page = AuditPage(AuditRow._from_c(row.contents) for row in rows.rows())
            page.next_cursor = _ffi.text(lib.mon_audit_list_next_cursor(rows._handle))
        return page

    def query_json(self, **filters: Any) -> Dict[str, Any]:
        """Same as query(), as the library's JSON {"items": [...], "next_cursor": ...} (decoded)."""
        args = dict(user_id=None, action=None, target=None, result=None, since=None, until=None, limit=100,
                    cursor=None)
        unknown = set(filters) - set(args)
        if unknown:
            raise TypeError("unexpected filter(s): %s" % ", ".join(sorted(unknown)))
        args.update(filters)
        with self._query(**args) as rows:  # type: ignore[arg-type]
            out = c_void_p()
            lib.mon_audit_list_to_json(byref(out), rows._handle)
            return json.loads(_ffi.take_string(out))

    def rows(self, *, page_size: int = 100, **filters: Any) -> Iterator[AuditRow]:
        """Every row matching the filters of query(), newest first, a page at a time."""
        yield from _ffi.every_page(lambda cursor: self.query(limit=page_size, cursor=cursor, **filters))

    def verify(self) -> VerifyReport:
        """Walk the whole chain; the report names the first broken row, if any."""
        report = _ffi.AuditVerifyReport()
        lib.mon_audit_verify_report_init(byref(report), _ffi.AUDIT_VERIFY_REPORT_VERSION)
        lib.mon_audit_verify(byref(report), self._store._handle)
        out = c_void_p()
        lib.mon_audit_verify_report_to_json(byref(out), byref(report))
        return VerifyReport(
            ok=bool(report.ok),
            rows_checked=report.rows_checked,
            legacy_rows=report.legacy_rows,
            first_seq=report.first_seq,
            last_seq=report.last_seq,
            last_hash=report.last_hash.decode(),
            reason=_ffi.text(lib.mon_audit_break_name(report.reason)) or "",
            broken_id=report.broken_id.decode() or None,
            broken_seq=report.broken_seq,
            elapsed_ms=report.elapsed_ms,
            json=json.loads(_ffi.take_string(out)),
        )

    def apply_retention(self, actor: AuditEntry, older_than: Duration) -> int:
        """Remove rows older than older_than (recording actor's retention row); returns how many went."""
        removed = c_int64()
        c_actor = actor._to_c()
        lib.mon_audit_retention_apply(byref(removed), self._store._handle, byref(c_actor),
                                      _ffi.seconds(older_than, "older_than_seconds"))
        return removed.value


#: The action mon_audit_retention_apply() records; append() refuses it.
RETENTION_ACTION = "audit.retention"
