"""Reading filter values out of query parameters (a ``QueryDict`` or a dict of strings or lists).

Invalid values are left out and reported in ``errors`` (parameter name -> message), never
raised: a hand-edited or outdated link still shows a page.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any, TypeVar

MAX_QUERY_LENGTH = 500
MAX_VALUES = 50  # per multi-valued parameter
TRUE = {"1", "true", "on", "yes"}
#: Query parameters: a QueryDict, or a plain dict of str or list values (the API, a saved view).
Params = Mapping[str, Any]
T = TypeVar("T")


def values(params: Params, name: str) -> list[str]:
    """Every value of a parameter, from a QueryDict or a plain dict of str/list."""
    getlist = getattr(params, "getlist", None)
    if getlist is not None:
        raw = getlist(name)
    else:
        raw = params.get(name, [])
        raw = raw if isinstance(raw, list | tuple) else [raw]
    out: list[str] = []
    for value in raw:
        for part in str(value).split(","):
            item = part.strip()
            if item and item not in out:
                out.append(item)
    return out[:MAX_VALUES]


def one(params: Params, name: str) -> str:
    found = values(params, name)
    return found[0] if found else ""


def query(params: Params | None) -> str:
    # The search box keeps its commas: it is one value, not a list.
    raw = params.get("q", "") if params is not None else ""
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else ""
    return " ".join(str(raw or "").split())[:MAX_QUERY_LENGTH]


def matching(
    params: Params, name: str, accept: Callable[[str], bool], errors: dict, message: str
) -> list[str]:
    found = values(params, name)
    kept = [v for v in found if accept(v)]
    if len(kept) != len(found):
        errors[name] = message
    return kept


def choice(
    params: Params, name: str, allowed: Collection[str], default: str, *, errors: dict, message: str
) -> str:
    value = one(params, name)
    if value and value not in allowed:
        errors[name] = message
    return value if value in allowed else default


def rating(params: Params, name: str, errors: dict, message: str) -> float | None:
    return number(params, name, errors, message, maximum=100)  # no rating scale goes past 100


def number(
    params: Params,
    name: str,
    errors: dict,
    message: str,
    *,
    minimum: float | None = 0,
    maximum: float | None = None,
) -> float | None:
    """A finite number within [``minimum``, ``maximum``] (None: unbounded), or None (reported
    when malformed or out of range)."""
    raw = one(params, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = message
        return None
    too_low = minimum is not None and value < minimum
    too_high = maximum is not None and value > maximum
    if not math.isfinite(value) or too_low or too_high:
        errors[name] = message
        return None
    return value


def day(params: Params, name: str, errors: dict, message: str) -> date | None:
    raw = one(params, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        # Name the value: a hand-edited link must show what was left out and why.
        errors[name] = f"“{raw[:32]}” is not a valid date and was left out. {message}"
        return None


def ordered(low: T | None, high: T | None) -> tuple[T | None, T | None]:
    """A range given backwards is taken the right way round."""
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        return high, low
    return low, high


def zone(params: Params, errors: dict, message: str) -> str:
    name = one(params, "tz")
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["tz"] = message
        return ""
    return name
