"""What an alert says, whatever carries it: its numbers, its top quotes and its link.

Chat messages (:mod:`notifications.alerts.chat`) and emails (:mod:`notifications.alerts.mail`)
render the same :class:`AlertMessage`, so an alert reads the same in every channel. Texts here
are plain: each channel escapes them as its own markup needs.
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from analysis.results_store.reads import results_in_order
from notifications import payloads
from notifications.models import AlertKind
from projects.platforms import Platform
from sentimatrix import when
from sentimatrix.mongo import collection
from sentimatrix.timeutil import zone_or_utc

MAX_QUOTES = 3
QUOTE_CHARS = 280


@dataclass
class Quote:
    text: str
    platform: str = ""
    rating: float | None = None
    url: str = ""


@dataclass
class AlertMessage:
    """An alert's evidence in words and figures, times in the owner's time zone."""

    alert_id: str
    title: str
    kind: str
    kind_label: str
    project_name: str
    rule_name: str
    window: str  # "5 Dec 2026, 00:00 to 6 Dec 2026, 00:00 (CET)"
    observed: str
    baseline: str
    p_value: str  # "" when the test gave none
    statistic: str
    link: str
    quotes: list[Quote] = field(default_factory=list)

    @property
    def numbers(self) -> str:
        """One line with the figures: "Observed 41 vs baseline 12.4 (p = 2.0e-05)"."""
        line = f"Observed {self.observed} vs baseline {self.baseline}"
        return f"{line} (p = {self.p_value})" if self.p_value else line


def number(value: float | None) -> str:
    """A figure as people read it: whole numbers without decimals, others to 3 significant digits."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def p_value(value: float | None) -> str:
    """A p-value short enough for a chat line; tiny ones in scientific notation."""
    if value is None:
        return ""
    if value < 0.0001:
        return f"{value:.1e}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"


def quotes(alert: dict, limit: int = MAX_QUOTES) -> list[Quote]:
    """Up to ``limit`` texts of the results behind the alert (results of its project only)."""
    found = []
    for result in results_in_order(list(alert.get("result_ids") or [])[: limit * 2]):
        text = shorten(result.content.text or result.content.title)
        if result.project_id != alert["project_id"] or not text:
            continue
        platform = Platform(result.platform).label if result.platform in Platform.values else result.platform
        found.append(Quote(text, str(platform), result.content.rating, result.content.url or ""))
        if len(found) == limit:
            break
    return found


def user_zone(user_id) -> zoneinfo.ZoneInfo:
    """The owner's time zone (UTC when unset or unknown)."""
    doc = collection("users").find_one({"_id": user_id}, {"settings.timezone": 1}) or {}
    return zone_or_utc((doc.get("settings") or {}).get("timezone"))


def window_text(start: datetime, end: datetime, zone: zoneinfo.ZoneInfo) -> str:
    with timezone.override(zone):
        return f"{when.format_when(start)} to {when.format_when(end, zone=True)}"


def build(alert: dict, zone: zoneinfo.ZoneInfo | None = None) -> AlertMessage:
    """The message of a raw ``alerts`` document (its project and rule are read by id)."""
    zone = zone or user_zone(alert["user_id"])
    project = collection("projects").find_one({"_id": alert["project_id"]}, {"name": 1}) or {}
    rule = collection("alert_rules").find_one({"_id": alert["rule_id"]}, {"name": 1}) or {}
    kind = alert.get("kind", "")
    statistic = alert.get("statistic")
    return AlertMessage(
        alert_id=str(alert["_id"]),
        title=" ".join((alert.get("title") or "").split()),  # one line: it becomes a mail subject
        kind=kind,
        kind_label=str(AlertKind(kind).label) if kind in AlertKind.values else kind,
        project_name=project.get("name", ""),
        rule_name=rule.get("name", ""),
        window=window_text(alert["window_start"], alert["window_end"], zone),
        observed=number(alert.get("observed")),
        baseline=number(alert.get("baseline")),
        p_value=p_value(alert.get("p_value")),
        statistic=number(statistic) if statistic is not None else "",
        link=payloads.alert_url(alert["_id"]),
        quotes=quotes(alert),
    )
