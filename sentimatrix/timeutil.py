"""Dates that come from outside (pages, files, HTTP headers, callers) made comparable.

Dates read from the database are aware already (:mod:`sentimatrix.mongo`, the ORM); this is
for the ones that are not known to be.
"""

import zoneinfo
from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def zone_or_utc(name: str | None) -> zoneinfo.ZoneInfo:
    """The time zone of that name; UTC when it is empty or no zone has that name."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
