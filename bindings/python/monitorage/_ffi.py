"""Low-level access to libmonitorage: loading, C structs, and every public function.

Every function of the public headers is declared once, in ``_declare()`` below,
with its ``argtypes``, ``restype`` and ``errcheck`` (the way python-libarchive-c's
``ffi.py`` does it). Functions returning a MON_* code raise the matching
:class:`~monitorage.errors.MonitorageError` when it is negative; the rest return
their value unchanged.

Ownership conventions used by the wrappers:

* strings the library hands over (``char **out``) arrive as ``c_void_p`` and
  are copied with :func:`take_string`, which frees them with ``mon_free``;
  ``c_char_p`` is only used for borrowed (``const char *``) results;
* opaque handles are distinct ``c_void_p`` subclasses so that passing a store
  where an endpoint is expected is a ``TypeError``, not a crash.

This module is private: its names may change with the C API.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_void_p,
)
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import errors

#: Major version of the C ABI these bindings are written for (the SONAME).
ABI_MAJOR = 0
_SONAME = "libmonitorage.so.%d" % ABI_MAJOR


class LibraryNotFoundError(ImportError):
    """libmonitorage could not be loaded; the message lists every place tried."""


# --------------------------------------------------------------- loading


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def _candidates() -> List[Tuple[str, str]]:
    """(how, path-or-name) pairs in the order they are tried."""
    found: List[Tuple[str, str]] = []
    env = os.environ.get("MONITORAGE_LIBRARY")
    if env:
        found.append(("MONITORAGE_LIBRARY", env))
    else:
        found.append(("MONITORAGE_LIBRARY", ""))
    here = _package_dir()
    for directory in (here, os.path.dirname(here)):
        for name in (_SONAME, "libmonitorage.so"):
            found.append(("next to the package", os.path.join(directory, name)))
    system = ctypes.util.find_library("monitorage")
    if system:
        found.append(("ctypes.util.find_library", system))
    found.append(("system loader", _SONAME))
    return found


def _load() -> ctypes.CDLL:
    tried: List[str] = []
    for how, where in _candidates():
        if not where:
            tried.append("%s: not set" % how)
            continue
        if os.path.isabs(where) and not os.path.exists(where):
            tried.append("%s: %s (no such file)" % (how, where))
            continue
        try:
            lib = ctypes.CDLL(where)
        except OSError as exc:
            tried.append("%s: %s (%s)" % (how, where, exc))
            continue
        if not hasattr(lib, "mon_version_number"):
            tried.append("%s: %s (not libmonitorage)" % (how, where))
            continue
        return lib
    raise LibraryNotFoundError(
        "cannot load libmonitorage; tried:\n  " + "\n  ".join(tried)
        + "\nSet MONITORAGE_LIBRARY to the path of libmonitorage.so.%d." % ABI_MAJOR
    )


# --------------------------------------------------------------- types

class StoreP(c_void_p):
    """mon_store *"""


class EndpointP(c_void_p):
    """mon_endpoint *"""


class EndpointListP(c_void_p):
    """mon_endpoint_list *"""


class HistoryListP(c_void_p):
    """mon_history_list *"""


class StatusListP(c_void_p):
    """mon_status_list *"""


class UptimeListP(c_void_p):
    """mon_uptime_list *"""


class AuditListP(c_void_p):
    """mon_audit_list *"""


class SecretKeyP(c_void_p):
    """mon_secret_key *"""


class SecretPlainP(c_void_p):
    """mon_secret_plain *"""


class ConnectorsP(c_void_p):
    """mon_connectors *"""


class ConnectorCallP(c_void_p):
    """mon_connector_call *"""


class CheckerP(c_void_p):
    """mon_checker *"""


class SchedulerP(c_void_p):
    """mon_scheduler *"""


class NotifierP(c_void_p):
    """mon_notifier *"""


mon_time = c_int64


class EndpointFilter(Structure):
    _fields_ = [
        ("version", c_uint),
        ("type", c_int),
        ("enabled", c_int),
        ("status", c_int),
        ("limit", c_size_t),
        ("offset", c_size_t),
    ]


class OverviewOptions(Structure):
    _fields_ = [
        ("version", c_uint),
        ("type", c_int),
        ("enabled", c_int),
        ("status", c_int),
        ("limit", c_size_t),
        ("offset", c_size_t),
        ("recent", c_size_t),
    ]


class CheckRecord(Structure):
    _fields_ = [
        ("version", c_uint),
        ("endpoint_id", c_char * 37),
        ("status", c_int),
        ("status_code", c_int),
        ("latency_ms", c_int),
        ("error_message", c_char_p),
        ("checked_at", mon_time),
        ("dns_ms", c_double),
        ("connect_ms", c_double),
        ("tls_ms", c_double),
        ("ttfb_ms", c_double),
    ]


class HistoryEntry(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", c_char_p),
        ("endpoint_id", c_char_p),
        ("status", c_int),
        ("status_code", c_int),
        ("latency_ms", c_int),
        ("error_message", c_char_p),
        ("checked_at", mon_time),
        ("dns_ms", c_double),
        ("connect_ms", c_double),
        ("tls_ms", c_double),
        ("ttfb_ms", c_double),
    ]


class StatusEntry(Structure):
    _fields_ = [
        ("version", c_uint),
        ("endpoint_id", c_char_p),
        ("name", c_char_p),
        ("type", c_int),
        ("url", c_char_p),
        ("enabled", c_int),
        ("status", c_int),
        ("status_code", c_int),
        ("latency_ms", c_int),
        ("error_message", c_char_p),
        ("last_check", mon_time),
    ]


class UptimeEntry(Structure):
    _fields_ = [
        ("version", c_uint),
        ("endpoint_id", c_char_p),
        ("window_seconds", c_int64),
        ("checks", c_int64),
        ("up", c_int64),
        ("degraded", c_int64),
        ("down", c_int64),
        ("unknown", c_int64),
        ("uptime_percent", c_double),
        ("p50_ms", c_double),
        ("p95_ms", c_double),
        ("p99_ms", c_double),
    ]


class AuditEntry(Structure):
    _fields_ = [
        ("version", c_uint),
        ("action", c_char_p),
        ("target", c_char_p),
        ("user_id", c_char_p),
        ("user_email", c_char_p),
        ("user_roles_json", c_char_p),
        ("ip_address", c_char_p),
        ("user_agent", c_char_p),
        ("parameters_json", c_char_p),
        ("result", c_int),
        ("error_message", c_char_p),
    ]


class AuditFilter(Structure):
    _fields_ = [
        ("version", c_uint),
        ("user_id", c_char_p),
        ("action", c_char_p),
        ("target", c_char_p),
        ("result", c_int),
        ("from_", mon_time),
        ("to", mon_time),
        ("limit", c_size_t),
        ("cursor", c_char_p),
    ]


class IncidentFilter(Structure):
    _fields_ = [
        ("version", c_uint),
        ("endpoint_id", c_char_p),
        ("open", c_int),
        ("from_", mon_time),
        ("to", mon_time),
        ("limit", c_size_t),
        ("cursor", c_char_p),
    ]


class AuditRow(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", c_char_p),
        ("seq", c_int64),
        ("action", c_char_p),
        ("target", c_char_p),
        ("user_id", c_char_p),
        ("user_email", c_char_p),
        ("user_roles_json", c_char_p),
        ("ip_address", c_char_p),
        ("user_agent", c_char_p),
        ("parameters_json", c_char_p),
        ("result", c_int),
        ("error_message", c_char_p),
        ("created_at", mon_time),
        ("prev_hash_hex", c_char_p),
        ("row_hash_hex", c_char_p),
    ]


class AuditVerifyReport(Structure):
    _fields_ = [
        ("version", c_uint),
        ("ok", c_int),
        ("rows_checked", c_int64),
        ("legacy_rows", c_int64),
        ("first_seq", c_int64),
        ("last_seq", c_int64),
        ("last_hash", c_char * 65),
        ("reason", c_int),
        ("broken_id", c_char * 37),
        ("broken_seq", c_int64),
        ("elapsed_ms", c_double),
    ]


class SecretEncryptOptions(Structure):
    _fields_ = [("version", c_uint), ("alg", c_int)]


class ConnectorAction(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("description", c_char_p),
        ("params_schema", c_char_p),
        ("min_role", c_int),
    ]


CONNECTOR_VALIDATE_FN = CFUNCTYPE(c_int, ConnectorCallP, c_void_p)
CONNECTOR_TEST_FN = CFUNCTYPE(c_int, POINTER(c_void_p), ConnectorCallP, c_void_p)
CONNECTOR_RUN_FN = CFUNCTYPE(c_int, POINTER(c_void_p), ConnectorCallP, c_char_p, c_char_p, c_void_p)


class ConnectorType(Structure):
    _fields_ = [
        ("version", c_uint),
        ("name", c_char_p),
        ("description", c_char_p),
        ("credential_fields", POINTER(c_char_p)),
        ("actions", POINTER(ConnectorAction)),
        ("action_count", c_size_t),
        ("validate", CONNECTOR_VALIDATE_FN),
        ("test", CONNECTOR_TEST_FN),
        ("run", CONNECTOR_RUN_FN),
        ("payload", c_void_p),
    ]


class ConnectorConfig(Structure):
    _fields_ = [
        ("version", c_uint),
        ("base_url", c_char_p),
        ("options_json", c_char_p),
        ("credentials_json", c_char_p),
        ("enabled", c_int),
    ]


class ConnectorActor(Structure):
    _fields_ = [
        ("version", c_uint),
        ("user_id", c_char_p),
        ("user_email", c_char_p),
        ("roles_json", c_char_p),
        ("ip_address", c_char_p),
        ("user_agent", c_char_p),
        ("role", c_int),
    ]


class ConnectorAuditEvent(Structure):
    _fields_ = [
        ("version", c_uint),
        ("connector", c_char_p),
        ("action", c_char_p),
        ("target", c_char_p),
        ("actor", POINTER(ConnectorActor)),
        ("parameters_json", c_char_p),
        ("success", c_int),
        ("error_code", c_int),
        ("error_message", c_char_p),
        ("duration_ms", c_int64),
    ]


CONNECTOR_AUDIT_FN = CFUNCTYPE(None, POINTER(ConnectorAuditEvent), c_void_p)

class CheckResult(Structure):
    _fields_ = [
        ("version", c_uint),
        ("endpoint_id", c_char_p),
        ("url", c_char_p),
        ("status", c_int),
        ("status_code", c_int),
        ("latency_ms", c_int),
        ("error_message", c_char_p),
        ("attempts", c_int),
        ("dns_ms", c_double),
        ("connect_ms", c_double),
        ("tls_ms", c_double),
        ("ttfb_ms", c_double),
        ("total_ms", c_double),
        ("cert_expires_at", mon_time),
        ("remote_ip", c_char_p),
        ("checked_at", mon_time),
        ("body_truncated", c_int),
        ("body_bytes", c_size_t),
    ]


CheckResultP = POINTER(CheckResult)
CHECKER_TOKEN_FN = CFUNCTYPE(c_int, POINTER(c_void_p), EndpointP, c_void_p)
CHECK_FN = CFUNCTYPE(None, CheckerP, CheckResultP, c_void_p)
CHECKER_SOCKET_FN = CFUNCTYPE(None, CheckerP, c_int, c_int, c_void_p)


class CheckerOptions(Structure):
    _fields_ = [
        ("version", c_uint),
        ("max_in_flight", c_int),
        ("body_limit", c_size_t),
        ("user_agent", c_char_p),
        ("retry_delay_ms", c_int),
        ("ca_file", c_char_p),
        ("resolve", POINTER(c_char_p)),
        ("ip_version", c_int),
        ("token_cb", CHECKER_TOKEN_FN),
        ("token_payload", c_void_p),
    ]


class CheckerFd(Structure):
    _fields_ = [("fd", c_int), ("events", c_int)]


SCHEDULER_STATUS_FN = CFUNCTYPE(None, SchedulerP, EndpointP, c_int, c_int, CheckResultP, c_void_p)


class SchedulerOptions(Structure):
    _fields_ = [
        ("version", c_uint),
        ("owner", c_char_p),
        ("batch_size", c_int),
        ("flush_interval_ms", c_int),
        ("buffer_capacity", c_size_t),
        ("claim_batch", c_int),
        ("poll_interval_ms", c_int),
        ("lease_margin_ms", c_int),
        ("reconnect_max_ms", c_int),
        ("checker", POINTER(CheckerOptions)),
        ("on_status", SCHEDULER_STATUS_FN),
        ("status_payload", c_void_p),
    ]


class SchedulerStats(Structure):
    _fields_ = [
        ("version", c_uint),
        ("claimed", ctypes.c_uint64),
        ("checks_done", ctypes.c_uint64),
        ("results_written", ctypes.c_uint64),
        ("dropped", ctypes.c_uint64),
        ("discarded", ctypes.c_uint64),
        ("db_failures", ctypes.c_uint64),
        ("buffered", c_size_t),
        ("in_flight", c_size_t),
        ("db_connected", c_int),
        ("lag_p50_ms", c_double),
        ("lag_p99_ms", c_double),
        ("rejected", ctypes.c_uint64),
        ("last_db_error", ctypes.c_char * 256),
    ]


class NotifyOptions(Structure):
    _fields_ = [
        ("version", c_uint),
        ("owner", c_char_p),
        ("batch", c_int),
        ("lease_ms", c_int),
        ("backoff_base_ms", c_int),
        ("backoff_max_ms", c_int),
        ("max_attempts", c_int),
    ]


class NotifyStats(Structure):
    _fields_ = [
        ("version", c_uint),
        ("claimed", c_int),
        ("sent", c_int),
        ("retried", c_int),
        ("failed", c_int),
        ("skipped", c_int),
        ("deferred", c_int),
        ("lost", c_int),
    ]


# Versions of the structs above (the C *_VERSION macros).
ENDPOINT_FILTER_VERSION = 1
OVERVIEW_OPTIONS_VERSION = 1
CHECK_RECORD_VERSION = 1
AUDIT_ENTRY_VERSION = 1
AUDIT_FILTER_VERSION = 1
AUDIT_VERIFY_REPORT_VERSION = 1
SECRET_ENCRYPT_OPTIONS_VERSION = 1
CONNECTOR_TYPE_VERSION = 1
CONNECTOR_CONFIG_VERSION = 1
CONNECTOR_ACTOR_VERSION = 1
CHECKER_OPTIONS_VERSION = 1
SCHEDULER_OPTIONS_VERSION = 1
SCHEDULER_STATS_VERSION = 1
INCIDENT_FILTER_VERSION = 1
NOTIFY_OPTIONS_VERSION = 1
NOTIFY_STATS_VERSION = 1

# --------------------------------------------------------------- errors


def error_for(code: int) -> "errors.MonitorageError":
    """The exception for a negative code, with this thread's detail and field."""
    detail = _borrowed(lib.mon_error_last())
    field = _borrowed(lib.mon_error_field())
    if lib.mon_error_last_code() != code:
        # The detail belongs to another failure (or none): do not mislead.
        detail, field = "", ""
    return errors.from_code(code, _borrowed(lib.mon_error_name(code)), detail or _borrowed(lib.mon_strerror(code)),
                            field or None)


def _check_code(result: int, func: Any, args: Any) -> int:
    if result < 0:
        raise error_for(result)
    return result


# --------------------------------------------------------------- declarations

_S = c_char_p  # a borrowed or caller-owned const char *
_OUT_S = POINTER(c_void_p)  # char **out: owned, freed with mon_free

#: name -> (restype, argtypes, returns a MON_* code)
FUNCTIONS: Dict[str, Tuple[Any, Sequence[Any], bool]] = {}


def _fn(name: str, restype: Any, *argtypes: Any, code: Optional[bool] = None) -> None:
    """Declare one function. code defaults to True for int results."""
    FUNCTIONS[name] = (restype, list(argtypes), restype is c_int if code is None else code)


def _declare() -> None:
    # core and errors (monitorage.h, error.h)
    _fn("mon_version", _S)
    _fn("mon_version_number", c_int, code=False)
    _fn("mon_global_init", c_int)
    _fn("mon_global_cleanup", None)
    _fn("mon_free", None, c_void_p)
    _fn("mon_strerror", _S, c_int)
    _fn("mon_error_name", _S, c_int)
    _fn("mon_error_last", _S)
    _fn("mon_error_field", _S)
    _fn("mon_error_last_code", c_int, code=False)
    _fn("mon_error_clear", None)

    # timestamp.h
    _fn("mon_time_text_max", c_size_t, code=False)
    _fn("mon_time_parse", c_int, POINTER(mon_time), _S)
    _fn("mon_time_format", c_int, c_char_p, c_size_t, mon_time)

    # endpoint.h
    E = EndpointP
    _fn("mon_endpoint_new", c_int, POINTER(E))
    _fn("mon_endpoint_from_json", c_int, POINTER(E), _S)
    _fn("mon_endpoint_patch_json", c_int, E, _S)
    _fn("mon_endpoint_to_json", c_int, _OUT_S, E)
    _fn("mon_endpoint_validate", c_int, E)
    _fn("mon_endpoint_dup", c_int, POINTER(E), E)
    _fn("mon_endpoint_free", None, E)
    _fn("mon_endpoint_schema_json", c_int, _OUT_S)
    _fn("mon_endpoint_type_name", _S, c_int)
    _fn("mon_endpoint_type_parse", c_int, POINTER(c_int), _S)
    for field in ("id", "name", "url", "headers_json", "method", "conditions_json"):
        _fn("mon_endpoint_get_" + field, _S, E)
    for field in ("type", "check_interval", "timeout_ms", "expected_status", "enabled", "degraded_ms",
                  "retries", "cert_warn_days", "follow_redirects"):
        _fn("mon_endpoint_get_" + field, c_int, E, code=False)
    _fn("mon_endpoint_get_created_at", mon_time, E)
    _fn("mon_endpoint_get_updated_at", mon_time, E)
    for field in ("id", "name", "url", "headers_json", "method", "conditions_json"):
        _fn("mon_endpoint_set_" + field, c_int, E, _S)
    for field in ("type", "check_interval", "timeout_ms", "expected_status", "enabled", "degraded_ms",
                  "retries", "cert_warn_days", "follow_redirects"):
        _fn("mon_endpoint_set_" + field, c_int, E, c_int)
    _fn("mon_endpoint_set_header", c_int, E, _S, _S)
    _fn("mon_endpoint_set_timestamps", c_int, E, mon_time, mon_time)

    # store.h
    St = StoreP
    _fn("mon_store_open", c_int, POINTER(St), _S)
    _fn("mon_store_close", None, St)
    _fn("mon_store_ping", c_int, St)
    _fn("mon_store_migrate", c_int, St, POINTER(c_int))
    _fn("mon_store_migrations_pending", c_int, St, POINTER(c_int))
    _fn("mon_store_migration_count", c_size_t)
    _fn("mon_store_migration_name", _S, c_size_t)
    _fn("mon_store_endpoint_create", c_int, St, E)
    _fn("mon_store_endpoint_get", c_int, POINTER(E), St, _S)
    _fn("mon_store_endpoint_update", c_int, St, E)
    _fn("mon_store_endpoint_delete", c_int, St, _S)
    _fn("mon_endpoint_filter_init", c_int, POINTER(EndpointFilter), c_uint)
    _fn("mon_store_endpoint_list", c_int, POINTER(EndpointListP), St, POINTER(EndpointFilter))
    _fn("mon_endpoint_list_count", c_size_t, EndpointListP)
    _fn("mon_endpoint_list_at", E, EndpointListP, c_size_t)
    _fn("mon_endpoint_list_total", c_size_t, EndpointListP)
    _fn("mon_endpoint_list_free", None, EndpointListP)
    _fn("mon_status_name", _S, c_int)
    _fn("mon_status_parse", c_int, POINTER(c_int), _S)
    _fn("mon_check_record_init", c_int, POINTER(CheckRecord), c_uint)
    _fn("mon_store_history_insert", c_int, St, POINTER(POINTER(CheckRecord)), c_size_t)
    _fn("mon_store_history", c_int, POINTER(HistoryListP), St, _S, mon_time, mon_time, c_size_t)
    _fn("mon_history_list_count", c_size_t, HistoryListP)
    _fn("mon_history_list_at", POINTER(HistoryEntry), HistoryListP, c_size_t)
    _fn("mon_history_list_to_json", c_int, _OUT_S, HistoryListP)
    _fn("mon_history_list_free", None, HistoryListP)
    _fn("mon_store_status_list", c_int, POINTER(StatusListP), St)
    _fn("mon_status_list_count", c_size_t, StatusListP)
    _fn("mon_status_list_at", POINTER(StatusEntry), StatusListP, c_size_t)
    _fn("mon_status_list_to_json", c_int, _OUT_S, StatusListP)
    _fn("mon_status_list_free", None, StatusListP)
    _fn("mon_store_uptime", c_int, POINTER(UptimeListP), St, _S, c_int64)
    _fn("mon_uptime_list_count", c_size_t, UptimeListP)
    _fn("mon_uptime_list_at", POINTER(UptimeEntry), UptimeListP, c_size_t)
    _fn("mon_uptime_list_to_json", c_int, _OUT_S, UptimeListP)
    _fn("mon_uptime_list_free", None, UptimeListP)
    _fn("mon_overview_options_init", c_int, POINTER(OverviewOptions), c_uint)
    _fn("mon_store_status_overview", c_int, _OUT_S, St, POINTER(OverviewOptions))
    _fn("mon_store_retention_apply", c_int, St, c_int64, POINTER(c_int64))

    # audit.h
    _fn("mon_audit_result_name", _S, c_int)
    _fn("mon_audit_result_parse", c_int, POINTER(c_int), _S)
    _fn("mon_audit_entry_init", c_int, POINTER(AuditEntry), c_uint)
    _fn("mon_audit_append", c_int, POINTER(c_char), St, POINTER(AuditEntry))
    _fn("mon_audit_append_many", c_int, St, POINTER(POINTER(AuditEntry)), c_size_t)
    _fn("mon_audit_redact_json", c_int, _OUT_S, _S)
    _fn("mon_audit_filter_init", c_int, POINTER(AuditFilter), c_uint)
    _fn("mon_audit_query", c_int, POINTER(AuditListP), St, POINTER(AuditFilter))
    _fn("mon_audit_list_count", c_size_t, AuditListP)
    _fn("mon_audit_list_at", POINTER(AuditRow), AuditListP, c_size_t)
    _fn("mon_audit_list_next_cursor", _S, AuditListP)
    _fn("mon_audit_list_to_json", c_int, _OUT_S, AuditListP)
    _fn("mon_audit_list_free", None, AuditListP)
    _fn("mon_audit_break_name", _S, c_int)
    _fn("mon_audit_verify_report_init", c_int, POINTER(AuditVerifyReport), c_uint)
    _fn("mon_audit_verify", c_int, POINTER(AuditVerifyReport), St)
    _fn("mon_audit_verify_report_to_json", c_int, _OUT_S, POINTER(AuditVerifyReport))
    _fn("mon_audit_retention_apply", c_int, POINTER(c_int64), St, POINTER(AuditEntry), c_int64)

    # secret.h
    K = SecretKeyP
    _fn("mon_secret_key_bytes", c_size_t)
    _fn("mon_secret_key_hex_len", c_size_t)
    _fn("mon_secret_key_from_hex", c_int, POINTER(K), _S)
    _fn("mon_secret_key_from_env", c_int, POINTER(K), _S)
    _fn("mon_secret_key_id", _S, K)
    _fn("mon_secret_key_free", None, K)
    _fn("mon_secret_alg_available", c_int, c_int, code=False)
    _fn("mon_secret_encrypt_options_init", c_int, POINTER(SecretEncryptOptions), c_uint)
    _fn("mon_secret_encrypt", c_int, _OUT_S, K, c_void_p, c_size_t, POINTER(SecretEncryptOptions))
    _fn("mon_secret_decrypt", c_int, POINTER(SecretPlainP), K, _S)
    # The plaintext lives in locked memory: read it as an address, copy it once.
    _fn("mon_secret_plain_data", c_void_p, SecretPlainP)
    _fn("mon_secret_plain_size", c_size_t, SecretPlainP)
    _fn("mon_secret_plain_free", None, SecretPlainP)
    _fn("mon_secret_key_id_of", c_int, POINTER(c_char), _S)
    _fn("mon_secret_rotate", c_int, St, K, K, POINTER(c_int))

    # connector.h
    R = ConnectorsP
    C = ConnectorCallP
    _fn("mon_connector_role_name", _S, c_int)
    _fn("mon_connector_call_base_url", _S, C)
    _fn("mon_connector_call_options", _S, C)
    # A credential lives in locked memory: read it as an address.
    _fn("mon_connector_call_credential", c_void_p, C, _S)
    _fn("mon_connector_call_timeout_ms", c_int, C, code=False)
    _fn("mon_connector_call_error", c_int, C, c_int, _S, code=False)
    _fn("mon_connectors_new", c_int, POINTER(R), St, K)
    _fn("mon_connectors_free", None, R)
    _fn("mon_connectors_register", c_int, R, POINTER(ConnectorType))
    _fn("mon_connectors_types_json", c_int, _OUT_S, R)
    _fn("mon_connector_get_json", c_int, _OUT_S, R, _S)
    _fn("mon_connector_list_json", c_int, _OUT_S, R)
    _fn("mon_connector_config_init", c_int, POINTER(ConnectorConfig), c_uint)
    _fn("mon_connector_configure", c_int, R, _S, POINTER(ConnectorConfig))
    _fn("mon_connector_actor_init", c_int, POINTER(ConnectorActor), c_uint)
    _fn("mon_connector_set_audit_hook", c_int, R, CONNECTOR_AUDIT_FN, c_void_p)
    _fn("mon_connector_test", c_int, _OUT_S, R, _S, POINTER(ConnectorActor))
    _fn("mon_connector_run", c_int, _OUT_S, R, _S, _S, _S, POINTER(ConnectorActor))
    _fn("mon_connector_import_env", c_int, R, POINTER(c_int))
    _fn("mon_connector_credentials_set_json", c_int, _OUT_S, R, _S)

    # checker.h
    Ch = CheckerP
    _fn("mon_checker_options_init", c_int, POINTER(CheckerOptions), c_uint)
    _fn("mon_checker_new", c_int, POINTER(Ch), POINTER(CheckerOptions))
    _fn("mon_checker_free", None, Ch)
    _fn("mon_checker_submit", c_int, Ch, E, CHECK_FN, c_void_p)
    _fn("mon_checker_pending", c_size_t, Ch)
    _fn("mon_checker_in_flight", c_size_t, Ch)
    _fn("mon_checker_run", c_int, Ch, c_int)
    _fn("mon_checker_set_socket_callback", c_int, Ch, CHECKER_SOCKET_FN, c_void_p)
    _fn("mon_checker_fds", c_int, Ch, POINTER(CheckerFd), c_size_t, POINTER(c_size_t))
    _fn("mon_checker_timeout_ms", ctypes.c_long, Ch)
    _fn("mon_checker_process", c_int, Ch, c_int, c_int)
    _fn("mon_check_result_dup", c_int, POINTER(CheckResultP), CheckResultP)
    _fn("mon_check_result_free", None, CheckResultP)
    _fn("mon_check_result_to_record", c_int, POINTER(CheckRecord), CheckResultP)
    _fn("mon_check_url", c_int, POINTER(CheckResultP), _S, c_int)
    # A mon_checker_token_cb whose payload is a mon_connectors registry.
    _fn("mon_checker_talend_token", c_int, _OUT_S, E, c_void_p)

    # metrics.h
    _fn("mon_store_check_metrics_json", c_int, _OUT_S, St)

    # scheduler.h
    Sc = SchedulerP
    _fn("mon_scheduler_options_init", c_int, POINTER(SchedulerOptions), c_uint)
    _fn("mon_scheduler_new", c_int, POINTER(Sc), _S, POINTER(SchedulerOptions))
    _fn("mon_scheduler_free", None, Sc)
    _fn("mon_scheduler_run", c_int, Sc, c_int)
    _fn("mon_scheduler_step", c_int, Sc, c_int)
    _fn("mon_scheduler_drain", c_int, Sc, c_int)
    _fn("mon_scheduler_stop", None, Sc)
    _fn("mon_scheduler_stats_get", c_int, POINTER(SchedulerStats), Sc)
    _fn("mon_scheduler_owner", _S, Sc)

    # incident.h (JSON crosses as text)
    _fn("mon_incident_filter_init", c_int, POINTER(IncidentFilter), c_uint)
    _fn("mon_incident_list_json", c_int, _OUT_S, St, POINTER(IncidentFilter))
    _fn("mon_incident_get_json", c_int, _OUT_S, St, _S)
    _fn("mon_incident_policy_get_json", c_int, _OUT_S, St, _S)
    _fn("mon_incident_policy_set", c_int, _OUT_S, St, _S, _S, POINTER(AuditEntry))
    _fn("mon_maintenance_create", c_int, _OUT_S, St, _S, POINTER(AuditEntry))
    _fn("mon_maintenance_get_json", c_int, _OUT_S, St, _S)
    _fn("mon_maintenance_list_json", c_int, _OUT_S, St, _S)
    _fn("mon_maintenance_update", c_int, _OUT_S, St, _S, _S, POINTER(AuditEntry))
    _fn("mon_maintenance_delete", c_int, St, _S, POINTER(AuditEntry))

    # notify.h (JSON crosses as text)
    A = POINTER(AuditEntry)
    _fn("mon_notify_rule_create", c_int, _OUT_S, St, K, _S, A)
    _fn("mon_notify_rule_update", c_int, _OUT_S, St, K, _S, _S, A)
    _fn("mon_notify_rule_delete", c_int, St, _S, A)
    _fn("mon_notify_rule_get_json", c_int, _OUT_S, St, _S)
    _fn("mon_notify_rule_list_json", c_int, _OUT_S, St)
    _fn("mon_notify_outbox_json", c_int, _OUT_S, St, _S, _S, c_size_t)
    _fn("mon_notify_options_init", c_int, POINTER(NotifyOptions), c_uint)
    _fn("mon_notifier_new", c_int, POINTER(NotifierP), St, R, K, POINTER(NotifyOptions))
    _fn("mon_notifier_owner", _S, NotifierP)
    _fn("mon_notifier_free", None, NotifierP)
    _fn("mon_notify_dispatch", c_int, POINTER(NotifyStats), NotifierP)


def _bind(library: ctypes.CDLL) -> None:
    missing = []
    for name, (restype, argtypes, code) in FUNCTIONS.items():
        try:
            func = getattr(library, name)
        except AttributeError:
            missing.append(name)
            continue
        func.restype = restype
        func.argtypes = argtypes
        if code:
            func.errcheck = _check_code
    if missing:
        raise LibraryNotFoundError(
            "%s lacks %d function(s) these bindings need: %s (library too old?)"
            % (library._name, len(missing), ", ".join(sorted(missing)))
        )


# --------------------------------------------------------------- helpers


def _borrowed(value: Optional[bytes]) -> str:
    return value.decode("utf-8", "replace") if value is not None else ""


def text(value: Optional[bytes]) -> Optional[str]:
    """A borrowed C string as str (None stays None)."""
    return value.decode("utf-8") if value is not None else None


def arg(value: Optional[str], field: str) -> Optional[bytes]:
    """A Python string as a NUL-terminated UTF-8 argument (None stays NULL)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("%s: expected str, got %s" % (field, type(value).__name__))
    data = value.encode("utf-8")
    if b"\0" in data:
        raise errors.InvalidInputError(errors.EINVAL, "MON_EINVAL", "%s: contains a NUL character" % field, field)
    return data


def take_string(pointer: c_void_p) -> str:
    """Copy a string the library handed over, and free it with mon_free()."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.mon_free(pointer)
        pointer.value = None


# The process's malloc as the library sees it: looked up in the global scope, so
# that an interposed allocator (LD_PRELOAD of ASan, jemalloc...) is the one used.
_libc = ctypes.CDLL(None)
_libc.malloc.restype = c_void_p
_libc.malloc.argtypes = [c_size_t]


def malloc_string(data: bytes) -> Optional[int]:
    """A malloc()ed NUL-terminated copy of data, for results the library frees with free(); None if out of memory."""
    address = _libc.malloc(len(data) + 1)
    if address:
        ctypes.memmove(address, data + b"\0", len(data) + 1)
    return address


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MICROSECOND = _dt.timedelta(microseconds=1)


def to_datetime(value: int) -> Optional[_dt.datetime]:
    """A mon_time (microseconds since the epoch, 0 = unset) as an aware UTC datetime."""
    if not value:
        return None
    return _EPOCH + _dt.timedelta(microseconds=value)


def from_datetime(value: Optional[_dt.datetime], field: str) -> int:
    """An aware datetime (naive means UTC) or None as a mon_time."""
    if value is None:
        return 0
    if not isinstance(value, _dt.datetime):
        raise TypeError("%s: expected datetime, got %s" % (field, type(value).__name__))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return (value - _EPOCH) // _MICROSECOND


def seconds(value: Any, field: str) -> int:
    """A duration given as a timedelta or a number of seconds, as whole seconds."""
    if isinstance(value, _dt.timedelta):
        return int(value.total_seconds())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s: expected timedelta or seconds, got %s" % (field, type(value).__name__))
    return int(value)


def optional_ms(value: float) -> Optional[float]:
    """-1 (unknown) as None."""
    return None if value < 0 else value


_declare()
lib = _load()
_bind(lib)
if lib.mon_version_number() // 10000 != ABI_MAJOR:
    raise LibraryNotFoundError(
        "%s is version %s; these bindings need %d.x" % (lib._name, _borrowed(lib.mon_version()), ABI_MAJOR)
    )
lib.mon_global_init()
# The interpreter keeps the library for its whole life; objects freed by the
# garbage collector at exit still find it initialised, so no cleanup is registered.


def every_page(fetch: Callable[[Optional[str]], Any]) -> Iterator[Any]:
    """The items of every page fetch(cursor) returns, from cursor None on, following each page's
    next_cursor until it is None."""
    cursor = None
    while True:
        page = fetch(cursor)
        yield from page
        cursor = page.next_cursor
        if cursor is None:
            return
