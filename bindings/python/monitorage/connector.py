"""The connector registry: built-in and Python-defined connector types, their
configuration (credentials encrypted, never returned), tests and actions.

Parameters and results cross as Python values (the library sees JSON text).
A connector type can be written in Python by subclassing :class:`ConnectorType`;
its methods are called by the library through ctypes callbacks. Whatever they
raise never crosses into C: the exception becomes an error code (its
``MonitorageError.code``, or one chosen from its class, see
:func:`code_for_exception`) with the exception's message, which the library
scrubs of credential values, and it is chained as ``__cause__`` of the
:class:`~monitorage.errors.MonitorageError` that test()/run() then raise.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import socket
from ctypes import POINTER, byref, c_char_p, c_int, c_void_p, cast, string_at
from typing import Any, Callable, Dict, List, Optional, Sequence

from . import _ffi, errors
from ._ffi import ConnectorCallP, ConnectorsP, lib
from ._handle import Handle
from .endpoint import Endpoint
from .secret import SecretKey
from .store import Store


class ConnectorRole(enum.IntEnum):
    """Roles, lowest first: who may run an action."""

    READER = 0
    OPERATOR = 1
    ADMIN = 2

    @property
    def label(self) -> str:
        """"reader", "operator" or "admin" (mon_connector_role_name())."""
        return _ffi.text(lib.mon_connector_role_name(int(self))) or ""

    @classmethod
    def coerce(cls, value: Any) -> "ConnectorRole":
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL",
                                               "role: must be reader, operator or admin", "role") from None
        return cls(value)


@dataclasses.dataclass
class Actor:
    """Who runs a test or an action: for the role check and the audit trail. None means the system."""

    user_id: Optional[str] = None
    user_email: Optional[str] = None
    roles: Optional[List[str]] = None
    ip_address: Optional[str] = None
    user_agent: Optional[str] = None
    role: ConnectorRole = ConnectorRole.READER  # or "reader" / "operator" / "admin"

    def __post_init__(self) -> None:
        self.role = ConnectorRole.coerce(self.role)

    def _fill_user(self, target: Any, roles_field: str) -> Any:
        """target (a C struct) with this actor's user fields, its roles as JSON in roles_field."""
        for name in ("user_id", "user_email", "ip_address", "user_agent"):
            setattr(target, name, _ffi.arg(getattr(self, name), name))
        if self.roles is not None:
            setattr(target, roles_field, _ffi.arg(json.dumps(self.roles), "roles"))
        return target

    def _to_c(self) -> _ffi.ConnectorActor:
        actor = _ffi.ConnectorActor()
        lib.mon_connector_actor_init(byref(actor), _ffi.CONNECTOR_ACTOR_VERSION)
        actor.role = int(self.role)
        return self._fill_user(actor, "roles_json")

    def _to_audit_entry(self) -> _ffi.AuditEntry:
        """The user fields of the audit row a change writes (incidents, maintenance, notification rules)."""
        entry = _ffi.AuditEntry()
        lib.mon_audit_entry_init(byref(entry), _ffi.AUDIT_ENTRY_VERSION)
        return self._fill_user(entry, "user_roles_json")

    @classmethod
    def _from_c(cls, actor: _ffi.ConnectorActor) -> "Actor":
        t = _ffi.text
        return cls(user_id=t(actor.user_id), user_email=t(actor.user_email),
                   roles=json.loads(t(actor.roles_json) or "null"), ip_address=t(actor.ip_address),
                   user_agent=t(actor.user_agent), role=ConnectorRole(actor.role))


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    """What the audit hook receives for every test and action run."""

    connector: str
    action: str  # "test" for Connectors.test()
    target: str  # "<connector>.<action>"
    actor: Optional[Actor]  # None for the system
    parameters: Dict[str, Any]  # secret-looking values redacted
    success: bool
    error_code: int
    error_message: Optional[str]
    duration_ms: int


@dataclasses.dataclass(frozen=True)
class Action:
    """One action of a Python connector type."""

    name: str
    description: str
    params_schema: Dict[str, Any] = dataclasses.field(default_factory=lambda: {"type": "object"})
    min_role: ConnectorRole = ConnectorRole.READER


class ConnectorCall:
    """What a Python type's methods receive: the stored configuration, valid only during the call."""

    def __init__(self, pointer: ConnectorCallP) -> None:
        self._pointer: Optional[ConnectorCallP] = pointer

    def _live(self) -> ConnectorCallP:
        if self._pointer is None:
            raise ValueError("ConnectorCall used after its call returned")
        return self._pointer

    @property
    def base_url(self) -> str:
        """Base URL without trailing '/', or "" when not configured."""
        return _ffi.text(lib.mon_connector_call_base_url(self._live())) or ""

    @property
    def options(self) -> Dict[str, Any]:
        return json.loads(_ffi.text(lib.mon_connector_call_options(self._live())) or "{}")

    @property
    def timeout_ms(self) -> int:
        return int(lib.mon_connector_call_timeout_ms(self._live()))

    def credential(self, name: str) -> Optional[str]:
        """A credential field (None when absent). The library wipes its copy after the call;
        this Python copy cannot be wiped: do not keep or log it."""
        address = lib.mon_connector_call_credential(self._live(), _ffi.arg(name, "name"))
        return string_at(address).decode("utf-8") if address else None


def code_for_exception(exc: BaseException) -> int:
    """The error code a Python type's exception becomes."""
    if isinstance(exc, errors.MonitorageError):
        return exc.code
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return errors.ETIMEOUT
    if isinstance(exc, PermissionError):
        return errors.EFORBIDDEN
    if isinstance(exc, OSError):
        return errors.ENET
    if isinstance(exc, (ValueError, TypeError, LookupError)):
        return errors.EINVAL
    if not isinstance(exc, Exception):
        return errors.ECANCELED
    return errors.EUPSTREAM


class ConnectorType:
    """Base class of connector types written in Python.

    Set ``name`` ([A-Z][A-Z0-9_]*), ``description``, ``credential_fields`` and
    ``actions``; override :meth:`test` and :meth:`run` (and :meth:`validate`
    to check the configuration without network access). Results must be
    JSON-serialisable; test() must return a dict.
    """

    name: str = ""
    description: str = ""
    credential_fields: Sequence[str] = ()
    actions: Sequence[Action] = ()

    def validate(self, call: ConnectorCall) -> None:
        """Raise (e.g. InvalidInputError) if the configuration cannot work."""

    def test(self, call: ConnectorCall) -> Dict[str, Any]:
        raise NotImplementedError

    def run(self, call: ConnectorCall, action: str, params: Dict[str, Any]) -> Any:
        raise NotImplementedError


class Connectors(Handle):
    """The connector registry over a store and an encryption key (both kept alive; closing
    either closes the registry first). Use one registry per thread."""

    _free = lib.mon_connectors_free
    _what = "Connectors"

    def __init__(self, store: Store, key: Optional[SecretKey] = None) -> None:
        pointer = ConnectorsP()
        lib.mon_connectors_new(byref(pointer), store._handle, key._handle if key is not None else None)
        self._adopt(pointer)
        self._depend_on(store)
        if key is not None:
            self._depend_on(key)
        self._keep: List[Any] = []  # C structs and callbacks of registered types: must outlive the registry
        self._hook: Any = None
        self._callback_error: Optional[BaseException] = None

    # -------------------------------------------------------------- reading

    def _json(self, function: Any, *args: Any) -> Any:
        out = c_void_p()
        function(byref(out), self._handle, *args)
        return json.loads(_ffi.take_string(out))

    def types(self) -> List[Dict[str, Any]]:
        """Every type with its description, credential fields and actions (with JSON schemas)."""
        return self._json(lib.mon_connectors_types_json)

    def actions(self, name: str) -> List[Dict[str, Any]]:
        """The actions of one type (NotFoundError for an unknown type)."""
        for connector_type in self.types():
            if connector_type["name"] == name:
                return connector_type["actions"]
        raise errors.NotFoundError(errors.ENOTFOUND, "MON_ENOTFOUND",
                                   'connector: no connector type named "%s"' % name, "connector")

    def get(self, name: str) -> Dict[str, Any]:
        """One connector's configuration (never its credentials)."""
        return self._json(lib.mon_connector_get_json, _ffi.arg(name, "name"))

    def list(self) -> List[Dict[str, Any]]:
        """Every connector's configuration, in registration order."""
        return self._json(lib.mon_connector_list_json)

    # -------------------------------------------------------------- writing

    def configure(self, name: str, *, base_url: Optional[str] = None, options: Optional[Dict[str, Any]] = None,
                  credentials: Optional[Dict[str, str]] = None, clear_credentials: bool = False,
                  enabled: Optional[bool] = None) -> None:
        """Change what is given (None leaves a field alone; base_url "" clears it). Credentials
        are encrypted with the registry's key before they are stored."""
        config = _ffi.ConnectorConfig()
        lib.mon_connector_config_init(byref(config), _ffi.CONNECTOR_CONFIG_VERSION)
        config.base_url = _ffi.arg(base_url, "base_url")
        if options is not None:
            config.options_json = _ffi.arg(json.dumps(options), "options")
        if clear_credentials:
            if credentials is not None:
                raise TypeError("give credentials or clear_credentials, not both")
            config.credentials_json = b""
        elif credentials is not None:
            config.credentials_json = _ffi.arg(json.dumps(credentials), "credentials")
        if enabled is not None:
            config.enabled = int(bool(enabled))
        lib.mon_connector_configure(self._handle, _ffi.arg(name, "name"), byref(config))

    def credentials_set(self, name: str) -> Dict[str, bool]:
        """Which credential fields of a connector are stored ({"token": True}); never a value."""
        return self._json(lib.mon_connector_credentials_set_json, _ffi.arg(name, "name"))

    def talend_token(self, endpoint: Endpoint) -> Optional[str]:
        """The token the TALEND token hook (mon_checker_talend_token) sends for endpoint: the TALEND
        connector's "token" credential, or None when it has none or is disabled. Pass the registry
        itself as ``token=`` of a Checker or Scheduler to have the library call the hook directly."""
        out = c_void_p()
        lib.mon_checker_talend_token(byref(out), endpoint._handle, self._handle)
        return _ffi.take_string(out) if out.value else None

    def import_env(self) -> int:
        """Import the seed's environment variables into unconfigured built-in connectors; returns how many."""
        imported = c_int()
        lib.mon_connector_import_env(self._handle, byref(imported))
        return imported.value

    # -------------------------------------------------------------- running

    def _call(self, function: Any, *args: Any) -> Any:
        out = c_void_p()
        self._callback_error = None
        try:
            function(byref(out), self._handle, *args)
        except errors.MonitorageError as exc:
            cause, self._callback_error = self._callback_error, None
            if cause is not None:
                raise exc from cause
            raise
        return json.loads(_ffi.take_string(out))

    def test(self, name: str, actor: Optional[Actor] = None) -> Dict[str, Any]:
        """Run the type's health call; returns what it checked."""
        c_actor = actor._to_c() if actor is not None else None
        return self._call(lib.mon_connector_test, _ffi.arg(name, "name"),
                          byref(c_actor) if c_actor is not None else None)

    def run(self, name: str, action: str, params: Optional[Dict[str, Any]] = None,
            actor: Optional[Actor] = None) -> Any:
        """Run an action with params (a dict); returns its result. actor None is the system."""
        c_actor = actor._to_c() if actor is not None else None
        params_json = _ffi.arg(json.dumps(params if params is not None else {}), "params")
        return self._call(lib.mon_connector_run, _ffi.arg(name, "name"), _ffi.arg(action, "action"), params_json,
                          byref(c_actor) if c_actor is not None else None)

    def set_audit_hook(self, hook: Optional[Callable[[AuditEvent], None]]) -> None:
        """Call hook(event) after every test and action run, success or failure; None removes it.
        An exception in the hook is reported through sys.unraisablehook and does not stop the run."""
        if hook is None:
            lib.mon_connector_set_audit_hook(self._handle, _ffi.CONNECTOR_AUDIT_FN(), None)
            self._hook = None
            return

        def trampoline(event_pointer: Any, payload: Any) -> None:
            e = event_pointer.contents
            t = _ffi.text
            hook(AuditEvent(
                connector=t(e.connector) or "",
                action=t(e.action) or "",
                target=t(e.target) or "",
                actor=Actor._from_c(e.actor.contents) if e.actor else None,
                parameters=json.loads(t(e.parameters_json) or "{}"),
                success=bool(e.success),
                error_code=e.error_code,
                error_message=t(e.error_message),
                duration_ms=e.duration_ms,
            ))

        callback = _ffi.CONNECTOR_AUDIT_FN(trampoline)
        lib.mon_connector_set_audit_hook(self._handle, callback, None)
        self._hook = callback

    # -------------------------------------------------------------- Python types

    def register(self, connector_type: ConnectorType) -> None:
        """Register a connector type written in Python (AlreadyExistsError if the name is taken)."""
        impl = connector_type

        def guarded(call_pointer: Any, body: Callable[[ConnectorCall], Optional[bytes]],
                    result: Any = None) -> int:
            call = ConnectorCall(call_pointer)
            try:
                data = body(call)
                if result is not None and data is not None:
                    address = _ffi.malloc_string(data)
                    if not address:
                        return errors.ENOMEM
                    result[0] = address
                return errors.OK
            except BaseException as exc:  # never let anything unwind into C
                self._callback_error = exc
                message = "%s: %s" % (type(exc).__name__, exc) if not isinstance(exc, errors.MonitorageError) \
                    else exc.message
                return lib.mon_connector_call_error(call_pointer, code_for_exception(exc),
                                                    message.encode("utf-8", "replace")[:1000])
            finally:
                call._pointer = None

        def c_validate(call_pointer: Any, payload: Any) -> int:
            return guarded(call_pointer, lambda call: impl.validate(call))

        def c_test(result: Any, call_pointer: Any, payload: Any) -> int:
            def body(call: ConnectorCall) -> bytes:
                value = impl.test(call)
                if not isinstance(value, dict):
                    raise TypeError("test() must return a dict, not %s" % type(value).__name__)
                return json.dumps(value).encode("utf-8")

            return guarded(call_pointer, body, result)

        def c_run(result: Any, call_pointer: Any, action: bytes, params: bytes, payload: Any) -> int:
            return guarded(call_pointer,
                           lambda call: json.dumps(impl.run(call, action.decode(), json.loads(params))).encode(),
                           result)

        fields = [_ffi.arg(f, "credential_fields") for f in impl.credential_fields]
        c_fields = (c_char_p * (len(fields) + 1))(*fields, None)
        c_actions = (_ffi.ConnectorAction * max(len(impl.actions), 1))()
        for i, action in enumerate(impl.actions):
            c_actions[i].name = _ffi.arg(action.name, "actions")
            c_actions[i].description = _ffi.arg(action.description, "actions")
            c_actions[i].params_schema = _ffi.arg(json.dumps(action.params_schema), "actions")
            c_actions[i].min_role = int(ConnectorRole.coerce(action.min_role))
        c_type = _ffi.ConnectorType()
        c_type.version = _ffi.CONNECTOR_TYPE_VERSION
        c_type.name = _ffi.arg(impl.name, "name")
        c_type.description = _ffi.arg(impl.description, "description")
        c_type.credential_fields = cast(c_fields, POINTER(c_char_p))
        c_type.actions = cast(c_actions, POINTER(_ffi.ConnectorAction))
        c_type.action_count = len(impl.actions)
        if type(impl).validate is not ConnectorType.validate:
            c_type.validate = _ffi.CONNECTOR_VALIDATE_FN(c_validate)
        c_type.test = _ffi.CONNECTOR_TEST_FN(c_test)
        c_type.run = _ffi.CONNECTOR_RUN_FN(c_run)
        lib.mon_connectors_register(self._handle, byref(c_type))
        # The registry copied the struct but borrows its strings, arrays and callbacks.
        self._keep.append((impl, c_type, c_fields, c_actions))

    def __repr__(self) -> str:
        return "<Connectors %s>" % ("closed" if self.closed else "open")
