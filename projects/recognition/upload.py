"""File targets: a CSV or JSON file of reviews uploaded instead of a URL.

Accepted: ``.csv``, ``.json``, ``.jsonl`` / ``.ndjson`` files that are not empty. The
content is not read here (the import does that); the target is identified by the SHA-256
of the bytes, so the same file uploaded twice to a project is a duplicate whatever its name.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from projects.platforms import DetectedType, Platform

from .base import Recognition, refuse

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def recognize_upload(filename: str, data: bytes) -> Recognition:
    """A file target for an uploaded file of reviews, or ``UnrecognizedURL`` saying why not."""
    name = PurePath((filename or "").replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in FORMATS:
        why = f"not '{suffix}'" if suffix else "and this file has no extension"
        raise refuse(
            f"only CSV and JSON files of reviews can be imported (.csv, .json, .jsonl), {why}",
            Platform.FILE,
        )
    if not data:
        raise refuse(f"the file {name} is empty", Platform.FILE)
    digest = hashlib.sha256(data).hexdigest()
    return Recognition(
        platform=Platform.FILE,
        detected_type=DetectedType.FILE,
        platform_data={"filename": name, "format": FORMATS[suffix], "sha256": digest, "size": len(data)},
        canonical_url=f"upload:sha256:{digest}",
        label=f"File {name}",
        default_options={},
    )
