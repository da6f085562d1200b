"""Backup and restore of the application database, with no MongoDB tools needed.

An archive is a gzip-compressed tar file named ``sentimatrix_studio_YYYYmmdd_HHMMSS.tar.gz``
(UTC), ``....tar.gz.enc`` when encrypted (below). Its first member is ``manifest.json``; then
one ``<collection>.bson`` member per collection holding the collection's documents as concatenated BSON, exactly as the server
returned them, so every type (ObjectId, datetime, binary, Decimal128, nested documents) comes
back unchanged. The manifest records the format, the creation time, the application and server
versions, the source database name, the skipped collections and, per collection: its member,
document count, byte size, sha256, creation options (validator, TTL, collation, ...) and
indexes, the last two as canonical extended JSON.

Documents are streamed in batches in both directions; no collection is held in memory. A backup
is staged under the output directory (uncompressed BSON first, as tar needs each member's size
before its data) and renamed into place when complete, so an interrupted backup never leaves a
file that looks like an archive. Collections are read one after the other
with ordinary cursors: the archive is not a point-in-time snapshot of a database under writes.

What is left out (:data:`LEFT_OUT`): credentials that work by themselves (sessions, email
confirmation keys, users' OAuth tokens), caches and counters the product rebuilds by use, and the
broker's and Celery's task state. An archive must never sign anyone in, and a restore must not
bring back stale lockouts or replay old tasks. Restore leaves these collections out too when an
older archive holds them. What stays holds password hashes (Argon2), API token hashes and API
keys and webhook secrets encrypted under ``SENTIMATRIX_ENCRYPTION_KEYS`` (not in the archive).

With ``BACKUP_ENCRYPTION_KEYS`` set, the whole ``.tar.gz`` is encrypted as it is written
(AES-256-GCM, streamed in blocks of :data:`ENCRYPTION_CHUNK_BYTES`). Layout:
``ENCRYPTED_MAGIC``, a 4-byte big-endian length, a JSON header (key id, HKDF salt, key check,
block size), then the blocks, each the GCM ciphertext and tag of one chunk. Each archive gets its
own AES key, HKDF-SHA256 of the configured key and the header's random salt, so block nonces can
be the block's number and a final-block flag: blocks cannot be reordered, dropped or cut off
without failing their tag, and the header is every block's associated data. The key check (also
from HKDF) tells a wrong key from a damaged archive before any block is read.

Restore verifies the whole archive before writing anything (gzip and tar readable, manifest
present and of this format, every member present with the recorded document count and sha256).
Only then does it write: an absent or empty collection is (re)created with the archive's options
and indexes and filled; a collection that holds documents is replaced only with ``drop=True``,
otherwise the restore is refused before any write. Collections that are not in the archive are
never touched. Documents are inserted as the archive's raw BSON with document validation
bypassed where the database user may do so (they were valid when taken); indexes the server
cannot build (the embedded server has no text indexes) are reported and skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import tarfile
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from bson.raw_bson import RawBSONDocument
from bson.son import SON
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from sentimatrix.crypto import TAG_BYTES, parse_keys
from sentimatrix.mongo import get_db

ARCHIVE_PREFIX = "sentimatrix_studio_"
ARCHIVE_SUFFIX = ".tar.gz"
ENCRYPTED_SUFFIX = ".tar.gz.enc"
ARCHIVE_NAME_RE = re.compile(r"^sentimatrix_studio_(\d{8}_\d{6})\.tar\.gz(?:\.enc)?$")
TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S"
MANIFEST_NAME = "manifest.json"
FORMAT_NAME = "sentimatrix-studio-backup"
FORMAT_VERSION = 1
DEFAULT_RETENTION_DAYS = 7

# Collections a backup leaves out, with the reason the command prints. Every collection of the
# product was weighed (README "Data model", sentimatrix/dbindexes.py, the models): everything not
# listed here is data or configuration and is backed up.
_CREDENTIAL = "credential: signs in or acts as a user by itself"
_CACHE = "cache or counter: rebuilt by use; restored, it would bring back stale lockouts and limits"
_TASKS = "broker and task state: meaningless after a restore, and would replay old tasks"
LEFT_OUT: dict[str, str] = {
    "django_session": _CREDENTIAL,  # a session key signs in as its user, admins included
    "account_emailconfirmation": _CREDENTIAL,  # a key confirms an address and signs in
    "socialaccount_socialtoken": _CREDENTIAL,  # users' Google/GitHub tokens (if ever stored)
    "django_cache": _CACHE,  # sign-in and API rate limits, lockouts
    "request_counters": _CACHE,  # per-project daily request caps
    "llm_cache": _CACHE,  # LLM answers by text hash; analyses are stored in results
    "worker_heartbeats": _CACHE,  # which worker answered a ping, when
    # kombu's MongoDB transport: queued messages, bindings, fanout state, queue registry.
    "messages": _TASKS,
    "messages.broadcast": _TASKS,
    "messages.routing": _TASKS,
    "messages.queues": _TASKS,
    # Celery's MongoDB result backend.
    "celery_taskmeta": _TASKS,
    "celery_groupmeta": _TASKS,
}
SKIPPED_COLLECTIONS = frozenset(LEFT_OUT)

ENCRYPTED_MAGIC = b"SMXBKENC"
ENCRYPTED_FORMAT = "sentimatrix-studio-backup-encrypted"
ENCRYPTION_CHUNK_BYTES = 1024 * 1024
# A header naming bigger blocks than this is refused rather than read into memory.
MAX_ENCRYPTION_CHUNK_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 4096
SALT_BYTES = 32
KEY_CHECK_BYTES = 16
HKDF_INFO = b"sentimatrix-studio backup v1"

READ_BATCH_DOCUMENTS = 1000
WRITE_BATCH_DOCUMENTS = 1000
WRITE_BATCH_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# MongoDB's own ceiling for a stored document (16 MiB plus its internal slack).
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 + 16 * 1024
# Error code of a server that cannot build an index kind (the embedded server and text indexes).
CANNOT_CREATE_INDEX = 67
UNAUTHORIZED = 13


class BackupError(Exception):
    """A backup or restore cannot proceed; the message is meant for the operator."""


class ArchiveError(BackupError):
    """The archive is unreadable, truncated, tampered with or not a backup of this application."""


class RestoreRefused(BackupError):
    """Restoring would overwrite existing documents and ``drop`` was not given."""


class EncryptionKeyError(BackupError):
    """The archive is encrypted and no configured key opens it, or the key setting is malformed."""


@dataclass(frozen=True)
class CollectionInfo:
    """One collection (or view) as recorded in a manifest."""

    name: str
    type: str
    options: dict
    indexes: list[dict]
    member: str | None = None
    documents: int = 0
    bytes: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class Manifest:
    """The decoded ``manifest.json`` of an archive."""

    created_at: str
    database: str
    application: dict
    server: dict
    collections: list[CollectionInfo]
    skipped_collections: list[str]

    @property
    def total_documents(self) -> int:
        return sum(c.documents for c in self.collections)


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    size_bytes: int
    removed_archives: list[Path] = field(default_factory=list)
    encrypted_with: str | None = None


@dataclass
class RestoredCollection:
    name: str
    type: str
    documents: int
    indexes: int
    skipped_indexes: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: Manifest
    collections: list[RestoredCollection]
    dropped: list[str]
    left_out: list[str] = field(default_factory=list)


# --- BSON stream helpers ------------------------------------------------------------------


class _DocumentSplitter:
    """Cuts a byte stream of concatenated BSON documents at their length prefixes."""

    def __init__(self, member: str):
        self.member = member
        self.count = 0
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._pending + chunk if self._pending else chunk
        docs = []
        pos, end = 0, len(data)
        while end - pos >= 4:
            size = int.from_bytes(data[pos : pos + 4], "little")
            if size < 5 or size > MAX_DOCUMENT_BYTES:
                raise ArchiveError(
                    f"archive is corrupt: {self.member} has an invalid document length after "
                    f"{self.count + len(docs)} documents"
                )
            if end - pos < size:
                break
            if data[pos + size - 1] != 0:
                raise ArchiveError(
                    f"archive is corrupt: {self.member} document {self.count + len(docs) + 1} is malformed"
                )
            docs.append(data[pos : pos + size])
            pos += size
        self._pending = data[pos:]
        self.count += len(docs)
        return docs

    @property
    def has_partial_document(self) -> bool:
        return bool(self._pending)


# --- Encryption ---------------------------------------------------------------------------


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


class _EncryptingWriter:
    """A write-only file that encrypts what it is given in blocks as it goes (see the module
    docstring); ``close()`` writes the final block and must be called for a readable archive."""

    def __init__(self, raw: BinaryIO, key_id: str, key: bytes, chunk_bytes: int):
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


class _DecryptingReader:
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


# --- Backup -------------------------------------------------------------------------------


def archive_name(moment: datetime, encrypted: bool = False) -> str:
    """The file name of an archive taken at ``moment`` (converted to UTC)."""
    suffix = ENCRYPTED_SUFFIX if encrypted else ARCHIVE_SUFFIX
    return f"{ARCHIVE_PREFIX}{moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)}{suffix}"


def archive_time(name: str) -> datetime | None:
    """The UTC time encoded in an archive file name, or None for any other name."""
    match = ARCHIVE_NAME_RE.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def left_out_collections() -> dict[str, str]:
    """Collections a backup leaves out and a restore skips, each with its reason."""
    left_out = {name: LEFT_OUT.get(name, _CACHE) for name in SKIPPED_COLLECTIONS}
    for cache in settings.CACHES.values():
        if cache.get("BACKEND") == "sentimatrix.cache.MongoCache":
            left_out.setdefault(cache.get("LOCATION") or "django_cache", _CACHE)
    return left_out


def _left_out(name: str, left_out: dict[str, str]) -> bool:
    return name in left_out or name.startswith("system.")


def default_backup_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def application_version() -> str:
    """The project's version from ``pyproject.toml`` ("unknown" when it is not shipped)."""
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def server_info(db: Database) -> dict:
    """Version of the server behind ``db``, and which implementation answers."""
    info = db.client.admin.command("buildInfo")
    server = {"version": info.get("version", "")}
    if info.get("secantusVersion"):
        server["implementation"] = f"SecantusDB {info['secantusVersion']}"
    return server


def _extjson(value) -> object:
    return json.loads(json_util.dumps(value, json_options=CANONICAL_JSON_OPTIONS))


def _from_extjson(value) -> object:
    return json_util.loads(json.dumps(value), json_options=CANONICAL_JSON_OPTIONS)


def _dump_collection(db: Database, name: str, dest: Path) -> tuple[int, int, str]:
    """Stream a collection's documents to ``dest``; returns (documents, bytes, sha256)."""
    digest = hashlib.sha256()
    splitter = _DocumentSplitter(f"{name}.bson")
    size = 0
    with open(dest, "wb") as out:
        for batch in db[name].find_raw_batches(batch_size=READ_BATCH_DOCUMENTS):
            splitter.feed(batch)
            digest.update(batch)
            out.write(batch)
            size += len(batch)
    return splitter.count, size, digest.hexdigest()


def _add_member(tar: tarfile.TarFile, name: str, source: BinaryIO, size: int, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, source)


def manifest_to_dict(manifest: Manifest) -> dict:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": manifest.created_at,
        "application": manifest.application,
        "server": manifest.server,
        "database": manifest.database,
        "skipped_collections": manifest.skipped_collections,
        "collections": [
            {
                "name": c.name,
                "type": c.type,
                "member": c.member,
                "documents": c.documents,
                "bytes": c.bytes,
                "sha256": c.sha256,
                "options": _extjson(c.options),
                "indexes": _extjson(c.indexes),
            }
            for c in manifest.collections
        ],
    }


def _write_archive(
    dest: Path,
    *,
    manifest_bytes: bytes,
    collections: list[CollectionInfo],
    files: dict[str, Path],
    mtime: float,
    keys: dict[str, bytes],
) -> None:
    """Write the tar.gz of the manifest and the staged members (deleting each once added) to
    ``dest``, encrypted as it goes under the first of ``keys`` if there is one."""
    # Backups hold password hashes and encrypted keys: readable by the owner only.
    with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        key_id = next(iter(keys), None)
        sink = _EncryptingWriter(raw, key_id, keys[key_id], ENCRYPTION_CHUNK_BYTES) if key_id else raw
        # Compressed and encrypted as a stream: memory holds one block, and the only clear text
        # on disk is the staged members, in the owner-only staging directory.
        with tarfile.open(fileobj=sink, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            _add_member(tar, MANIFEST_NAME, io.BytesIO(manifest_bytes), len(manifest_bytes), mtime)
            for entry in collections:
                if entry.member is None:
                    continue
                with open(files[entry.member], "rb") as fh:
                    _add_member(tar, entry.member, fh, entry.bytes, mtime)
                files[entry.member].unlink()
        if sink is not raw:
            sink.close()


def create_backup(
    out_dir: str | os.PathLike | None = None,
    retention_days: int | None = DEFAULT_RETENTION_DAYS,
    db: Database | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Write an archive of every collection of the application database.

    The collections of :func:`left_out_collections` (credentials, caches, broker and task state)
    and ``system.*`` collections are left out; views are recorded (definition only). With
    ``BACKUP_ENCRYPTION_KEYS`` set the archive is encrypted under its first key as it is written.
    After a successful backup, archives of the same name pattern older than ``retention_days``
    are deleted from ``out_dir`` (None keeps all).
    """
    if retention_days is not None and retention_days < 0:
        raise BackupError("retention must be zero or more days")
    keys = backup_keys()
    key_id = next(iter(keys), None)
    db = db if db is not None else get_db()
    out = Path(out_dir) if out_dir else default_backup_dir()
    out.mkdir(parents=True, exist_ok=True)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    final = out / archive_name(now, encrypted=key_id is not None)
    left_out = left_out_collections()
    if final.exists():
        raise BackupError(f"{final.name} already exists in the output directory; not overwriting it")

    try:
        server = server_info(db)
        listing = sorted(db.list_collections(), key=lambda info: info["name"])
    except PyMongoError as exc:
        raise BackupError(f"cannot read the database: {type(exc).__name__}") from exc

    # Staged beside the destination so the final rename stays on one file system.
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=out) as staging_dir:
        staging = Path(staging_dir)
        collections: list[CollectionInfo] = []
        skipped: list[str] = []
        files: dict[str, Path] = {}
        for position, info in enumerate(listing):
            name, kind = info["name"], info.get("type", "collection")
            if _left_out(name, left_out):
                skipped.append(name)
                continue
            options = dict(info.get("options") or {})
            if kind == "view":
                collections.append(CollectionInfo(name=name, type=kind, options=options, indexes=[]))
                continue
            member = f"{name}.bson"
            files[member] = staging / f"{position}.bson"
            try:
                documents, size, sha = _dump_collection(db, name, files[member])
                indexes = [{k: v for k, v in spec.items() if k != "ns"} for spec in db[name].list_indexes()]
            except PyMongoError as exc:
                raise BackupError(f"cannot read collection {name}: {type(exc).__name__}: {exc}") from exc
            collections.append(
                CollectionInfo(
                    name=name,
                    type=kind,
                    options=options,
                    indexes=indexes,
                    member=member,
                    documents=documents,
                    bytes=size,
                    sha256=sha,
                )
            )

        manifest = Manifest(
            created_at=now.isoformat().replace("+00:00", "Z"),
            database=db.name,
            application={"name": "Sentimatrix Studio", "version": application_version()},
            server=server,
            collections=collections,
            skipped_collections=skipped,
        )
        manifest_bytes = json.dumps(manifest_to_dict(manifest), indent=2, sort_keys=False).encode()
        staged_archive = staging / "archive"
        _write_archive(
            staged_archive,
            manifest_bytes=manifest_bytes,
            collections=collections,
            files=files,
            mtime=now.timestamp(),
            keys=keys,
        )
        os.replace(staged_archive, final)

    removed = prune_archives(out, retention_days, now=now, keep={final}) if retention_days is not None else []
    return BackupResult(
        path=final,
        manifest=manifest,
        size_bytes=final.stat().st_size,
        removed_archives=removed,
        encrypted_with=key_id,
    )


def prune_archives(
    out_dir: str | os.PathLike,
    retention_days: int,
    now: datetime | None = None,
    keep: set[Path] | None = None,
) -> list[Path]:
    """Delete archives in ``out_dir`` whose name-encoded time is older than ``retention_days``.

    Only files matching the archive name pattern are considered; the time comes from the name,
    not the file's mtime, so copying archives around does not change their age.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    cutoff = now - timedelta(days=retention_days)
    keep = {Path(p).resolve() for p in keep or ()}
    removed = []
    for path in sorted(Path(out_dir).iterdir()):
        taken = archive_time(path.name)
        if taken is None or not path.is_file() or path.resolve() in keep:
            continue
        if taken < cutoff:
            path.unlink()
            removed.append(path)
    return removed


# --- Verification -------------------------------------------------------------------------


def _parse_manifest(raw: bytes) -> Manifest:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ArchiveError(f"archive is corrupt: {MANIFEST_NAME} is not valid JSON") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ArchiveError("not a Sentimatrix Studio backup: the manifest names another format")
    if data.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"unsupported backup format version {data.get('format_version')!r} "
            f"(this version reads {FORMAT_VERSION})"
        )
    try:
        collections = [
            CollectionInfo(
                name=str(c["name"]),
                type=str(c.get("type", "collection")),
                options=_from_extjson(c.get("options") or {}),
                indexes=_from_extjson(c.get("indexes") or []),
                member=c.get("member"),
                documents=int(c.get("documents", 0)),
                bytes=int(c.get("bytes", 0)),
                sha256=str(c.get("sha256", "")),
            )
            for c in data["collections"]
        ]
        return Manifest(
            created_at=str(data.get("created_at", "")),
            database=str(data.get("database", "")),
            application=dict(data.get("application") or {}),
            server=dict(data.get("server") or {}),
            collections=collections,
            skipped_collections=list(data.get("skipped_collections") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"archive is corrupt: {MANIFEST_NAME} is incomplete ({exc})") from exc


class _ArchiveReader:
    """Reads an archive front to back in one stream, checking it against its manifest.

    ``manifest`` is read on entering; ``members()`` yields each collection entry with an
    iterator of batches of raw documents. Each member's document count, size and sha256 are
    compared with the manifest once it has been read, and a short or damaged stream raises
    ``ArchiveError`` naming the member and how far it got.
    """

    def __init__(self, path: Path):
        self.path = path
        self.manifest: Manifest | None = None
        self._current: CollectionInfo | None = None
        self._splitter: _DocumentSplitter | None = None

    def __enter__(self) -> _ArchiveReader:
        if not self.path.is_file():
            raise ArchiveError(f"archive not found: {self.path}")
        self._raw = open(self.path, "rb")  # closed in __exit__
        try:
            source: BinaryIO = self._raw
            if self._raw.read(len(ENCRYPTED_MAGIC)) == ENCRYPTED_MAGIC:
                self._raw.seek(0)
                source = _DecryptingReader(self._raw, backup_keys())
            else:
                self._raw.seek(0)
            with self._translated_errors():
                self._tar = tarfile.open(fileobj=source, mode="r|gz")
                first = self._tar.next()
                if first is None or first.name != MANIFEST_NAME:
                    raise ArchiveError(f"archive has no {MANIFEST_NAME} as its first member")
                self.manifest = _parse_manifest(self._tar.extractfile(first).read())
        except BaseException:
            self._raw.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._tar.close()
        self._raw.close()

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        try:
            yield
        except tarfile.ReadError as exc:
            message = str(exc)
            if "unexpected end of data" in message or (self.manifest is None and "empty file" in message):
                raise self._truncated() from exc
            if "not a gzip file" in message:
                raise ArchiveError("archive is not a gzip file") from exc
            raise ArchiveError(f"archive is corrupt{self._where()}: {message}") from exc
        except (EOFError, OSError) as exc:
            raise ArchiveError(f"archive is unreadable{self._where()}: {exc}") from exc

    def _where(self) -> str:
        return f" in {self._current.member}" if self._current else ""

    def _truncated(self) -> ArchiveError:
        if self.manifest is None:
            return ArchiveError("archive is truncated: it ends before its manifest")
        if self._current is None or self._splitter is None:
            return ArchiveError("archive is truncated: it ends between two members")
        return ArchiveError(
            f"archive is truncated: {self._current.member} has {self._splitter.count} "
            f"of {self._current.documents} documents"
        )

    def members(self) -> Iterator[tuple[CollectionInfo, Iterator[list[bytes]]]]:
        expected = {c.member: c for c in self.manifest.collections if c.member}
        seen: set[str] = set()
        while True:
            with self._translated_errors():
                # next(), not iteration: iterating a TarFile starts again from its first member.
                member = self._tar.next()
            if member is None:
                break
            entry = expected.get(member.name)
            if entry is None:
                raise ArchiveError(f"archive holds {member.name}, which its manifest does not list")
            if member.name in seen:
                raise ArchiveError(f"archive holds {member.name} twice")
            seen.add(member.name)
            self._current, self._splitter = entry, _DocumentSplitter(member.name)
            yield entry, self._batches(self._tar.extractfile(member), entry, self._splitter)
            self._current = self._splitter = None
        for name, entry in expected.items():
            if name not in seen:
                raise ArchiveError(
                    f"archive is truncated: {name} is missing (expected {entry.documents} documents)"
                )

    def _batches(
        self, fileobj: BinaryIO, entry: CollectionInfo, splitter: _DocumentSplitter
    ) -> Iterator[list[bytes]]:
        digest = hashlib.sha256()
        size = 0
        while True:
            with self._translated_errors():
                chunk = fileobj.read(CHUNK_BYTES)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            docs = splitter.feed(chunk)
            if splitter.count > entry.documents:
                raise ArchiveError(
                    f"archive is damaged or tampered with: {entry.member} holds more than the "
                    f"{entry.documents} documents its manifest records"
                )
            if docs:
                yield docs
        if splitter.has_partial_document:
            raise ArchiveError(
                f"archive is corrupt: {entry.member} ends inside a document after {splitter.count} documents"
            )
        if splitter.count != entry.documents:
            raise ArchiveError(
                f"archive is damaged or tampered with: {entry.member} has {splitter.count} documents, "
                f"its manifest records {entry.documents}"
            )
        if size != entry.bytes or digest.hexdigest() != entry.sha256:
            raise ArchiveError(
                f"archive is damaged or tampered with: {entry.member} does not match the sha256 "
                "in its manifest"
            )


def read_manifest(path: str | os.PathLike) -> Manifest:
    """The manifest of an archive, without checking its members."""
    with _ArchiveReader(Path(path)) as reader:
        return reader.manifest


def verify_archive(path: str | os.PathLike) -> Manifest:
    """Read the whole archive and check it against its manifest; returns the manifest.

    Raises ``ArchiveError`` with a message naming the problem: not gzip, no manifest, a member
    missing or cut short ("archive is truncated: results.bson has 812 of 1000 documents"), a
    document count or sha256 that differs from the manifest.
    """
    with _ArchiveReader(Path(path)) as reader:
        for _entry, batches in reader.members():
            for _docs in batches:
                pass
        return reader.manifest


# --- Restore ------------------------------------------------------------------------------


def _document_count(db: Database, name: str) -> int:
    # The metadata count is instant on any size; find_one covers a stale zero.
    return db[name].estimated_document_count() or (1 if db[name].find_one({}, {"_id": 1}) else 0)


def _create(db: Database, entry: CollectionInfo) -> None:
    db.command(SON([("create", entry.name), *entry.options.items()]))


def _create_indexes(db: Database, entry: CollectionInfo) -> tuple[int, list[str]]:
    created, skipped = 0, []
    for spec in entry.indexes:
        if spec.get("name") == "_id_":
            continue
        clean = SON((k, v) for k, v in spec.items() if k not in ("v", "ns"))
        try:
            db.command(SON([("createIndexes", entry.name), ("indexes", [clean])]))
            created += 1
        except OperationFailure as exc:
            if exc.code != CANNOT_CREATE_INDEX:
                raise
            # A server without that index kind (the embedded one has no text indexes): the
            # application falls back, so restore the data and report what was left out.
            reason = (exc.details or {}).get("errmsg", str(exc))
            skipped.append(f"{spec.get('name')}: {reason}")
    return created, skipped


class _Inserter:
    """Inserts raw documents in batches, bypassing document validation where allowed."""

    def __init__(self, db: Database):
        self.db = db
        self.bypass = True

    def insert(self, name: str, docs: list[bytes]) -> None:
        raw = [RawBSONDocument(doc) for doc in docs]
        if self.bypass:
            try:
                self.db[name].insert_many(raw, ordered=True, bypass_document_validation=True)
                return
            except OperationFailure as exc:
                if exc.code != UNAUTHORIZED:
                    raise
                # This database user may not bypass validation (MongoDB grants that to the
                # restore and dbAdmin roles); documents valid when taken still pass.
                self.bypass = False
        self.db[name].insert_many(raw, ordered=True)


def _restore_collection(
    db: Database, entry: CollectionInfo, batches: Iterator[list[bytes]], inserter: _Inserter
) -> RestoredCollection:
    _create(db, entry)
    count, pending, pending_bytes = 0, [], 0
    for docs in batches:
        for doc in docs:
            pending.append(doc)
            pending_bytes += len(doc)
            if len(pending) >= WRITE_BATCH_DOCUMENTS or pending_bytes >= WRITE_BATCH_BYTES:
                inserter.insert(entry.name, pending)
                count += len(pending)
                pending, pending_bytes = [], 0
    if pending:
        inserter.insert(entry.name, pending)
        count += len(pending)
    # Indexes after the data: one build per index instead of per-document maintenance.
    created, skipped = _create_indexes(db, entry)
    return RestoredCollection(entry.name, entry.type, count, created, skipped)


def restore_backup(path: str | os.PathLike, drop: bool = False, db: Database | None = None) -> RestoreResult:
    """Restore an archive into the application database after verifying all of it.

    Without ``drop``, every collection of the archive must be absent or empty in the database,
    otherwise ``RestoreRefused`` names the ones holding documents and nothing is written; an
    empty collection is recreated with the archive's options and indexes. With ``drop``, each
    collection of the archive is dropped and recreated from it. Collections that are not in the
    archive are left alone, and so are the archive's collections that backups leave out
    (``left_out`` of the result; an older archive may hold sessions). Documents are inserted as
    the archive's raw BSON (same ``_id``, same types), bypassing document validation where the
    user may: they were valid when taken. An encrypted archive is decrypted with
    ``BACKUP_ENCRYPTION_KEYS``; without the right key it is refused (``EncryptionKeyError``).
    """
    path = Path(path)
    manifest = verify_archive(path)
    db = db if db is not None else get_db()
    # Archives written before these collections were left out may hold them: still leave them out.
    left_out = left_out_collections()
    skipped = [c.name for c in manifest.collections if _left_out(c.name, left_out)]
    wanted = {c.name for c in manifest.collections} - set(skipped)
    try:
        existing = {info["name"]: info.get("type", "collection") for info in db.list_collections()}
        if not drop:
            occupied = [
                (name, count)
                for name in sorted(wanted & set(existing))
                if existing[name] != "view" and (count := _document_count(db, name))
            ]
            if occupied:
                listed = ", ".join(f"{name} ({count} documents)" for name, count in occupied)
                raise RestoreRefused(
                    f"refusing to restore: these collections already hold documents: {listed}. "
                    "Nothing was changed; use --drop to replace them."
                )
    except PyMongoError as exc:
        raise BackupError(f"cannot read the database: {type(exc).__name__}") from exc

    restored: list[RestoredCollection] = []
    dropped: list[str] = []
    current = None
    inserter = _Inserter(db)

    def replace(name: str) -> None:
        if name in existing:
            db.drop_collection(name)
            dropped.append(name)

    try:
        with _ArchiveReader(path) as reader:
            for entry, batches in reader.members():
                if entry.name not in wanted:
                    for _docs in batches:  # read through, so the stream's checks still run
                        pass
                    continue
                current = entry.name
                replace(entry.name)
                restored.append(_restore_collection(db, entry, batches, inserter))
        # Views last: they may read collections restored above.
        for entry in manifest.collections:
            if entry.type == "view" and entry.name in wanted:
                current = entry.name
                replace(entry.name)
                _create(db, entry)
                restored.append(RestoredCollection(entry.name, entry.type, 0, 0))
    except PyMongoError as exc:
        done = ", ".join(c.name for c in restored) or "none"
        raise BackupError(
            f"restore failed while writing {current}: {type(exc).__name__}: {exc}. "
            f"Collections restored before the failure: {done}."
        ) from exc
    return RestoreResult(manifest=manifest, collections=restored, dropped=dropped, left_out=skipped)
