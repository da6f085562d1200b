"""Reading an archive front to back and checking every member against its manifest.

A restore verifies the whole archive before writing anything: gzip and tar readable, manifest
present and of this format, every member present with the recorded document count and sha256.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sentimatrix.backup.archive_format import (
    MANIFEST_NAME,
    CollectionInfo,
    DocumentSplitter,
    Manifest,
    parse_manifest,
)
from sentimatrix.backup.encryption import ENCRYPTED_MAGIC, DecryptingReader, backup_keys
from sentimatrix.backup.errors import ArchiveError

CHUNK_BYTES = 1024 * 1024


class ArchiveReader:
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
        self._splitter: DocumentSplitter | None = None

    def __enter__(self) -> ArchiveReader:
        if not self.path.is_file():
            raise ArchiveError(f"archive not found: {self.path}")
        self._raw = open(self.path, "rb")  # closed in __exit__
        try:
            source: BinaryIO = self._raw
            if self._raw.read(len(ENCRYPTED_MAGIC)) == ENCRYPTED_MAGIC:
                self._raw.seek(0)
                source = DecryptingReader(self._raw, backup_keys())
            else:
                self._raw.seek(0)
            with self._translated_errors():
                self._tar = tarfile.open(fileobj=source, mode="r|gz")
                first = self._tar.next()
                if first is None or first.name != MANIFEST_NAME:
                    raise ArchiveError(f"archive has no {MANIFEST_NAME} as its first member")
                self.manifest = parse_manifest(self._tar.extractfile(first).read())
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
            self._current, self._splitter = entry, DocumentSplitter(member.name)
            yield entry, self._batches(self._tar.extractfile(member), entry, self._splitter)
            self._current = self._splitter = None
        for name, entry in expected.items():
            if name not in seen:
                raise ArchiveError(
                    f"archive is truncated: {name} is missing (expected {entry.documents} documents)"
                )

    def _batches(
        self, fileobj: BinaryIO, entry: CollectionInfo, splitter: DocumentSplitter
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
    with ArchiveReader(Path(path)) as reader:
        return reader.manifest


def verify_archive(path: str | os.PathLike) -> Manifest:
    """Read the whole archive and check it against its manifest; returns the manifest.

    Raises ``ArchiveError`` with a message naming the problem: not gzip, no manifest, a member
    missing or cut short ("archive is truncated: results.bson has 812 of 1000 documents"), a
    document count or sha256 that differs from the manifest.
    """
    with ArchiveReader(Path(path)) as reader:
        for _entry, batches in reader.members():
            for _docs in batches:
                pass
        return reader.manifest
