"""The endpoint model: what is checked, how often, and what counts as healthy."""

from __future__ import annotations

import datetime as _dt
import enum
import json
from ctypes import byref, c_int, c_void_p
from typing import Any, Callable, Dict, Optional, Tuple

from . import _ffi, errors
from ._ffi import EndpointP, lib
from ._handle import Handle

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class EndpointType(str, enum.Enum):
    """Endpoint types of the seed (``endpoint_type`` in PostgreSQL)."""

    APIM = "APIM"
    DOMAIN = "DOMAIN"
    TALEND = "TALEND"

    def to_c(self) -> int:
        out = c_int()
        lib.mon_endpoint_type_parse(byref(out), self.value.encode())
        return out.value

    @classmethod
    def from_c(cls, value: int) -> "EndpointType":
        member = _ENDPOINTTYPE_BY_C.get(value)
        if member is None:  # a value newer than these bindings: ValueError with its name
            member = cls(_ffi.text(lib.mon_endpoint_type_name(value)))
        return member

    @classmethod
    def coerce(cls, value: Any, field: str = "type") -> "EndpointType":
        """An EndpointType from itself or its name; InvalidInputError naming field otherwise."""
        try:
            return cls(value)
        except ValueError:
            raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL",
                                           "%s: must be APIM, DOMAIN or TALEND" % field, field) from None


# C value -> member, read once from the library.
_ENDPOINTTYPE_BY_C = {member.to_c(): member for member in EndpointType}


def _int_arg(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s: expected int, got %s" % (field, type(value).__name__))
    if not _INT_MIN <= value <= _INT_MAX:
        raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "%s: out of range" % field, field)
    return value


def _bool_arg(value: Any, field: str) -> int:
    if not isinstance(value, bool):
        raise TypeError("%s: expected bool, got %s" % (field, type(value).__name__))
    return int(value)


# field -> (getter(handle) -> python value, setter(handle, python value))
_Accessor = Tuple[Callable[[c_void_p], Any], Optional[Callable[[c_void_p, Any], None]]]


def _str_field(name: str, c_name: Optional[str] = None) -> _Accessor:
    get = getattr(lib, "mon_endpoint_get_" + (c_name or name))
    set_ = getattr(lib, "mon_endpoint_set_" + (c_name or name))
    return (lambda h: _ffi.text(get(h)), lambda h, v: set_(h, _ffi.arg(v, name)))


def _int_field(name: str) -> _Accessor:
    get = getattr(lib, "mon_endpoint_get_" + name)
    set_ = getattr(lib, "mon_endpoint_set_" + name)
    return (lambda h: get(h), lambda h, v: set_(h, _int_arg(v, name)))


def _bool_field(name: str) -> _Accessor:
    get = getattr(lib, "mon_endpoint_get_" + name)
    set_ = getattr(lib, "mon_endpoint_set_" + name)
    return (lambda h: bool(get(h)), lambda h, v: set_(h, _bool_arg(v, name)))


def _json_field(name: str, kind: type) -> _Accessor:
    get = getattr(lib, "mon_endpoint_get_%s_json" % name)
    set_ = getattr(lib, "mon_endpoint_set_%s_json" % name)

    def setter(h: c_void_p, v: Any) -> None:
        if not isinstance(v, kind):
            raise TypeError("%s: expected %s, got %s" % (name, kind.__name__, type(v).__name__))
        set_(h, _ffi.arg(json.dumps(v), name))

    return (lambda h: json.loads(_ffi.text(get(h)) or "null"), setter)


_FIELDS: Dict[str, _Accessor] = {
    "id": (lambda h: _ffi.text(lib.mon_endpoint_get_id(h)) or None,
           lambda h, v: lib.mon_endpoint_set_id(h, _ffi.arg(v, "id"))),
    "name": _str_field("name"),
    "type": (lambda h: EndpointType.from_c(lib.mon_endpoint_get_type(h)),
             lambda h, v: lib.mon_endpoint_set_type(h, EndpointType.coerce(v).to_c())),
    "url": _str_field("url"),
    "check_interval": _int_field("check_interval"),
    "timeout_ms": _int_field("timeout_ms"),
    "expected_status": _int_field("expected_status"),
    "headers": _json_field("headers", dict),
    "enabled": _bool_field("enabled"),
    "method": _str_field("method"),
    "degraded_ms": _int_field("degraded_ms"),
    "retries": _int_field("retries"),
    "conditions": _json_field("conditions", list),
    "cert_warn_days": _int_field("cert_warn_days"),
    "follow_redirects": _bool_field("follow_redirects"),
    "created_at": (lambda h: _ffi.to_datetime(lib.mon_endpoint_get_created_at(h)), None),
    "updated_at": (lambda h: _ffi.to_datetime(lib.mon_endpoint_get_updated_at(h)), None),
}


def _property(name: str) -> property:
    getter, setter = _FIELDS[name]

    def fget(self: "Endpoint") -> Any:
        return getter(self._handle)

    def fset(self: "Endpoint", value: Any) -> None:
        assert setter is not None
        setter(self._handle, value)

    return property(fget, fset if setter else None, doc="The endpoint's %r field." % name)


class Endpoint(Handle):
    """An endpoint, owned by this object (freed by close(), ``with`` or the garbage collector).

    Build one from keyword arguments (each set through the library's
    validating setter)::

        ep = Endpoint(name="API", type="APIM", url="https://example.com/health")

    or from the JSON shape the library reads and writes (:meth:`from_dict`,
    :meth:`from_json`). Every field is a property; assigning an invalid value
    raises :class:`~monitorage.errors.InvalidInputError` whose ``field`` names
    it, and leaves the endpoint unchanged. Two endpoints are equal when their
    JSON forms are.
    """

    _free = lib.mon_endpoint_free
    _what = "Endpoint"

    id: Optional[str]
    name: str
    type: EndpointType
    url: str
    check_interval: int
    timeout_ms: int
    expected_status: int
    headers: Dict[str, str]
    enabled: bool
    method: str
    degraded_ms: int
    retries: int
    conditions: list
    cert_warn_days: int
    follow_redirects: bool
    created_at: Optional[_dt.datetime]
    updated_at: Optional[_dt.datetime]

    #: Names of every field, in JSON order.
    FIELDS = tuple(_FIELDS)

    def __init__(self, **fields: Any) -> None:
        pointer = EndpointP()
        lib.mon_endpoint_new(byref(pointer))
        self._adopt(pointer)
        for key, value in fields.items():
            if key not in _FIELDS or _FIELDS[key][1] is None:
                raise TypeError("Endpoint() got an unexpected or read-only field %r" % key)
            setattr(self, key, value)

    @classmethod
    def _from_pointer(cls, pointer: EndpointP) -> "Endpoint":
        self = cls.__new__(cls)
        self._adopt(pointer)
        return self

    @classmethod
    def from_json(cls, text: str) -> "Endpoint":
        """Parse and validate the JSON object mon_endpoint_to_json() writes (unknown fields refused)."""
        pointer = EndpointP()
        lib.mon_endpoint_from_json(byref(pointer), _ffi.arg(text, "json"))
        return cls._from_pointer(pointer)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Endpoint":
        """Same as from_json() from a dict ("name", "type" and "url" required)."""
        if not isinstance(data, dict):
            raise TypeError("expected dict, got %s" % type(data).__name__)
        return cls.from_json(json.dumps(data))

    def to_json(self) -> str:
        """The endpoint as compact JSON (id and time stamps null until stored)."""
        out = c_void_p()
        lib.mon_endpoint_to_json(byref(out), self._handle)
        return _ffi.take_string(out)

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(self.to_json())

    def patch(self, changes: Dict[str, Any]) -> None:
        """Apply a partial update; all or nothing (the result is validated as a whole)."""
        if not isinstance(changes, dict):
            raise TypeError("expected dict, got %s" % type(changes).__name__)
        lib.mon_endpoint_patch_json(self._handle, _ffi.arg(json.dumps(changes), "json"))

    def validate(self) -> None:
        """Raise InvalidInputError naming the first invalid or missing field."""
        lib.mon_endpoint_validate(self._handle)

    def set_header(self, name: str, value: Optional[str]) -> None:
        """Add or replace one request header; None removes it."""
        lib.mon_endpoint_set_header(self._handle, _ffi.arg(name, "headers"), _ffi.arg(value, "headers"))

    def set_timestamps(self, created_at: Optional[_dt.datetime], updated_at: Optional[_dt.datetime]) -> None:
        lib.mon_endpoint_set_timestamps(self._handle, _ffi.from_datetime(created_at, "created_at"),
                                        _ffi.from_datetime(updated_at, "updated_at"))

    def copy(self) -> "Endpoint":
        """An independent deep copy."""
        pointer = EndpointP()
        lib.mon_endpoint_dup(byref(pointer), self._handle)
        return type(self)._from_pointer(pointer)

    __copy__ = copy

    def __deepcopy__(self, memo: Any) -> "Endpoint":
        return self.copy()

    @staticmethod
    def schema() -> Dict[str, Any]:
        """Every field with its JSON type, default and bounds (mon_endpoint_schema_json())."""
        out = c_void_p()
        lib.mon_endpoint_schema_json(byref(out))
        return json.loads(_ffi.take_string(out))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Endpoint):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.closed:
            return "<Endpoint (closed)>"
        return "<Endpoint id=%r name=%r type=%s url=%r>" % (self.id, self.name, self.type.value, self.url)


for _name in _FIELDS:
    setattr(Endpoint, _name, _property(_name))
del _name
