"""Encrypted credentials: the key, the versioned ciphertext, key rotation.

The library keeps keys and decrypted values in locked memory and wipes them.
Python cannot wipe its own ``bytes``: :meth:`SecretKey.decrypt` copies the
plaintext out of locked memory once and frees (wipes) the library's copy at
once; keep the Python copy no longer than needed.
"""

from __future__ import annotations

import enum
import os
from ctypes import byref, c_int, c_void_p, create_string_buffer, string_at
from typing import Optional, Union

from . import _ffi
from ._ffi import SecretKeyP, SecretPlainP, lib
from ._handle import Handle
from .store import Store

KEY_BYTES = int(lib.mon_secret_key_bytes())
KEY_HEX_LEN = int(lib.mon_secret_key_hex_len())
KEY_ID_LEN = 8  # MON_SECRET_KEY_ID_LEN


class SecretAlg(enum.IntEnum):
    """AEAD algorithms of the ciphertext format (values of mon_secret_alg)."""

    AUTO = 0
    AES256GCM = 1
    XCHACHA20POLY1305 = 2

    @property
    def available(self) -> bool:
        """Whether this machine can use the algorithm."""
        return bool(lib.mon_secret_alg_available(int(self)))


class SecretKey(Handle):
    """An encryption key (its bytes live in the library's locked memory, wiped on close)."""

    _free = lib.mon_secret_key_free
    _what = "SecretKey"

    def __init__(self, hex_key: str) -> None:
        """A key from exactly 64 hex characters (EncryptionKeyError otherwise, never echoing the value)."""
        pointer = SecretKeyP()
        lib.mon_secret_key_from_hex(byref(pointer), _ffi.arg(hex_key, "key"))
        self._adopt(pointer)

    @classmethod
    def from_hex(cls, hex_key: str) -> "SecretKey":
        """Same as SecretKey(hex_key)."""
        return cls(hex_key)

    @classmethod
    def from_env(cls, name: Optional[str] = None) -> "SecretKey":
        """The key in environment variable name (default ENCRYPTION_KEY)."""
        self = cls.__new__(cls)
        pointer = SecretKeyP()
        lib.mon_secret_key_from_env(byref(pointer), _ffi.arg(name, "name"))
        self._adopt(pointer)
        return self

    @staticmethod
    def new_hex() -> str:
        """64 hex characters of a fresh random key (os.urandom), for ENCRYPTION_KEY."""
        return os.urandom(KEY_BYTES).hex()

    @property
    def id(self) -> str:
        """The key id: 8 lower-case hex characters, written into every ciphertext."""
        return _ffi.text(lib.mon_secret_key_id(self._handle)) or ""

    def encrypt(self, plain: Union[bytes, str], alg: SecretAlg = SecretAlg.AUTO) -> str:
        """Seal plain (str is encoded as UTF-8) into the text format "mon1:<alg>:<keyid>:...".

        Forcing an algorithm is meant for tests; UnsupportedError if it is not available here.
        """
        data = plain.encode("utf-8") if isinstance(plain, str) else bytes(plain)
        options = _ffi.SecretEncryptOptions()
        lib.mon_secret_encrypt_options_init(byref(options), _ffi.SECRET_ENCRYPT_OPTIONS_VERSION)
        options.alg = int(alg)
        out = c_void_p()
        lib.mon_secret_encrypt(byref(out), self._handle, data, len(data), byref(options))
        return _ffi.take_string(out)

    def decrypt(self, text: str) -> bytes:
        """Open a ciphertext. InvalidInputError (not this format), VersionError, WrongKeyError
        (another key: the message names both ids), TamperedError, UnsupportedError."""
        plain = SecretPlainP()
        lib.mon_secret_decrypt(byref(plain), self._handle, _ffi.arg(text, "text"))
        try:
            size = lib.mon_secret_plain_size(plain)
            return string_at(lib.mon_secret_plain_data(plain), size) if size else b""
        finally:
            lib.mon_secret_plain_free(plain)

    def decrypt_str(self, text: str) -> str:
        """decrypt() decoded as UTF-8."""
        return self.decrypt(text).decode("utf-8")

    def __repr__(self) -> str:
        return "<SecretKey %s>" % ("closed" if self.closed else "id=" + self.id)


def key_id_of(text: str) -> str:
    """The id of the key a ciphertext was made with."""
    out = create_string_buffer(KEY_ID_LEN + 1)
    lib.mon_secret_key_id_of(out, _ffi.arg(text, "text"))
    return out.value.decode()


def rotate(store: Store, old_key: SecretKey, new_key: SecretKey) -> int:
    """Re-encrypt every stored credential from old_key to new_key in one transaction; returns how many."""
    rotated = c_int()
    lib.mon_secret_rotate(store._handle, old_key._handle, new_key._handle, byref(rotated))
    return rotated.value
