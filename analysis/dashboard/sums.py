"""Sums of the daily aggregates: totals per group and the daily documents a period reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from analysis.dashboard.options import DAILY_FIELDS
from analysis.stats import BUCKETS, DAILY
from sentimatrix.mongo import collection


@dataclass
class Totals:
    """Sums of daily aggregates."""

    count: int = 0
    sum: float = 0.0
    labels: Counter = field(default_factory=Counter)
    emotions: Counter = field(default_factory=Counter)
    rating_sum: float = 0.0
    rating_count: int = 0
    # Rated results per whole rating (analysis.stats.star), keys as stored: "1" to "5".
    ratings: Counter = field(default_factory=Counter)
    flagged: int = 0

    def add(self, doc: dict) -> None:
        self.count += doc.get("count") or 0
        self.sum += doc.get("sum") or 0.0
        self.labels.update({k: v for k, v in (doc.get("labels") or {}).items() if v})
        self.emotions.update({k: v for k, v in (doc.get("emotions") or {}).items() if v})
        self.rating_sum += doc.get("rating_sum") or 0.0
        self.rating_count += doc.get("rating_count") or 0
        self.ratings.update({k: v for k, v in (doc.get("ratings") or {}).items() if v})
        self.flagged += doc.get("flagged") or 0

    @property
    def average(self) -> float | None:
        return round(self.sum / self.count, 4) if self.count else None

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    def share(self, bucket: str) -> float | None:
        return round(self.labels.get(bucket, 0) / self.count, 4) if self.count else None

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "average": self.average,
            "distribution": {b: self.labels.get(b, 0) for b in BUCKETS},
            "shares": {b: self.share(b) for b in BUCKETS},
            "emotions": dict(self.emotions.most_common()),
            "average_rating": self.average_rating,
            "rating_count": self.rating_count,
            "flagged": self.flagged,
        }


def totals(docs, key=None) -> dict:
    """Totals of daily documents, all together (key None) or grouped by ``key(doc)``."""
    out: dict = defaultdict(Totals)
    for doc in docs:
        out[key(doc) if key else None].add(doc)
    return out


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def daily_documents(project_id, start: date | None = None, target_ids=None) -> list[dict]:
    """The project's daily aggregates from ``start`` (a UTC day) on, optionally of some targets.

    The query names only the fields of the (project_id, day) index; targets are picked here (the
    embedded server scans the collection for a query with any other predicate).
    """
    query: dict = {"project_id": project_id}
    if start is not None:
        query["day"] = {"$gte": datetime(start.year, start.month, start.day, tzinfo=UTC)}
    wanted = set(target_ids) if target_ids is not None else None
    docs = []
    for doc in collection(DAILY).find(query, DAILY_FIELDS):
        if doc.get("count") and (wanted is None or doc.get("target_id") in wanted):
            doc["day"] = _day(doc["day"])
            docs.append(doc)
    return docs
