"""Notifications of incidents (notify.h, docs/notifications.md): rules saying which events of
which endpoints go where (a signed webhook, a Jira issue, a GLPI ticket), the outbox every
notification waits in, and the dispatcher that delivers it.

Rules and outbox rows are the library's JSON decoded into dicts. A webhook secret is write-only:
it is encrypted with the key given and never returned ("secret_set" says whether one is stored).
"""

from __future__ import annotations

import dataclasses
from ctypes import byref
from typing import Any, Dict, List, Optional

from . import _ffi, errors
from ._ffi import NotifierP, lib
from ._handle import Handle
from .connector import Actor, Connectors
from .incident import _actor, _call, _json_arg
from .secret import SecretKey
from .store import Store


class Notifications:
    """Notification rules and the outbox of a store's database. ``key`` encrypts webhook secrets
    (creating or changing a webhook rule without a key raises EncryptionKeyError)."""

    def __init__(self, store: Store, key: Optional[SecretKey] = None) -> None:
        self._store, self._key = store, key

    @property
    def _key_handle(self) -> Any:
        return self._key._handle if self._key is not None else None

    def create_rule(self, rule: Dict[str, Any], *, actor: Optional[Actor] = None) -> Dict[str, Any]:
        """Store a new rule; returns it as stored. InvalidInputError names the field ("webhook.url"),
        AlreadyExistsError for a taken name. Audited, as every change (a refused one as a failure)."""
        return _call(lib.mon_notify_rule_create, self._store._handle, self._key_handle, _json_arg(rule, "rule"),
                     _actor(actor))

    def update_rule(self, rule_id: str, changes: Dict[str, Any], *,
                    actor: Optional[Actor] = None) -> Dict[str, Any]:
        """Replace the fields given; a channel block is merged key by key (leave the secret out to keep
        it) unless the channel changes. Returns the rule."""
        return _call(lib.mon_notify_rule_update, self._store._handle, self._key_handle, _ffi.arg(rule_id, "id"),
                     _json_arg(changes, "changes"), _actor(actor))

    def delete_rule(self, rule_id: str, *, actor: Optional[Actor] = None) -> None:
        """Delete a rule and its outbox rows (pending notifications are dropped)."""
        lib.mon_notify_rule_delete(self._store._handle, _ffi.arg(rule_id, "id"), _actor(actor))

    def get_rule(self, rule_id: str) -> Dict[str, Any]:
        """One rule (NotFoundError if absent)."""
        return _call(lib.mon_notify_rule_get_json, self._store._handle, _ffi.arg(rule_id, "id"))

    def rules(self) -> List[Dict[str, Any]]:
        """Every rule, ordered by name."""
        return _call(lib.mon_notify_rule_list_json, self._store._handle)

    def outbox(self, *, status: Optional[str] = None, incident_id: Optional[str] = None,
               limit: int = 100) -> List[Dict[str, Any]]:
        """Outbox rows, newest first; status ("pending", "sent", "failed", "skipped") and incident_id
        filter when given; limit 1..1000."""
        if limit < 0:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "limit: must not be negative", "limit")
        return _call(lib.mon_notify_outbox_json, self._store._handle, _ffi.arg(status, "status"),
                     _ffi.arg(incident_id, "incident_id"), limit)


@dataclasses.dataclass(frozen=True)
class NotifyStats:
    """What one Notifier.dispatch() did."""

    claimed: int
    sent: int
    retried: int
    failed: int
    skipped: int
    deferred: int
    lost: int


class Notifier(Handle):
    """A dispatcher of the outbox. store, connectors (for Jira and GLPI rules) and key (for webhook
    secrets) are kept alive, and closing any of them closes the notifier first. Use it from one
    thread at a time; several notifiers may dispatch the same outbox at once."""

    _free = lib.mon_notifier_free
    _what = "Notifier"

    def __init__(self, store: Store, connectors: Optional[Connectors] = None, key: Optional[SecretKey] = None, *,
                 owner: Optional[str] = None, batch: Optional[int] = None, lease_ms: Optional[int] = None,
                 backoff_base_ms: Optional[int] = None, backoff_max_ms: Optional[int] = None,
                 max_attempts: Optional[int] = None) -> None:
        options = _ffi.NotifyOptions()
        lib.mon_notify_options_init(byref(options), _ffi.NOTIFY_OPTIONS_VERSION)
        options.owner = _ffi.arg(owner, "owner")
        for name, value in (("batch", batch), ("lease_ms", lease_ms), ("backoff_base_ms", backoff_base_ms),
                            ("backoff_max_ms", backoff_max_ms), ("max_attempts", max_attempts)):
            if value is not None:
                setattr(options, name, value)
        pointer = NotifierP()
        lib.mon_notifier_new(byref(pointer), store._handle, connectors._handle if connectors is not None else None,
                             key._handle if key is not None else None, byref(options))
        self._adopt(pointer)
        for parent in (store, connectors, key):
            if parent is not None:
                self._depend_on(parent)

    @property
    def owner(self) -> str:
        """The lease owner name ("<host>:<pid>" unless given)."""
        return _ffi.text(lib.mon_notifier_owner(self._handle)) or ""

    def dispatch(self) -> NotifyStats:
        """One pass: claim due rows, deliver them (blocking, each bounded by its timeout), record each
        outcome. Delivery failures are recorded on the rows, not raised."""
        stats = _ffi.NotifyStats()
        stats.version = _ffi.NOTIFY_STATS_VERSION
        lib.mon_notify_dispatch(byref(stats), self._handle)
        return NotifyStats(**{name: getattr(stats, name) for name, _ in _ffi.NotifyStats._fields_[1:]})

    def __repr__(self) -> str:
        return "<Notifier %s>" % ("closed" if self.closed else self.owner)
