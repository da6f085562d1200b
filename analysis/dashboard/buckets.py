"""Time buckets of a chart: their starts, ends, labels and the automatic granularity."""

from __future__ import annotations

from datetime import date, timedelta

from sentimatrix.when import format_day


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if granularity == "month":
        return day.replace(day=1)
    return day


def bucket_end(start: date, granularity: str) -> date:
    """The last day of the bucket that starts on ``start``."""
    if granularity == "week":
        return start + timedelta(days=6)
    if granularity == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def bucket_starts(first: date, last: date, granularity: str) -> list[date]:
    """Every bucket from the one holding ``first`` to the one holding ``last`` (empty ones too)."""
    out, current = [], bucket_start(first, granularity)
    while current <= last:
        out.append(current)
        current = bucket_end(current, granularity) + timedelta(days=1)
    return out


def choose_granularity(first: date, last: date, wanted: str) -> str:
    if wanted != "auto":
        return wanted
    span = (last - first).days
    return "day" if span <= 62 else "week" if span <= 365 else "month"


def bucket_label(start: date, granularity: str) -> str:
    """A time step as the charts and their data tables name it ("7 Dec 2026", "Week of 7 Dec
    2026", "Dec 2026"): the product's one date format (:mod:`sentimatrix.when`)."""
    if granularity == "month":
        return start.strftime("%b %Y")
    if granularity == "week":
        return f"Week of {format_day(start)}"
    return format_day(start)
