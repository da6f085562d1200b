"""Streamed AES-256-GCM encryption of a whole archive under ``BACKUP_ENCRYPTION_KEYS``.

An encrypted archive (``....tar.gz.enc``) is the ``.tar.gz`` encrypted as it is written, in
blocks of :data:`ENCRYPTION_CHUNK_BYTES`. Layout: ``ENCRYPTED_MAGIC``, a 4-byte big-endian length,
a JSON header (key id, HKDF salt, key check, block size), then the blocks, each the GCM ciphertext
and tag of one chunk. Each archive gets its own AES key, HKDF-SHA256 of the configured key and the
header's random salt, so block nonces can be the block's number and a final-block flag: blocks
cannot be reordered, dropped or cut off without failing their tag, and the header is every
block's associated data. The key check (also from HKDF) tells a wrong key from a damaged archive
before any block is read.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sentimatrix.backup.errors import ArchiveError, EncryptionKeyError
from sentimatrix.crypto import TAG_BYTES, parse_keys

ENCRYPTED_MAGIC = b"SMXBKENC"
ENCRYPTED_FORMAT = "sentimatrix-studio-backup-encrypted"
ENCRYPTION_CHUNK_BYTES = 1024 * 1024
# A header naming bigger blocks than this is refused rather than read into memory.
MAX_ENCRYPTION_CHUNK_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 4096
SALT_BYTES = 32
KEY_CHECK_BYTES = 16
HKDF_INFO = b"sentimatrix-studio backup v1"


def backup_keys() -> dict[str, bytes]:
    """The keys of ``BACKUP_ENCRYPTION_KEYS`` (first one encrypts); empty when unset."""
    spec = getattr(settings, "BACKUP_ENCRYPTION_KEYS", "") or ""
    if not spec.strip():
        return {}
    # Same ``id:base64key`` entries as SENTIMATRIX_ENCRYPTION_KEYS; the messages name this setting.
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, _ = entry.partition(":")
        if not sep or not key_id:
            raise EncryptionKeyError("BACKUP_ENCRYPTION_KEYS entries look like 'id:base64key'")
    try:
        return parse_keys(spec)
    except ImproperlyConfigured as exc:
        raise EncryptionKeyError(f"BACKUP_ENCRYPTION_KEYS: {exc}") from exc


def _derive(key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """This archive's AES key and key check, from the configured key and the archive's salt."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32 + KEY_CHECK_BYTES, salt=salt, info=HKDF_INFO)
    derived = hkdf.derive(key)
    return derived[:32], derived[32:]


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


class EncryptingWriter:
    """A write-only file that encrypts what it is given in blocks as it goes (see the module
    docstring); ``close()`` writes the final block and must be called for a readable archive."""

    def __init__(self, raw: BinaryIO, key_id: str, key: bytes):
        chunk_bytes = ENCRYPTION_CHUNK_BYTES
        salt = os.urandom(SALT_BYTES)
        aes_key, check = _derive(key, salt)
        header = json.dumps(
            {
                "format": ENCRYPTED_FORMAT,
                "version": 1,
                "cipher": "AES-256-GCM",
                "kdf": "HKDF-SHA256",
                "key_id": key_id,
                "salt": base64.b64encode(salt).decode(),
                "key_check": base64.b64encode(check).decode(),
                "chunk_bytes": chunk_bytes,
            }
        ).encode()
        self._prefix = ENCRYPTED_MAGIC + len(header).to_bytes(4, "big") + header
        self._aes = AESGCM(aes_key)
        self._raw = raw
        self._chunk = chunk_bytes
        self._pending = bytearray()
        self._index = 0
        self._closed = False
        raw.write(self._prefix)

    def _emit(self, data: bytes, final: bool) -> None:
        self._raw.write(self._aes.encrypt(_nonce(self._index, final), data, self._prefix))
        self._index += 1

    def write(self, data) -> int:
        self._pending += data
        # Full blocks only: the final block is always shorter than a full one, so a reader
        # knows it by its size.
        if len(self._pending) >= self._chunk:
            view = memoryview(self._pending)
            whole = len(self._pending) - len(self._pending) % self._chunk
            for start in range(0, whole, self._chunk):
                self._emit(bytes(view[start : start + self._chunk]), final=False)
            view.release()
            del self._pending[:whole]
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._pending), final=True)
            self._pending.clear()
            self._closed = True


class DecryptingReader:
    """A read-only file over an encrypted archive, checking each block's tag as it is read."""

    def __init__(self, raw: BinaryIO, keys: dict[str, bytes]):
        self._raw = raw
        magic = raw.read(len(ENCRYPTED_MAGIC))
        size_bytes = raw.read(4)
        size = int.from_bytes(size_bytes, "big") if len(size_bytes) == 4 else 0
        if magic != ENCRYPTED_MAGIC or not 0 < size <= MAX_HEADER_BYTES:
            raise ArchiveError("archive is damaged or tampered with: its encryption header is unreadable")
        header_bytes = raw.read(size)
        try:
            header = json.loads(header_bytes)
            key_id = str(header["key_id"])
            salt = base64.b64decode(header["salt"], validate=True)
            check = base64.b64decode(header["key_check"], validate=True)
            self._chunk = int(header["chunk_bytes"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveError(
                "archive is damaged or tampered with: its encryption header is unreadable"
            ) from exc
        if header.get("format") != ENCRYPTED_FORMAT or header.get("version") != 1:
            raise ArchiveError("not a Sentimatrix Studio encrypted backup, or a version this one cannot read")
        if not 0 < self._chunk <= MAX_ENCRYPTION_CHUNK_BYTES:
            raise ArchiveError("archive is damaged or tampered with: its encryption header is unreadable")
        if not keys:
            raise EncryptionKeyError(
                f"archive is encrypted (key {key_id!r}): set BACKUP_ENCRYPTION_KEYS to the key it was "
                "written with"
            )
        key = keys.get(key_id)
        if key is None:
            raise EncryptionKeyError(
                f"archive is encrypted with key {key_id!r}, which BACKUP_ENCRYPTION_KEYS does not hold "
                f"(it holds {', '.join(repr(k) for k in keys)})"
            )
        aes_key, expected = _derive(key, salt)
        if not hmac.compare_digest(check, expected):
            raise EncryptionKeyError(
                f"wrong key: the BACKUP_ENCRYPTION_KEYS entry {key_id!r} is not the key this archive was "
                "encrypted with (or the archive's header was altered)"
            )
        self._aes = AESGCM(aes_key)
        self._prefix = magic + size_bytes + header_bytes
        self._buffer = b""
        self._offset = 0
        self._index = 0
        self._done = False

    def _next_block(self) -> None:
        data = self._raw.read(self._chunk + TAG_BYTES)
        if not data:
            raise ArchiveError(f"archive is truncated: it ends after encrypted block {self._index}")
        final = len(data) < self._chunk + TAG_BYTES
        try:
            self._buffer = self._aes.decrypt(_nonce(self._index, final), data, self._prefix)
        except InvalidTag as exc:
            raise ArchiveError(
                f"archive is damaged or tampered with: encrypted block {self._index + 1} fails its "
                "authentication" + (" (or the archive was cut short inside it)" if final else "")
            ) from exc
        self._offset = 0
        self._index += 1
        self._done = final

    def read(self, size: int = -1) -> bytes:
        out = []
        left = size if size is not None and size >= 0 else None
        while left is None or left > 0:
            if self._offset >= len(self._buffer):
                if self._done:
                    break
                self._next_block()
                continue
            end = len(self._buffer) if left is None else min(len(self._buffer), self._offset + left)
            out.append(self._buffer[self._offset : end])
            if left is not None:
                left -= end - self._offset
            self._offset = end
        return b"".join(out)
