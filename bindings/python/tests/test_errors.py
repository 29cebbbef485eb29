"""Library error codes become exceptions carrying the code, name, detail and field."""

from __future__ import annotations

import pickle
import threading

import pytest

import monitorage
from monitorage import _ffi, errors


def test_every_library_code_has_a_class_and_a_name() -> None:
    lib = _ffi.lib
    for code, cls in errors.CLASSES.items():
        name = lib.mon_error_name(code).decode()
        assert name != "MON_EUNKNOWN", code
        assert getattr(errors, name[4:]) == code  # errors.EINVAL == -1 ...
        assert issubclass(cls, errors.MonitorageError)
        assert lib.mon_strerror(code).decode() != "unknown error"
    assert lib.mon_error_name(-26).decode() == "MON_EUNKNOWN"  # codes only grow: update CLASSES when they do


def test_families_are_also_builtin_exceptions() -> None:
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.NotFoundError, LookupError)
    assert issubclass(errors.ConnectionError, ConnectionError)
    assert issubclass(errors.TimeoutError, TimeoutError)
    assert issubclass(errors.ForbiddenError, PermissionError)
    assert issubclass(errors.OutOfMemoryError, MemoryError)
    for cls in (errors.EncryptionKeyError, errors.WrongKeyError, errors.TamperedError):
        assert issubclass(cls, errors.CryptoError)
    for cls in (errors.AuthError, errors.RateLimitedError, errors.UpstreamError, errors.ProtocolError):
        assert issubclass(cls, errors.RemoteError)


def test_an_unknown_code_gives_the_base_class() -> None:
    error = errors.from_code(-99, "MON_EUNKNOWN", "newer library")
    assert type(error) is errors.MonitorageError and error.code == -99


def test_a_failing_call_carries_the_thread_detail_and_field() -> None:
    with pytest.raises(monitorage.InvalidInputError) as caught:
        monitorage.Endpoint.from_dict({"name": "x", "type": "APIM", "url": "ftp://x"})
    error = caught.value
    assert (error.code, error.name, error.field) == (-1, "MON_EINVAL", "url")
    assert error.message == "url: scheme must be http or https"
    assert str(error) == "url: scheme must be http or https (MON_EINVAL)"
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and again.field == "url" and again.message == error.message


def test_detail_is_per_thread() -> None:
    seen = {}

    def other() -> None:
        try:
            monitorage.Endpoint(name="ok", url="notaurl")
        except monitorage.InvalidInputError as exc:
            seen["other"] = exc.field

    with pytest.raises(monitorage.InvalidInputError) as caught:
        monitorage.Endpoint(check_interval=0)
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["other"] == "url" and caught.value.field == "check_interval"


def test_clearing_the_error_forgets_the_detail() -> None:
    lib = _ffi.lib
    with pytest.raises(monitorage.InvalidInputError):
        monitorage.Endpoint(retries=-1)
    assert lib.mon_error_last_code() == -1
    lib.mon_error_clear()
    assert lib.mon_error_last_code() == 0 and lib.mon_error_last() == b"" and lib.mon_error_field() == b""


def test_a_code_without_a_matching_detail_falls_back_to_the_code_text() -> None:
    _ffi.lib.mon_error_clear()
    error = _ffi.error_for(errors.ENOTFOUND)
    assert isinstance(error, errors.NotFoundError)
    assert error.message == "not found" and error.field is None


def test_unreachable_database_is_a_connection_error_without_the_password() -> None:
    with pytest.raises(monitorage.ConnectionError) as caught:
        monitorage.Store("postgresql://user:hunter2@127.0.0.1:1/nothing?connect_timeout=2")
    assert "hunter2" not in caught.value.message
    assert isinstance(caught.value, ConnectionError)


def test_malformed_database_url_is_invalid_input() -> None:
    with pytest.raises(monitorage.InvalidInputError) as caught:
        monitorage.Store("postgresql://u:SuperSecret@host/db?nosuchoption=1")
    assert caught.value.field == "database_url" and "SuperSecret" not in caught.value.message


def test_unparseable_database_url_is_not_echoed_with_its_password() -> None:
    with pytest.raises(monitorage.MonitorageError) as caught:
        monitorage.Store("postgresql://u:s3cret@[::1")
    assert "s3cret" not in caught.value.message
