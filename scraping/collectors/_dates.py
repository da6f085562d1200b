"""Date parsing shared by the collectors that read dates written for people.

Platforms write dates as ISO 8601, RFC 2822, Unix timestamps or prose in the
reader's language ("March 3, 2024", "3. März 2024", "3 mars 2024"). Every
parser here returns an aware UTC datetime or ``None``; a date that cannot be
read never fails a whole page.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from scraping.collectors.base import FetchContext
from sentimatrix.timeutil import as_utc

# Month names and abbreviations in English, German, French, Spanish, Italian and
# Dutch, accent-free (the input is folded the same way before the lookup).
_MONTH_NAMES = {
    1: "january jan januar janner janvier janv enero ene gennaio genn gen januari",
    2: "february feb februar fevrier fevr fev febrero febbraio febr februari",
    3: "march mar marz maerz mrz mars marzo maart mrt",
    4: "april apr avril avr abril abr aprile",
    5: "may mai mayo maggio mag mei",
    6: "june jun juni juin junio giugno giu",
    7: "july jul juli juillet juil julio luglio lug",
    8: "august aug aout agosto ago augustus",
    9: "september sep sept septembre septiembre setiembre settembre set",
    10: "october oct oktober okt octobre octubre ottobre ott",
    11: "november nov novembre noviembre",
    12: "december dec dezember dez decembre diciembre dic dicembre",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}

_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|e|º|°)?\.?\s+(?:de\s+)?([a-z]+)\.?,?\s+(?:de\s+)?(\d{4})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(r"\b([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})(?![\d.])")


def from_timestamp(value: float) -> datetime:
    """A Unix timestamp in seconds (or milliseconds, when it is that large) as UTC."""
    if value > 1e11:
        value = value / 1000
    return datetime.fromtimestamp(value, tz=UTC)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _safe_date(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def parse_prose_date(text: str) -> datetime | None:
    """A date written with a month name, in any of the supported languages.

    Finds the date anywhere in the text, so "Reviewed in Germany on 3 March
    2024" and "Rezension aus Deutschland vom 3. März 2024" both work.
    """
    folded = _fold(text)
    for match in _DAY_MONTH_YEAR.finditer(folded):
        month = MONTHS.get(match.group(2))
        if month:
            return _safe_date(int(match.group(3)), month, int(match.group(1)))
    for match in _MONTH_DAY_YEAR.finditer(folded):
        month = MONTHS.get(match.group(1))
        if month:
            return _safe_date(int(match.group(3)), month, int(match.group(2)))
    return None


def _parse_numeric(text: str) -> datetime | None:
    match = _NUMERIC.search(text)
    if not match:
        return None
    first, sep, second, third = match.group(1), match.group(2), int(match.group(3)), match.group(4)
    if len(first) == 4:  # 2024-03-05, 2024/03/05
        return _safe_date(int(first), second, int(third))
    if len(third) != 4:
        return None
    a, year = int(first), int(third)
    # Dots are the European day-first style; slashes are month-first unless
    # the first number cannot be a month.
    if sep == "." or a > 12:
        return _safe_date(year, second, a)
    return _safe_date(year, a, second)


def parse_date(value: object) -> datetime | None:
    """Read a date from whatever a platform or a file gave: a datetime, a date,
    a Unix timestamp (number or digits), ISO 8601, RFC 2822, a numeric date or
    prose with a month name. Returns an aware UTC datetime, or ``None``."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_number(value)
    text = str(value).strip() if isinstance(value, str) else ""
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_number(float(text))
    parsers = (_parse_iso, _parse_rfc2822, parse_prose_date, _parse_numeric) if text else ()
    return next((moment for parser in parsers if (moment := parser(text))), None)


def _parse_iso(text: str) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    try:
        return as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _from_number(value: float) -> datetime | None:
    try:
        return from_timestamp(float(value))
    except (OverflowError, OSError, ValueError):
        return None


def in_window(moment: datetime | None, ctx: FetchContext) -> bool:
    """Whether an item's date falls in the job's date range (undated items do)."""
    if moment is None:
        return True
    if ctx.date_from and moment < as_utc(ctx.date_from):
        return False
    return not (ctx.date_to and moment > as_utc(ctx.date_to))


def older_than_window(moment: datetime | None, ctx: FetchContext) -> bool:
    """Whether a date lies before the job's range: on a newest-first listing,
    nothing after it can be in range, so pagination can stop."""
    return bool(moment and ctx.date_from and moment < as_utc(ctx.date_from))
