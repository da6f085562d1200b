"""The product's one way of writing dates and times: "7 Dec 2026, 08:30" and "7 Dec 2026".

Every page, message and email writes a moment through this module, in the time zone that is
active (the signed-in user's, set by ``accounts.middleware.UserTimezoneMiddleware``; UTC
elsewhere). Templates use its filters (``sentimatrix/templatetags/when.py``: ``when``, ``day``,
``ago``); Python code (flash messages) the functions below. The API is not concerned: it writes
ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as django_format

DATE_TIME = "j M Y, H:i"
DATE_TIME_SECONDS = "j M Y, H:i:s"
DAY = "j M Y"


def as_moment(value: Any) -> datetime | date | None:
    """A datetime (aware, in the active time zone) or a date, from what a template holds.

    Accepts datetimes (a naive one is taken to be UTC, as the database stores), dates and ISO
    8601 strings (documents read straight from the database may hold those); anything else
    gives None.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        return timezone.localtime(value)
    if isinstance(value, date):
        return value
    return None


def format_when(value: Any, *, seconds: bool = False, zone: bool = False) -> str:
    """Date and time, "7 Dec 2026, 08:30" (with ``seconds``: "08:30:15"; ``zone``: " CET")."""
    moment = as_moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return format_day(moment)
    text = django_format(moment, DATE_TIME_SECONDS if seconds else DATE_TIME)
    return f"{text} {moment.tzname()}" if zone else text


def format_day(value: Any) -> str:
    """The date alone, "7 Dec 2026" (the active time zone's day for a datetime)."""
    moment = as_moment(value)
    return "" if moment is None else django_format(moment, DAY)


def machine_value(value: Any, *, day: bool = False) -> str:
    """What a ``<time datetime="...">`` attribute holds: ISO 8601 with the offset, or the day."""
    moment = as_moment(value)
    if moment is None:
        return ""
    if day or not isinstance(moment, datetime):
        return (moment.date() if isinstance(moment, datetime) else moment).isoformat()
    return moment.isoformat(timespec="seconds")
