"""Taking a backup: every collection streamed to a staged archive, renamed into place when complete.

A backup is staged under the output directory (uncompressed BSON first, as tar needs each
member's size before its data) and renamed into place when complete, so an interrupted backup
never leaves a file that looks like an archive. Documents are streamed in batches; no collection
is held in memory. Collections are read one after the other with ordinary cursors: the archive is
not a point-in-time snapshot of a database under writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from pymongo.database import Database
from pymongo.errors import PyMongoError

from sentimatrix.backup.archive_files import (
    DEFAULT_RETENTION_DAYS,
    archive_name,
    default_backup_dir,
    prune_archives,
)
from sentimatrix.backup.archive_format import (
    MANIFEST_NAME,
    CollectionInfo,
    DocumentSplitter,
    Manifest,
    is_left_out,
    left_out_collections,
    manifest_to_dict,
)
from sentimatrix.backup.encryption import EncryptingWriter, backup_keys
from sentimatrix.backup.errors import BackupError
from sentimatrix.mongo import get_db

READ_BATCH_DOCUMENTS = 1000


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    size_bytes: int
    removed_archives: list[Path] = field(default_factory=list)
    encrypted_with: str | None = None


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


def _dump_collection(db: Database, name: str, dest: Path) -> tuple[int, int, str]:
    """Stream a collection's documents to ``dest``; returns (documents, bytes, sha256)."""
    digest = hashlib.sha256()
    splitter = DocumentSplitter(f"{name}.bson")
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
        sink = EncryptingWriter(raw, key_id, keys[key_id]) if key_id else raw
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
            if is_left_out(name, left_out):
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
