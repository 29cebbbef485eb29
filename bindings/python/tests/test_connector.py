"""The connector registry through Python, with a connector type written in Python."""

from __future__ import annotations

import http.server
import sys
import time
from typing import Any, Dict, List, Optional

import pytest

import loopback
import pgtest
from monitorage import (
    Action,
    Actor,
    AlreadyExistsError,
    AuditEvent,
    Checker,
    ConnectorCall,
    ConnectorRole,
    Connectors,
    ConnectorType,
    DisabledError,
    EncryptionKeyError,
    Endpoint,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    Scheduler,
    SecretKey,
    Status,
    Store,
    UpstreamError,
)

SECRET = "py-Secret-Value-7731"


class Echo(ConnectorType):
    name = "ECHO"
    description = "Echoes what it is given."
    credential_fields = ("api_key",)
    actions = (
        Action("echo", "Echo the parameters."),
        Action("purge", "Admin only.", min_role=ConnectorRole.ADMIN),
        Action("leak", "Fails with the credential in its message."),
        Action("crash", "Raises a Python exception."),
    )

    def __init__(self) -> None:
        self.tests = 0
        self.calls: List[ConnectorCall] = []

    def validate(self, call: ConnectorCall) -> None:
        if call.credential("api_key") is None:
            raise InvalidInputError(-1, "MON_EINVAL", "credentials: ECHO needs api_key", "credentials")

    def test(self, call: ConnectorCall) -> Dict[str, Any]:
        self.tests += 1
        return {"ok": True, "base_url": call.base_url}

    def run(self, call: ConnectorCall, action: str, params: Dict[str, Any]) -> Any:
        self.calls.append(call)
        if action == "leak":
            raise UpstreamError(-19, "MON_EUPSTREAM", "upstream said key %s is bad" % call.credential("api_key"))
        if action == "crash":
            return {"value": 1 / 0}
        return {"params": params, "options": call.options, "timeout_ms": call.timeout_ms,
                "key_length": len(call.credential("api_key") or "")}


@pytest.fixture
def key() -> SecretKey:
    return SecretKey(SecretKey.new_hex())


@pytest.fixture
def registry(store: Store, key: SecretKey):
    with Connectors(store, key) as reg:
        yield reg


@pytest.fixture
def echo(registry: Connectors) -> Echo:
    impl = Echo()
    registry.register(impl)
    registry.configure("ECHO", options={"region": "eu", "timeout_ms": 1234}, credentials={"api_key": SECRET},
                       enabled=True)
    return impl


def test_registry_lists_builtin_types_with_actions(registry: Connectors) -> None:
    types = {t["name"]: t for t in registry.types()}
    assert "TALEND" in types and types["TALEND"]["builtin"] is True
    run_task = [a for a in registry.actions("TALEND") if a["name"] == "run_task"][0]
    assert run_task["min_role"] == "operator" and isinstance(run_task["params_schema"], dict)
    with pytest.raises(NotFoundError):
        registry.actions("NOPE")
    assert [c["name"] for c in registry.list()][0] == "TALEND"


def test_credentials_are_stored_encrypted_and_never_returned(registry: Connectors, key: SecretKey,
                                                             db_url: str) -> None:
    assert registry.get("TALEND")["credentials_set"] is False
    registry.configure("TALEND", base_url="https://api.eu.cloud.talend.com", credentials={"token": SECRET})
    config = registry.get("TALEND")
    assert config["credentials_set"] is True and config["credentials_key_id"] == key.id
    assert config["base_url"] == "https://api.eu.cloud.talend.com"
    assert SECRET not in str(config) and SECRET not in str(registry.list())
    stored = pgtest.value(db_url, "SELECT credentials FROM connectors WHERE type = 'TALEND'") or ""
    assert stored.startswith("mon1:") and SECRET not in stored
    registry.configure("TALEND", clear_credentials=True)
    assert registry.get("TALEND")["credentials_set"] is False


def test_configure_errors_name_the_field(registry: Connectors, store: Store) -> None:
    with pytest.raises(InvalidInputError) as caught:
        registry.configure("TALEND", base_url="ftp://x")
    assert caught.value.field == "base_url"
    with pytest.raises(InvalidInputError):
        registry.configure("TALEND", options={"timeout_ms": 0})
    with pytest.raises(NotFoundError):
        registry.configure("NOPE", enabled=True)
    with Connectors(store) as keyless:
        with pytest.raises(EncryptionKeyError):
            keyless.configure("TALEND", credentials={"token": "x"})


def test_python_type_runs_actions_with_dicts(registry: Connectors, echo: Echo) -> None:
    result = registry.run("ECHO", "echo", {"n": 1, "text": "ünï"})
    assert result["params"] == {"n": 1, "text": "ünï"}
    assert result["options"]["region"] == "eu" and result["timeout_ms"] == 1234
    assert result["key_length"] == len(SECRET)
    assert registry.test("ECHO") == {"ok": True, "base_url": ""} and echo.tests == 1
    assert registry.get("ECHO")["builtin"] is False
    with pytest.raises(ValueError, match="after its call returned"):
        echo.calls[0].base_url  # the call object dies with the call


def test_roles_are_enforced_and_the_system_may_do_everything(registry: Connectors, echo: Echo) -> None:
    reader = Actor(user_id="u1", user_email="u1@example.com", roles=["reader"], role="reader")
    with pytest.raises(ForbiddenError) as caught:
        registry.run("ECHO", "purge", {}, actor=reader)
    assert "admin" in caught.value.message
    assert registry.run("ECHO", "purge", {}, actor=Actor(user_id="a", role=ConnectorRole.ADMIN))["params"] == {}
    assert registry.run("ECHO", "purge")["params"] == {}
    with pytest.raises(NotFoundError):
        registry.run("ECHO", "nope")


def test_errors_raised_in_python_are_scrubbed_of_credentials(registry: Connectors, echo: Echo) -> None:
    with pytest.raises(UpstreamError) as caught:
        registry.run("ECHO", "leak")
    assert SECRET not in caught.value.message and "upstream said key" in caught.value.message
    assert isinstance(caught.value.__cause__, UpstreamError)


def test_unexpected_python_exceptions_become_errors_not_crashes(registry: Connectors, echo: Echo) -> None:
    with pytest.raises(UpstreamError) as caught:
        registry.run("ECHO", "crash")
    assert "ZeroDivisionError" in caught.value.message
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert registry.run("ECHO", "echo", {})["params"] == {}  # still usable


def test_validate_runs_before_every_call(registry: Connectors, echo: Echo) -> None:
    registry.configure("ECHO", clear_credentials=True)
    with pytest.raises(InvalidInputError) as caught:
        registry.test("ECHO")
    # mon_connector_call_error() carries no field: the message keeps the type's wording.
    assert caught.value.message == "credentials: ECHO needs api_key" and echo.tests == 0


def test_disabled_connector_refuses(registry: Connectors, echo: Echo) -> None:
    registry.configure("ECHO", enabled=False)
    with pytest.raises(DisabledError):
        registry.run("ECHO", "echo")


def test_audit_hook_sees_every_run_with_redacted_parameters(registry: Connectors, echo: Echo) -> None:
    events: List[AuditEvent] = []
    registry.set_audit_hook(events.append)
    actor = Actor(user_id="u9", user_email="u9@example.com", roles=["operator"], ip_address="10.0.0.9",
                  role="operator")
    registry.run("ECHO", "echo", {"password": "hunter2", "n": 2}, actor=actor)
    with pytest.raises(ForbiddenError):
        registry.run("ECHO", "purge", actor=actor)
    registry.test("ECHO")
    assert [(e.target, e.success) for e in events] == [("ECHO.echo", True), ("ECHO.purge", False),
                                                       ("ECHO.test", True)]
    first = events[0]
    assert first.parameters == {"n": 2, "password": "[REDACTED]"}
    assert first.actor == actor and first.error_message is None and first.duration_ms >= 0
    assert events[1].error_code == -16 and "admin" in (events[1].error_message or "")
    assert events[2].actor is None
    registry.set_audit_hook(None)
    registry.test("ECHO")
    assert len(events) == 3


def test_an_exception_in_the_audit_hook_does_not_break_the_run(registry: Connectors, echo: Echo,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    reported: List[Any] = []

    def broken(event: AuditEvent) -> None:
        raise RuntimeError("hook failed")

    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    registry.set_audit_hook(broken)
    assert registry.run("ECHO", "echo", {"a": 1})["params"] == {"a": 1}
    assert len(reported) == 1 and isinstance(reported[0].exc_value, RuntimeError)


def test_registering_a_taken_or_bad_name_is_refused(registry: Connectors, echo: Echo) -> None:
    with pytest.raises(AlreadyExistsError):
        registry.register(Echo())

    class Talend(Echo):
        name = "TALEND"

    with pytest.raises(AlreadyExistsError):
        registry.register(Talend())

    class Lower(Echo):
        name = "lower"

    with pytest.raises(InvalidInputError):
        registry.register(Lower())


def test_seed_environment_variables_are_imported_into_unconfigured_connectors(
        registry: Connectors, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALEND_API_KEY", SECRET)
    monkeypatch.setenv("TALEND_BASE_URL", "https://api.eu.cloud.talend.com")
    assert registry.import_env() >= 1
    config = registry.get("TALEND")
    assert config["credentials_set"] is True and config["base_url"] == "https://api.eu.cloud.talend.com"
    assert registry.import_env() == 0  # connectors with credentials are left alone


def test_closing_the_store_closes_the_registry_first(db_url: str) -> None:
    store = Store(db_url)
    key = SecretKey(SecretKey.new_hex())
    registry = Connectors(store, key)
    registry.register(Echo())
    store.close()
    assert registry.closed
    with pytest.raises(ValueError, match="closed"):
        registry.types()
    with pytest.raises(ValueError, match="closed"):
        Connectors(store, key)


def test_credentials_set_says_which_fields_are_stored_never_their_value(registry: Connectors) -> None:
    assert registry.credentials_set("TALEND") == {"token": False}
    registry.configure("TALEND", credentials={"token": SECRET})
    assert registry.credentials_set("TALEND") == {"token": True}
    with pytest.raises(NotFoundError):
        registry.credentials_set("NOPE")


class _AuthEcho(http.server.BaseHTTPRequestHandler):
    seen: List[Optional[str]] = []
    by_path: Dict[str, Optional[str]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).seen.append(self.headers.get("Authorization"))
        type(self).by_path[self.path] = self.headers.get("Authorization")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_talend_token_hook_sends_the_stored_token(registry: Connectors, store: Store) -> None:
    _AuthEcho.seen = []
    with loopback.serve(_AuthEcho) as url:
        ep = Endpoint(name="Talend", type="TALEND", url=url + "/")
        assert registry.talend_token(ep) is None  # nothing stored: no token
        registry.configure("TALEND", base_url="https://api.eu.cloud.talend.com", credentials={"token": SECRET},
                           enabled=True)
        assert registry.talend_token(ep) == SECRET
        with Checker(token=registry) as checker:  # the library's own hook over the registry
            [result] = checker.check_all([ep], timeout=10)
        assert result.status == "UP"
        assert _AuthEcho.seen == ["Bearer " + SECRET]
        with Connectors(store) as keyless:  # credentials stored, no key to read them
            with pytest.raises(EncryptionKeyError):
                keyless.talend_token(ep)
        registry.configure("TALEND", enabled=False)
        assert registry.talend_token(ep) is None


def test_a_scheduler_run_sends_the_talend_token_to_talend_endpoints_only(registry: Connectors, store: Store,
                                                                          db_url: str) -> None:
    _AuthEcho.by_path = {}
    with loopback.serve(_AuthEcho) as url:
        registry.configure("TALEND", base_url="https://api.eu.cloud.talend.com", credentials={"token": SECRET},
                           enabled=True)
        for name, kind in (("job", "TALEND"), ("api", "APIM")):
            store.create_endpoint(Endpoint(name=name, type=kind, url=url + "/" + name, check_interval=60, retries=0))
        pgtest.query(db_url, "UPDATE endpoint_schedule SET next_check_at = now()")
        with Scheduler(db_url, flush_interval_ms=50, token=registry) as scheduler:
            deadline = time.monotonic() + 20
            while scheduler.stats().results_written < 2 and time.monotonic() < deadline:
                assert scheduler.step(100)
            assert scheduler.drain(10)
            assert scheduler.stats().results_written == 2
        assert _AuthEcho.by_path == {"/job": "Bearer " + SECRET, "/api": None}
        assert [row.status for row in store.status()] == [Status.UP, Status.UP]


def test_a_checker_using_the_registry_is_closed_with_it(registry: Connectors) -> None:
    checker = Checker(token=registry)
    registry.close()
    assert checker.closed


def test_a_scheduler_using_the_registry_as_token_hook_is_closed_with_it(registry: Connectors, db_url: str) -> None:
    scheduler = Scheduler(db_url, token=registry)
    registry.close()
    assert scheduler.closed
