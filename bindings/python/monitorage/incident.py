"""Incidents (opened and resolved by the database from the recorded checks), their thresholds,
and maintenance windows that silence them (incident.h, docs/incidents.md).

Incidents, policies and windows are the library's JSON decoded into dicts and lists (times as
RFC 3339 text, as the library gives them). Changes take an optional :class:`~monitorage.Actor`
whose user fields go into the audit row written for the change; None is the user "system".
"""

from __future__ import annotations

import datetime as _dt
import json
from ctypes import byref, c_void_p
from typing import Any, Dict, Iterator, List, Optional

from . import _ffi, errors
from ._ffi import lib
from .connector import Actor
from .store import Store


def _actor(actor: Optional[Actor]) -> Any:
    return byref(actor._to_audit_entry()) if actor is not None else None


def _json_arg(value: Any, field: str) -> bytes:
    if not isinstance(value, dict):
        raise TypeError("%s: expected dict, got %s" % (field, type(value).__name__))
    return _ffi.arg(json.dumps(value), field) or b""


def _call(function: Any, *args: Any) -> Any:
    """function(char **out, ...) -> the decoded JSON."""
    out = c_void_p()
    function(byref(out), *args)
    return json.loads(_ffi.take_string(out))


class IncidentPage(List[Dict[str, Any]]):
    """A page of incidents (a list of dicts, newest started first) with ``next_cursor`` (None on the
    last page)."""

    next_cursor: Optional[str] = None


class Incidents:
    """The incidents of a store's database: ``store.incidents``. Incidents themselves are written by
    the database (a trigger on the check history); here they are read, and thresholds are set."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def list(self, *, endpoint_id: Optional[str] = None, open: Optional[bool] = None,
             since: Optional[_dt.datetime] = None, until: Optional[_dt.datetime] = None, limit: int = 100,
             cursor: Optional[str] = None) -> IncidentPage:
        """One page of incidents with since <= started_at < until; open True/False keeps open or
        resolved ones only. limit 1..1000; cursor is the previous page's ``next_cursor``."""
        filt = _ffi.IncidentFilter()
        lib.mon_incident_filter_init(byref(filt), _ffi.INCIDENT_FILTER_VERSION)
        filt.endpoint_id = _ffi.arg(endpoint_id, "endpoint_id")
        if open is not None:
            filt.open = int(bool(open))
        filt.from_ = _ffi.from_datetime(since, "from")
        filt.to = _ffi.from_datetime(until, "to")
        if limit < 0:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "limit: must not be negative", "limit")
        filt.limit = limit
        filt.cursor = _ffi.arg(cursor, "cursor")
        data = _call(lib.mon_incident_list_json, self._store._handle, byref(filt))
        page = IncidentPage(data["incidents"])
        page.next_cursor = data.get("next_cursor")
        return page

    def iter(self, *, page_size: int = 100, **filters: Any) -> Iterator[Dict[str, Any]]:
        """Every incident matching the filters of list(), fetched a page at a time."""
        yield from _ffi.every_page(lambda cursor: self.list(limit=page_size, cursor=cursor, **filters))

    def get(self, incident_id: str) -> Dict[str, Any]:
        """One incident with its "events" (opened, resolved) in order (NotFoundError if absent)."""
        return _call(lib.mon_incident_get_json, self._store._handle, _ffi.arg(incident_id, "id"))

    def policy(self, endpoint_id: Optional[str] = None) -> Dict[str, Any]:
        """The thresholds in force for an endpoint (None: the global defaults); an endpoint's own
        settings are in "overrides"."""
        return _call(lib.mon_incident_policy_get_json, self._store._handle, _ffi.arg(endpoint_id, "endpoint_id"))

    def set_policy(self, endpoint_id: Optional[str] = None, *, actor: Optional[Actor] = None,
                   **thresholds: Any) -> Dict[str, Any]:
        """Change down_threshold, up_threshold, flap_transitions, flap_window_s of an endpoint (None:
        the global defaults); for an endpoint a value None removes its override. Returns the policy in
        force. Audited ("incident_policy.set")."""
        return _call(lib.mon_incident_policy_set, self._store._handle, _ffi.arg(endpoint_id, "endpoint_id"),
                     _json_arg(thresholds, "policy"), _actor(actor))


class MaintenanceWindows:
    """Maintenance windows of a store's database: ``store.maintenance``. A window is a dict as in
    incident.h: "name", "endpoint_id" or "endpoint_type", "kind" "once" ("starts_at", "ends_at") or
    "weekly" ("weekdays", "start_time", "duration_s", "time_zone"); stored ones add "id",
    "created_at", "updated_at" and "active"."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, window: Dict[str, Any], *, actor: Optional[Actor] = None) -> Dict[str, Any]:
        """Store a new window; returns it as stored. InvalidInputError names the field ("weekdays[2]")."""
        return _call(lib.mon_maintenance_create, self._store._handle, _json_arg(window, "window"), _actor(actor))

    def get(self, window_id: str) -> Dict[str, Any]:
        """One window (NotFoundError if absent)."""
        return _call(lib.mon_maintenance_get_json, self._store._handle, _ffi.arg(window_id, "id"))

    def list(self, endpoint_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every window, or those applying to one endpoint (its own and its type's), by name then id."""
        return _call(lib.mon_maintenance_list_json, self._store._handle, _ffi.arg(endpoint_id, "endpoint_id"))

    def update(self, window_id: str, changes: Dict[str, Any], *, actor: Optional[Actor] = None) -> Dict[str, Any]:
        """Replace the fields given (None removes one), validate the result as create() does; returns it."""
        return _call(lib.mon_maintenance_update, self._store._handle, _ffi.arg(window_id, "id"),
                     _json_arg(changes, "changes"), _actor(actor))

    def delete(self, window_id: str, *, actor: Optional[Actor] = None) -> None:
        """Delete a window (checks already recorded in it stay marked)."""
        lib.mon_maintenance_delete(self._store._handle, _ffi.arg(window_id, "id"), _actor(actor))
