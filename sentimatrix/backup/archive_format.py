"""What an archive holds: its manifest, its members' BSON streams, and the collections it leaves out.

An archive is a gzip-compressed tar file. Its first member is ``manifest.json``; then one
``<collection>.bson`` member per collection holding the collection's documents as concatenated
BSON, exactly as the server returned them, so every type (ObjectId, datetime, binary, Decimal128,
nested documents) comes back unchanged. The manifest records the format, the creation time, the
application and server versions, the source database name, the skipped collections and, per
collection: its member, document count, byte size, sha256, creation options (validator, TTL,
collation, ...) and indexes, the last two as canonical extended JSON.

What is left out (:data:`LEFT_OUT`): credentials that work by themselves (sessions, email
confirmation keys, users' OAuth tokens), caches and counters the product rebuilds by use, and the
broker's and Celery's task state. An archive must never sign anyone in, and a restore must not
bring back stale lockouts or replay old tasks. What stays holds password hashes (Argon2), API
token hashes and API keys and webhook secrets encrypted under ``SENTIMATRIX_ENCRYPTION_KEYS``
(not in the archive).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from django.conf import settings

from sentimatrix.backup.errors import ArchiveError

MANIFEST_NAME = "manifest.json"
FORMAT_NAME = "sentimatrix-studio-backup"
FORMAT_VERSION = 1

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

# MongoDB's own ceiling for a stored document (16 MiB plus its internal slack).
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 + 16 * 1024


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


class DocumentSplitter:
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


def left_out_collections() -> dict[str, str]:
    """Collections a backup leaves out and a restore skips, each with its reason."""
    left_out = {name: LEFT_OUT.get(name, _CACHE) for name in SKIPPED_COLLECTIONS}
    for cache in settings.CACHES.values():
        if cache.get("BACKEND") == "sentimatrix.cache.MongoCache":
            left_out.setdefault(cache.get("LOCATION") or "django_cache", _CACHE)
    return left_out


def is_left_out(name: str, left_out: dict[str, str]) -> bool:
    """Whether collection ``name`` stays out of archives (``system.*`` always does)."""
    return name in left_out or name.startswith("system.")


def to_extjson(value) -> object:
    """``value`` as canonical extended JSON, so the manifest keeps every BSON type."""
    return json.loads(json_util.dumps(value, json_options=CANONICAL_JSON_OPTIONS))


def from_extjson(value) -> object:
    """The BSON values back from the manifest's canonical extended JSON."""
    return json_util.loads(json.dumps(value), json_options=CANONICAL_JSON_OPTIONS)


def manifest_to_dict(manifest: Manifest) -> dict:
    """The JSON document ``manifest.json`` holds."""
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
                "options": to_extjson(c.options),
                "indexes": to_extjson(c.indexes),
            }
            for c in manifest.collections
        ],
    }


def parse_manifest(raw: bytes) -> Manifest:
    """Decode ``manifest.json``; ``ArchiveError`` when it is not a manifest of this format."""
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
                options=from_extjson(c.get("options") or {}),
                indexes=from_extjson(c.get("indexes") or []),
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
