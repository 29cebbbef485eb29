"""The endpoint model through Python: defaults, properties, JSON, validation errors as exceptions."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from monitorage import Endpoint, EndpointType, InvalidInputError, MonitorageError

URL = "https://api.example.com/health"


def make(**fields):
    return Endpoint(name="API", type="APIM", url=URL, **fields)


def test_new_endpoint_has_the_documented_defaults() -> None:
    with Endpoint() as ep:
        assert ep.id is None and ep.name == "" and ep.url == ""
        assert ep.type is EndpointType.APIM
        assert (ep.check_interval, ep.timeout_ms, ep.expected_status) == (60, 5000, 200)
        assert ep.enabled is True and ep.method == "GET" and ep.headers == {} and ep.conditions == []
        assert (ep.degraded_ms, ep.retries, ep.cert_warn_days, ep.follow_redirects) == (2000, 1, 14, False)
        assert ep.created_at is None and ep.updated_at is None
        with pytest.raises(InvalidInputError) as caught:
            ep.validate()
        assert caught.value.field == "name"


def test_keyword_construction_sets_and_validates_every_field() -> None:
    ep = make(check_interval=30, timeout_ms=2000, expected_status=204, headers={"X-Team": "ops"},
              enabled=False, method="HEAD", degraded_ms=500, retries=2, cert_warn_days=7, follow_redirects=True,
              conditions=[{"type": "json_equals", "path": "status", "value": "UP"},
                          {"type": "body_not_contains", "value": "error"}])
    ep.validate()
    assert ep.type == "APIM" and ep.check_interval == 30 and ep.headers == {"X-Team": "ops"}
    assert {c["type"] for c in ep.conditions} == {"json_equals", "body_not_contains"}
    assert ep.enabled is False and ep.method == "HEAD" and ep.follow_redirects is True
    with pytest.raises(TypeError):
        Endpoint(nonsense=1)
    with pytest.raises(TypeError):
        Endpoint(created_at=dt.datetime.now())


def test_json_and_dict_round_trip_keep_every_field() -> None:
    ep = make(headers={"Accept": "application/json"}, degraded_ms=900)
    ep.id = "6F1C7C5E-4C1B-4E8B-9F64-0A2F4B7D9E10"
    ep.set_timestamps(dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc),
                      dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc))
    data = ep.to_dict()
    assert data["id"] == "6f1c7c5e-4c1b-4e8b-9f64-0a2f4b7d9e10"  # stored lower case
    again = Endpoint.from_dict(data)
    assert again == ep and again.to_json() == ep.to_json()
    assert Endpoint.from_json(ep.to_json()).created_at == dt.datetime(2024, 5, 1, 12, 0, 0, 123456,
                                                                        tzinfo=dt.timezone.utc)


def test_unstored_endpoint_writes_null_id_and_stamps() -> None:
    data = make().to_dict()
    assert data["id"] is None and data["created_at"] is None and data["updated_at"] is None


@pytest.mark.parametrize("field,value,message", [
    ("url", "ftp://example.com/", "url: scheme must be http or https"),
    ("url", "x" * 501, "url: longer than 500 characters"),
    ("name", "n" * 101, "name: longer than 100 characters"),
    ("check_interval", 0, None),
    ("expected_status", 42, None),
    ("retries", -1, None),
    ("method", "BREW", None),
    ("id", "not-a-uuid", None),
])
def test_setters_raise_invalid_input_naming_the_field_and_keep_the_value(field, value, message) -> None:
    ep = make()
    before = ep.to_dict()
    with pytest.raises(InvalidInputError) as caught:
        setattr(ep, field, value)
    error = caught.value
    assert error.field == field and error.code == -1 and error.name == "MON_EINVAL"
    assert error.message.startswith(field + ": ")
    if message:
        assert error.message == message
    assert isinstance(error, ValueError) and isinstance(error, MonitorageError)
    assert ep.to_dict() == before


def test_name_length_counts_code_points_and_utf8_round_trips() -> None:
    name = "é" * 100  # 200 bytes, 100 characters
    ep = make()
    ep.name = name
    assert ep.name == name
    assert Endpoint.from_json(ep.to_json()).name == name
    with pytest.raises(InvalidInputError):
        ep.name = "😀" * 101


def test_embedded_nul_is_refused_before_reaching_c() -> None:
    with pytest.raises(InvalidInputError) as caught:
        make().name = "a\0b"
    assert caught.value.field == "name"


def test_python_types_are_checked() -> None:
    ep = make()
    with pytest.raises(TypeError):
        ep.check_interval = "60"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        ep.enabled = 1  # type: ignore[assignment]
    with pytest.raises(TypeError):
        ep.headers = [("a", "b")]  # type: ignore[assignment]
    with pytest.raises(InvalidInputError) as caught:
        ep.timeout_ms = 2**40
    assert caught.value.field == "timeout_ms"
    with pytest.raises(InvalidInputError) as caught:
        ep.type = "FTP"
    assert caught.value.field == "type"


@pytest.mark.parametrize("document,field", [
    ({"name": "a", "url": URL}, "type"),
    ({"name": "a", "type": "APIM", "url": URL, "colour": "red"}, "colour"),
    ({"name": 5, "type": "APIM", "url": URL}, "name"),
    ({"name": "a", "type": "SMTP", "url": URL}, "type"),
    ({"name": "a", "type": "APIM", "url": URL, "headers": {"X": "a\r\nInjected: 1"}}, None),
    ({"name": "a", "type": "APIM", "url": URL, "conditions": [{"type": "nope"}]}, None),
])
def test_from_dict_rejects_bad_documents_naming_the_field(document, field) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Endpoint.from_dict(document)
    if field:
        assert caught.value.field == field
    assert caught.value.message


def test_bad_json_text_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Endpoint.from_json('{"name": "a",')
    assert "json" in caught.value.message.lower() or caught.value.field


def test_headers_can_be_set_one_at_a_time() -> None:
    ep = make()
    ep.set_header("X-A", "1")
    ep.set_header("X-B", "2")
    ep.set_header("X-A", "3")
    ep.set_header("X-B", None)
    assert ep.headers == {"X-A": "3"}
    with pytest.raises(InvalidInputError):
        ep.set_header("Bad Header", "x")


def test_patch_changes_only_given_fields_and_is_all_or_nothing() -> None:
    ep = make(retries=3)
    ep.patch({"name": "Renamed", "enabled": False})
    assert ep.name == "Renamed" and ep.enabled is False and ep.retries == 3
    before = ep.to_dict()
    with pytest.raises(InvalidInputError) as caught:
        ep.patch({"name": "Other", "retries": -5})
    assert caught.value.field == "retries"
    assert ep.to_dict() == before
    with pytest.raises(InvalidInputError) as caught:
        ep.patch({"id": "6f1c7c5e-4c1b-4e8b-9f64-0a2f4b7d9e10"})
    assert caught.value.message == "id: read-only field"


def test_copy_is_deep_and_independent() -> None:
    ep = make(headers={"X": "1"})
    other = copy.copy(ep)
    deeper = copy.deepcopy(ep)
    other.set_header("X", "2")
    other.name = "Other"
    assert ep.headers == {"X": "1"} and ep.name == "API"
    assert deeper == ep and other != ep


def test_schema_lists_every_field_with_bounds() -> None:
    schema = Endpoint.schema()
    assert {"name", "type", "url", "check_interval", "timeout", "headers", "conditions"} <= set(schema)
    assert json.dumps(schema)


def test_type_enum_matches_the_library() -> None:
    for member in EndpointType:
        assert EndpointType.from_c(member.to_c()) is member
    assert [m.value for m in EndpointType] == ["APIM", "DOMAIN", "TALEND"]


def test_closed_endpoint_is_refused_and_close_is_idempotent() -> None:
    ep = make()
    ep.close()
    ep.close()
    assert ep.closed and repr(ep) == "<Endpoint (closed)>"
    with pytest.raises(ValueError, match="closed"):
        ep.name
    with make() as inside:
        assert not inside.closed
    assert inside.closed
