"""Python bindings of libmonitorage (ctypes; no compiled extension).

The library is found through the MONITORAGE_LIBRARY environment variable,
then next to this package, then the system loader. See docs/python.md.
"""

from ._ffi import LibraryNotFoundError, lib as _lib
from .checker import Checker, CheckResult, PhaseTimings, check_url
from .audit import Audit, AuditEntry, AuditPage, AuditResult, AuditRow, VerifyReport
from .connector import (
    Action,
    Actor,
    AuditEvent,
    ConnectorCall,
    ConnectorRole,
    Connectors,
    ConnectorType,
)
from .endpoint import Endpoint, EndpointType
from .incident import IncidentPage, Incidents, MaintenanceWindows
from .notify import Notifications, Notifier, NotifyStats
from . import errors
from .errors import (
    AlreadyExistsError,
    AuthError,
    BusyError,
    CanceledError,
    CryptoError,
    DatabaseError,
    DisabledError,
    EncryptionKeyError,
    ForbiddenError,
    FullError,
    InvalidInputError,
    LocalIOError,
    MonitorageError,
    NetworkError,
    NotFoundError,
    OutOfMemoryError,
    ProtocolError,
    RateLimitedError,
    RemoteError,
    StateError,
    TamperedError,
    UnsupportedError,
    UpstreamError,
    VersionError,
    WrongKeyError,
)
from .scheduler import Scheduler, SchedulerStats
from .secret import SecretAlg, SecretKey, key_id_of, rotate as rotate_key
from .store import CheckRecord, EndpointPage, HistoryEntry, Status, StatusEntry, Store, UptimeEntry

__version__ = "0.1.0"

# Subclasses of the built-ins of the same names, left out of __all__ so that a star
# import does not shadow the built-ins: use monitorage.ConnectionError / .TimeoutError.
ConnectionError = errors.ConnectionError
TimeoutError = errors.TimeoutError

__all__ = [
    "__version__",
    "Action",
    "Actor",
    "AlreadyExistsError",
    "Audit",
    "AuditEntry",
    "AuditEvent",
    "AuditPage",
    "AuditResult",
    "AuditRow",
    "AuthError",
    "BusyError",
    "CanceledError",
    "check_url",
    "Checker",
    "CheckRecord",
    "CheckResult",
    "ConnectorCall",
    "ConnectorRole",
    "Connectors",
    "ConnectorType",
    "CryptoError",
    "DatabaseError",
    "DisabledError",
    "EncryptionKeyError",
    "Endpoint",
    "EndpointPage",
    "EndpointType",
    "ForbiddenError",
    "FullError",
    "HistoryEntry",
    "IncidentPage",
    "Incidents",
    "InvalidInputError",
    "key_id_of",
    "library_path",
    "library_version",
    "library_version_number",
    "LibraryNotFoundError",
    "LocalIOError",
    "MaintenanceWindows",
    "MonitorageError",
    "NetworkError",
    "NotFoundError",
    "Notifications",
    "Notifier",
    "NotifyStats",
    "OutOfMemoryError",
    "PhaseTimings",
    "ProtocolError",
    "RateLimitedError",
    "RemoteError",
    "rotate_key",
    "Scheduler",
    "SchedulerStats",
    "SecretAlg",
    "SecretKey",
    "StateError",
    "Status",
    "StatusEntry",
    "Store",
    "TamperedError",
    "UnsupportedError",
    "UpstreamError",
    "UptimeEntry",
    "VerifyReport",
    "VersionError",
    "WrongKeyError",
]


def library_version() -> str:
    """Version of the libmonitorage actually loaded ("0.1.0")."""
    return _lib.mon_version().decode()


def library_version_number() -> int:
    """The loaded library's version as MAJOR * 10000 + MINOR * 100 + PATCH."""
    return int(_lib.mon_version_number())


def library_path() -> str:
    """Path or name the library was loaded from."""
    return str(_lib._name)
