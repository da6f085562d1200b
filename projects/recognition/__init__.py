"""Recognising targets from pasted URLs: platform, detected type, ids and a canonical URL.

``recognize(url)`` returns a :class:`Recognition` or raises :class:`UnrecognizedURL` with a
reason an analyst can act on; ``parse_bulk`` / ``parse_bulk_csv`` do the same for many lines
at once; ``recognize_upload`` makes a file target from an uploaded file of reviews. Each
platform's module lists the URL shapes it accepts. Pure Python: no network, no database.
"""

from collections.abc import Iterable

from .base import Recognition, UnrecognizedURL
from .bulk import (
    MAX_LINES,
    BulkParse,
    BulkParseError,
    DuplicateLine,
    InvalidLine,
    ValidLine,
    parse_bulk,
    parse_bulk_csv,
    split_line,
)
from .dispatch import recognize
from .upload import recognize_upload

__all__ = [
    "MAX_LINES",
    "BulkParse",
    "BulkParseError",
    "DuplicateLine",
    "InvalidLine",
    "Recognition",
    "UnrecognizedURL",
    "ValidLine",
    "is_duplicate",
    "parse_bulk",
    "parse_bulk_csv",
    "recognize",
    "recognize_upload",
    "split_line",
]


def is_duplicate(canonical_url: str, existing_canonical_urls: Iterable[str]) -> bool:
    """Whether a target with this canonical URL is already among ``existing_canonical_urls``."""
    return canonical_url in set(existing_canonical_urls)
