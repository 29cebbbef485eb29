"""Exceptions raised for the library's error codes.

Every failing call raises a subclass of :class:`MonitorageError` carrying the
code (``MON_EINVAL`` is ``-1``), its stable name, the library's detail message
for this thread (``mon_error_last()``, e.g. ``"url: scheme must be http or
https"``) and the input field it concerns (``mon_error_field()``, or None).

Families also derive from the closest built-in exception, so ordinary Python
code can catch them: :class:`InvalidInputError` is a ``ValueError``,
:class:`NotFoundError` a ``LookupError``, :class:`ConnectionError` the
built-in ``ConnectionError``, :class:`TimeoutError` the built-in
``TimeoutError``, and so on.
"""

from __future__ import annotations

import builtins
from typing import Dict, Optional, Type

# The codes of include/monitorage/error.h (they only grow, never change).
OK = 0
EINVAL = -1
ENOMEM = -2
ENOTFOUND = -3
EEXISTS = -4
EDB = -5
ECONN = -6
ETIMEOUT = -7
ENET = -8
EIO = -9
ECRYPTO = -10
EKEY = -11
EWRONGKEY = -12
ETAMPERED = -13
EVERSION = -14
EAUTH = -15
EFORBIDDEN = -16
EDISABLED = -17
ERATELIMITED = -18
EUPSTREAM = -19
EPROTO = -20
ESTATE = -21
EUNSUPPORTED = -22
EFULL = -23
EBUSY = -24
ECANCELED = -25


class MonitorageError(Exception):
    """A libmonitorage call failed.

    Attributes: ``code`` (negative int), ``name`` ("MON_EINVAL"), ``message``
    (the library's detail, never holding a secret) and ``field`` (the input
    field concerned, or None).
    """

    def __init__(self, code: int, name: str, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return "%s (%s)" % (self.message, self.name)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.code, self.name, self.message, self.field))


class InvalidInputError(MonitorageError, ValueError):
    """MON_EINVAL: the input does not validate; ``field`` names it."""


class OutOfMemoryError(MonitorageError, MemoryError):
    """MON_ENOMEM."""


class NotFoundError(MonitorageError, LookupError):
    """MON_ENOTFOUND: no such endpoint, connector, action..."""


class AlreadyExistsError(MonitorageError):
    """MON_EEXISTS: the object exists already or conflicts with one."""


class DatabaseError(MonitorageError):
    """MON_EDB: the database refused or failed a query."""


class ConnectionError(MonitorageError, builtins.ConnectionError):
    """MON_ECONN: the database is unreachable."""


class TimeoutError(MonitorageError, builtins.TimeoutError):
    """MON_ETIMEOUT."""


class NetworkError(MonitorageError, OSError):
    """MON_ENET: network error talking to a remote system."""


class LocalIOError(MonitorageError, OSError):
    """MON_EIO: local input/output error."""


class CryptoError(MonitorageError):
    """MON_ECRYPTO, and the base of every key and ciphertext error."""


class EncryptionKeyError(CryptoError):
    """MON_EKEY: encryption key missing or malformed (the message never holds the key)."""


class WrongKeyError(CryptoError):
    """MON_EWRONGKEY: the ciphertext was made with another key (the message names its id)."""


class TamperedError(CryptoError):
    """MON_ETAMPERED: the ciphertext was altered or truncated."""


class VersionError(MonitorageError):
    """MON_EVERSION: unsupported format, struct or schema version."""


class RemoteError(MonitorageError):
    """Base of the errors a remote system (a connector's target) caused."""


class AuthError(RemoteError):
    """MON_EAUTH: a remote system refused our credentials."""


class RateLimitedError(RemoteError):
    """MON_ERATELIMITED: the message says when to retry."""


class UpstreamError(RemoteError):
    """MON_EUPSTREAM: a remote system answered with an error."""


class ProtocolError(RemoteError):
    """MON_EPROTO: a remote system answered something unparseable."""


class ForbiddenError(MonitorageError, PermissionError):
    """MON_EFORBIDDEN: authenticated but not allowed (role too low, or remote 403)."""


class DisabledError(MonitorageError):
    """MON_EDISABLED: the object is disabled."""


class StateError(MonitorageError):
    """MON_ESTATE: call not valid in the object's current state (e.g. not configured)."""


class UnsupportedError(MonitorageError):
    """MON_EUNSUPPORTED."""


class FullError(MonitorageError):
    """MON_EFULL: a bounded buffer or queue is full."""


class BusyError(MonitorageError):
    """MON_EBUSY: try again."""


class CanceledError(MonitorageError):
    """MON_ECANCELED."""


CLASSES: Dict[int, Type[MonitorageError]] = {
    EINVAL: InvalidInputError,
    ENOMEM: OutOfMemoryError,
    ENOTFOUND: NotFoundError,
    EEXISTS: AlreadyExistsError,
    EDB: DatabaseError,
    ECONN: ConnectionError,
    ETIMEOUT: TimeoutError,
    ENET: NetworkError,
    EIO: LocalIOError,
    ECRYPTO: CryptoError,
    EKEY: EncryptionKeyError,
    EWRONGKEY: WrongKeyError,
    ETAMPERED: TamperedError,
    EVERSION: VersionError,
    EAUTH: AuthError,
    EFORBIDDEN: ForbiddenError,
    EDISABLED: DisabledError,
    ERATELIMITED: RateLimitedError,
    EUPSTREAM: UpstreamError,
    EPROTO: ProtocolError,
    ESTATE: StateError,
    EUNSUPPORTED: UnsupportedError,
    EFULL: FullError,
    EBUSY: BusyError,
    ECANCELED: CanceledError,
}


def from_code(code: int, name: str, message: str, field: Optional[str] = None) -> MonitorageError:
    """The exception for code; codes newer than these bindings give the base class."""
    return CLASSES.get(code, MonitorageError)(code, name, message, field)
