"""Reading values out of raw result documents (as pymongo returns them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def get_path(doc: dict, path: str) -> Any:
    """The value at a dotted path of a raw document (None when a part is missing or not a dict)."""
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def aware(value: Any) -> Any:
    """A datetime read by pymongo (naive, in UTC) as an aware one; anything else unchanged."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def is_number(value: object) -> bool:
    """A value MongoDB's numeric comparisons match (booleans are their own type there)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def projection(*groups: Iterable[str]) -> dict[str, int]:
    """One projection of every path in ``groups`` (iterables of dotted paths); a path under
    another is left out (MongoDB refuses both in one projection)."""
    paths = sorted({path for group in groups for path in group}, key=len)
    kept: list[str] = []
    for path in paths:
        if not any(path == k or path.startswith(f"{k}.") for k in kept):
            kept.append(path)
    return dict.fromkeys(kept, 1)
