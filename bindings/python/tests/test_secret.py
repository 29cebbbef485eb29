"""Secrets through Python: keys, round trips, tampering, wrong keys, rotation of stored credentials."""

from __future__ import annotations

import base64

import pytest

import pgtest
from monitorage import (
    Connectors,
    EncryptionKeyError,
    InvalidInputError,
    SecretAlg,
    SecretKey,
    Store,
    TamperedError,
    UnsupportedError,
    VersionError,
    WrongKeyError,
    key_id_of,
    rotate_key,
)

HEX_A = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
HEX_B = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"


@pytest.mark.parametrize("alg", [SecretAlg.AUTO, SecretAlg.XCHACHA20POLY1305, SecretAlg.AES256GCM])
def test_round_trip_of_bytes_and_text(alg: SecretAlg) -> None:
    if not alg.available:
        pytest.skip("%s not available on this CPU" % alg.name)
    with SecretKey(HEX_A) as key:
        for plain in (b"", b"\x00\x01binary\xff", "pässwörd 東京".encode()):
            text = key.encrypt(plain, alg)
            assert text.startswith("mon1:") and key_id_of(text) == key.id
            assert key.decrypt(text) == plain
        assert key.decrypt_str(key.encrypt("héllo")) == "héllo"
        assert key.encrypt("same") != key.encrypt("same")  # fresh nonce each time


def test_key_id_is_stable_and_upper_case_hex_is_the_same_key() -> None:
    a, upper = SecretKey(HEX_A), SecretKey.from_hex(HEX_A.upper())
    assert a.id == upper.id and len(a.id) == 8 and a.id != SecretKey(HEX_B).id
    assert repr(a) == "<SecretKey id=%s>" % a.id


@pytest.mark.parametrize("bad", ["", "abc", HEX_A[:-1], HEX_A + "0", "zz" + HEX_A[2:], " " + HEX_A[1:]])
def test_bad_keys_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(EncryptionKeyError) as caught:
        SecretKey(bad)
    if len(bad) > 4:
        assert bad not in caught.value.message


def test_key_from_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCRYPTION_KEY", HEX_A)
    assert SecretKey.from_env().id == SecretKey(HEX_A).id
    monkeypatch.setenv("OTHER_KEY", "nothex")
    with pytest.raises(EncryptionKeyError) as caught:
        SecretKey.from_env("OTHER_KEY")
    assert "OTHER_KEY" in caught.value.message and "nothex" not in caught.value.message
    monkeypatch.delenv("ENCRYPTION_KEY")
    with pytest.raises(EncryptionKeyError):
        SecretKey.from_env()
    assert len(SecretKey.new_hex()) == 64 and SecretKey(SecretKey.new_hex()).id


def test_wrong_key_names_both_key_ids() -> None:
    a, b = SecretKey(HEX_A), SecretKey(HEX_B)
    with pytest.raises(WrongKeyError) as caught:
        b.decrypt(a.encrypt("x"))
    assert a.id in caught.value.message and b.id in caught.value.message


def test_tampering_any_character_is_detected() -> None:
    key = SecretKey(HEX_A)
    text = key.encrypt("the secret", SecretAlg.XCHACHA20POLY1305)
    last = text.rsplit(":", 1)
    raw = bytearray(base64.b64decode(last[1]))
    raw[0] ^= 1
    with pytest.raises(TamperedError):
        key.decrypt(last[0] + ":" + base64.b64encode(bytes(raw)).decode())
    for cut in range(len("mon1:xc20p:") + 9, len(text)):
        with pytest.raises((TamperedError, InvalidInputError, VersionError)):
            key.decrypt(text[:cut])


def test_malformed_and_unknown_versions_are_distinct() -> None:
    key = SecretKey(HEX_A)
    with pytest.raises(InvalidInputError):
        key.decrypt("plain text")
    with pytest.raises(VersionError):
        key.decrypt("mon9:xc20p:%s:AAAA:AAAA" % key.id)
    with pytest.raises(VersionError):
        key.decrypt("mon1:rot13:%s:AAAA:AAAA" % key.id)


def test_unavailable_forced_algorithm_is_unsupported() -> None:
    if SecretAlg.AES256GCM.available:
        pytest.skip("AES-256-GCM is available here")
    with pytest.raises(UnsupportedError):
        SecretKey(HEX_A).encrypt("x", SecretAlg.AES256GCM)


def test_rotation_reencrypts_stored_credentials(store: Store, db_url: str) -> None:
    old, new = SecretKey(HEX_A), SecretKey(HEX_B)
    with Connectors(store, old) as registry:
        registry.configure("TALEND", base_url="https://api.example.com", credentials={"token": "t-1"})
        registry.configure("GITHUB", credentials={"token": "g-1"})
    assert rotate_key(store, old, new) == 2
    assert rotate_key(store, old, new) == 0  # already rotated: harmless
    stored = pgtest.query(db_url, "SELECT credentials FROM connectors WHERE credentials IS NOT NULL")
    assert len(stored) == 2 and all(key_id_of(row[0]) == new.id for row in stored)
    assert all(new.decrypt_str(row[0]).startswith("{") for row in stored)
    with Connectors(store, new) as registry:
        assert registry.get("TALEND")["credentials_key_id"] == new.id


def test_rotation_is_all_or_nothing_when_a_value_has_a_third_key(store: Store, db_url: str) -> None:
    old, new, other = SecretKey(HEX_A), SecretKey(HEX_B), SecretKey(SecretKey.new_hex())
    with Connectors(store, old) as registry:
        registry.configure("TALEND", credentials={"token": "t-1"})
        registry.configure("GITHUB", credentials={"token": "g-1"})
    pgtest.query(db_url, "UPDATE connectors SET credentials = '%s' WHERE type = 'GITHUB'" % other.encrypt("{}"))
    with pytest.raises(WrongKeyError) as caught:
        rotate_key(store, old, new)
    assert other.id in caught.value.message
    talend = pgtest.value(db_url, "SELECT credentials FROM connectors WHERE type = 'TALEND'")
    assert key_id_of(talend or "") == old.id
    store.ping()
