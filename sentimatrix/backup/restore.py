"""Restoring a verified archive into the application database.

Only once the whole archive is verified does a restore write: an absent or empty collection is
(re)created with the archive's options and indexes and filled; a collection that holds documents
is replaced only with ``drop=True``, otherwise the restore is refused before any write.
Collections that are not in the archive are never touched, nor are the collections backups leave
out when an older archive holds them. Documents are inserted as the archive's raw BSON with
document validation bypassed where the database user may do so (they were valid when taken);
indexes the server cannot build (the embedded server has no text indexes) are reported and
skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bson.raw_bson import RawBSONDocument
from bson.son import SON
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from sentimatrix.backup.archive_format import CollectionInfo, Manifest, is_left_out, left_out_collections
from sentimatrix.backup.errors import BackupError, RestoreRefused
from sentimatrix.backup.verify import ArchiveReader, verify_archive
from sentimatrix.mongo import get_db

WRITE_BATCH_DOCUMENTS = 1000
WRITE_BATCH_BYTES = 8 * 1024 * 1024
# Error code of a server that cannot build an index kind (the embedded server and text indexes).
CANNOT_CREATE_INDEX = 67
UNAUTHORIZED = 13


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
    skipped = [c.name for c in manifest.collections if is_left_out(c.name, left_out)]
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
        with ArchiveReader(path) as reader:
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
