"""Secrets at rest: AES-256-GCM under master keys with ids, for rotation.

``SENTIMATRIX_ENCRYPTION_KEYS`` holds ``id:base64key`` pairs separated by
commas; the first one encrypts, all of them decrypt. Rotating means putting a
new key first and running ``manage.py rotate_encryption_key``, which
re-encrypts every stored secret under it (each app that stores secrets registers
how to re-encrypt them: :func:`register_rotation`); old keys can then be removed.
Associated data binds a ciphertext to its owner, so a ciphertext copied onto
another user's record does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """The ciphertext, nonce, tag, key or associated data do not match."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    ciphertext: bytes
    nonce: bytes
    tag: bytes


def generate_key_spec(key_id: str | None = None) -> str:
    """A new ``id:base64key`` entry for SENTIMATRIX_ENCRYPTION_KEYS."""
    key_id = key_id or f"k{secrets.token_hex(3)}"
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def parse_keys(spec: str) -> dict[str, bytes]:
    """Parse the setting; order is kept and the first key is the current one."""
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured("SENTIMATRIX_ENCRYPTION_KEYS entries look like 'id:base64key'.")
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise ImproperlyConfigured(f"encryption key {key_id!r} is not valid base64") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured(f"encryption key {key_id!r} must be 32 bytes (AES-256)")
        keys[key_id] = raw
    if not keys:
        raise ImproperlyConfigured("SENTIMATRIX_ENCRYPTION_KEYS is empty.")
    return keys


@lru_cache(maxsize=4)
def _keys(spec: str) -> dict[str, bytes]:
    return parse_keys(spec)


def keyring() -> dict[str, bytes]:
    return _keys(settings.ENCRYPTION_KEYS)


def current_key_id() -> str:
    return next(iter(keyring()))


def encrypt(plaintext: str, associated_data: str) -> Sealed:
    """Encrypt under the current key."""
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring()[key_id]).encrypt(nonce, plaintext.encode(), associated_data.encode())
    return Sealed(key_id, sealed[:-TAG_BYTES], nonce, sealed[-TAG_BYTES:])


def decrypt(sealed: Sealed, associated_data: str) -> str:
    """Decrypt with the key that sealed it; any tampering raises DecryptionError."""
    key = keyring().get(sealed.key_id)
    if key is None:
        raise DecryptionError(f"encryption key {sealed.key_id!r} is no longer configured")
    try:
        plain = AESGCM(key).decrypt(
            bytes(sealed.nonce), bytes(sealed.ciphertext) + bytes(sealed.tag), associated_data.encode()
        )
    except InvalidTag as exc:
        raise DecryptionError("the stored secret failed its integrity check") from exc
    return plain.decode()


# --- rotation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """How one kind of stored secret is re-encrypted under the current key.

    ``rotate`` returns ``(re-encrypted, left as they were)``; ``left`` says what the second
    number counts, for the command's report."""

    label: str
    rotate: Callable[[], tuple[int, int]]
    left: str = "already current"


_ROTATIONS: dict[str, Rotation] = {}


def register_rotation(
    label: str, rotate: Callable[[], tuple[int, int]], left: str = "already current"
) -> None:
    """Have ``rotate_encryption_key`` re-encrypt a kind of secret (an app calls this when it
    is ready; registering a label again replaces it)."""
    _ROTATIONS[label] = Rotation(label, rotate, left)


def rotations() -> list[Rotation]:
    """The registered rotations, in the order the apps registered them."""
    return list(_ROTATIONS.values())
