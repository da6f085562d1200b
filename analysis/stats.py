"""Incremental statistics: project and target ``stats`` and daily aggregates.

Dashboards read these, never the results. A result contributes once it has a
sentiment and is not excluded by triage. Every change is a delta applied with
``$inc``: analysing adds a contribution, re-analysing removes the old one and
adds the new one, excluding or deleting removes it. ``rebuild`` recomputes all
of it from the results and reports any drift.

Daily aggregates live in ``daily_stats``, one document per (target, day), the
day being the content's own date (else the collection date), in UTC. Besides the
sentiment sums a day holds its emotions, its ratings' sum and count and their distribution
(``ratings.<n>``, rated results per whole rating), which the period comparison reads, and
counts the results mentioning each topic (``topics.<key>``, the aspects the analysis stored,
by :func:`analysis.engine.project_insights.topic_key`), which alert rules watch.

Hourly counts live in ``hourly_stats``, one document per (target, hour of
collection), so alert rules can judge an hour's arrivals without reading
results. ``rebuild`` rewrites them with the rest (it reports no drift for them).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bson import ObjectId
from pymongo import UpdateOne

from analysis.engine.project_insights import topic_key
from sentimatrix.mongo import collection

BUCKETS = ("positive", "neutral", "negative")
FIVE_TO_THREE = {"very_positive": "positive", "very_negative": "negative"}
DAILY = "daily_stats"
HOURLY = "hourly_stats"
#: Longest topic key counted (longer ones are cut), so field names stay short.
TOPIC_KEY_CHARS = 64


def bucket(label: str | None) -> str | None:
    """The 3-class bucket of a 3- or 5-class label."""
    if not label:
        return None
    return FIVE_TO_THREE.get(label, label)


def star(rating: float) -> int:
    """The whole rating a result counts under in a day's rating distribution (``ratings.<n>``):
    half up, so 4.5 stars count as 5."""
    return math.floor(float(rating) + 0.5)


@dataclass(frozen=True)
class Contribution:
    project_id: object
    target_id: object
    platform: str
    day: datetime
    label: str
    score: float
    emotion: str | None = None
    rating: float | None = None
    flagged: bool = False
    # Left unanalysed for want of a model for its language: counted apart, never in the sums.
    unsupported: bool = False
    hour: datetime | None = None  # the hour it was collected in
    topics: tuple[str, ...] = ()  # the keys of the topics it mentions


def topic_field(topic: dict | str) -> str:
    """The ``topics.<key>`` name of a topic in the daily aggregates ("" for none): its grouping
    key, without the characters a field name may not hold."""
    key = topic_key(topic).replace(".", " ").replace("$", " ")
    return " ".join(key.split())[:TOPIC_KEY_CHARS]


def _topics(analysis: dict) -> tuple[str, ...]:
    stored = (analysis.get("insights") or {}).get("topics") or []
    keys = {topic_field(t) for t in stored if isinstance(t, dict) and t.get("topic")}
    return tuple(sorted(k for k in keys if k))


def _hour(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return datetime(when.year, when.month, when.day, when.hour, tzinfo=UTC)


def contribution(doc: dict) -> Contribution | None:
    """What a stored result adds to the statistics (None: nothing)."""
    analysis = doc.get("analysis") or {}
    sentiment = analysis.get("sentiment") or None
    if doc.get("excluded") or not (sentiment or analysis.get("unsupported_language")):
        return None
    content = doc.get("content") or {}
    when = content.get("date") or doc.get("created_at") or datetime.now(UTC)
    if not sentiment:
        return Contribution(
            project_id=doc["project_id"], target_id=doc["target_id"], platform=doc.get("platform", ""),
            day=datetime(when.year, when.month, when.day, tzinfo=UTC), label="", score=0.0, unsupported=True,
        )  # fmt: skip
    emotions = (doc.get("analysis") or {}).get("emotions") or {}
    return Contribution(
        project_id=doc["project_id"],
        target_id=doc["target_id"],
        platform=doc.get("platform", ""),
        day=datetime(when.year, when.month, when.day, tzinfo=UTC),
        label=bucket(sentiment.get("label")) or "neutral",
        score=float(sentiment.get("score") or 0.0),
        emotion=emotions.get("primary") or None,
        rating=content.get("rating"),
        flagged=bool((doc.get("flags") or {}).get("rating_disagreement")),
        hour=_hour(doc.get("created_at")),
        topics=_topics(analysis),
    )


@dataclass
class Delta:
    """Sums of contributions, per project, target and (target, day)."""

    project: dict = field(default_factory=lambda: defaultdict(Counter))
    target: dict = field(default_factory=lambda: defaultdict(Counter))
    daily: dict = field(default_factory=lambda: defaultdict(Counter))
    daily_keys: dict = field(default_factory=dict)
    hourly: dict = field(default_factory=lambda: defaultdict(Counter))
    hourly_keys: dict = field(default_factory=dict)

    def add(self, c: Contribution | None, sign: int) -> None:
        if c is None:
            return
        if c.unsupported:
            for counter in (self.project[c.project_id], self.target[c.target_id]):
                counter["unsupported"] += sign
            return
        values = Counter({"count": 1, "sum": c.score, f"labels.{c.label}": 1})
        for counter in (self.project[c.project_id], self.target[c.target_id]):
            counter.update({k: v * sign for k, v in values.items()})
        key = f"{c.target_id}:{c.day:%Y-%m-%d}"
        self.daily_keys[key] = (c.project_id, c.target_id, c.platform, c.day)
        daily = Counter(values)
        if c.emotion:
            daily[f"emotions.{c.emotion}"] += 1
        if c.rating is not None:
            daily.update({"rating_sum": float(c.rating), "rating_count": 1, f"ratings.{star(c.rating)}": 1})
        if c.flagged:
            daily["flagged"] += 1
        for topic in c.topics:
            daily[f"topics.{topic}"] += 1
        self.daily[key].update({k: v * sign for k, v in daily.items()})
        if c.hour is not None:
            hour_key = f"{c.target_id}:{c.hour:%Y-%m-%dT%H}"
            self.hourly_keys[hour_key] = (c.project_id, c.target_id, c.platform, c.hour)
            self.hourly[hour_key]["count"] += sign


def _nonzero(counter: Counter) -> dict:
    return {k: v for k, v in counter.items() if v}


def apply(delta: Delta) -> None:
    """Write a delta with ``$inc``, then refresh the stored averages."""
    for project_id, counter in delta.project.items():
        inc = _nonzero(counter)
        if inc:
            _inc_stats("projects", project_id, inc, distribution="stats.sentiment_distribution")
    for target_id, counter in delta.target.items():
        inc = _nonzero(counter)
        if inc:
            _inc_stats("targets", target_id, inc, distribution="stats.sentiment_distribution")
    operations = []
    for key, counter in delta.daily.items():
        inc = _nonzero(counter)
        if not inc:
            continue
        project_id, target_id, platform, day = delta.daily_keys[key]
        operations.append(
            UpdateOne(
                {"_id": key},
                {
                    "$inc": inc,
                    "$setOnInsert": {
                        "project_id": project_id,
                        "target_id": target_id,
                        "platform": platform,
                        "day": day,
                    },
                },
                upsert=True,
            )
        )
    if operations:
        collection(DAILY).bulk_write(operations, ordered=False)
    hourly = []
    for key, counter in delta.hourly.items():
        inc = _nonzero(counter)
        if not inc:
            continue
        project_id, target_id, platform, hour = delta.hourly_keys[key]
        hourly.append(
            UpdateOne(
                {"_id": key},
                {"$inc": inc, "$setOnInsert": {"project_id": project_id, "target_id": target_id,
                                                "platform": platform, "hour": hour}},
                upsert=True,
            )
        )  # fmt: skip
    if hourly:
        collection(HOURLY).bulk_write(hourly, ordered=False)


def _inc_stats(name: str, doc_id: ObjectId, inc: dict, distribution: str) -> None:
    fields = {
        "stats.unsupported_language_count": inc.get("unsupported", 0),
        "stats.sentiment_count": inc.get("count", 0),
        "stats.sentiment_sum": inc.get("sum", 0.0),
        **{f"{distribution}.{k.split('.', 1)[1]}": v for k, v in inc.items() if k.startswith("labels.")},
    }
    doc = collection(name).find_one_and_update(
        {"_id": doc_id},
        {
            "$inc": {k: v for k, v in fields.items() if v},
            "$set": {"stats.last_analysis_at": datetime.now(UTC)},
        },
        projection={"stats.sentiment_count": 1, "stats.sentiment_sum": 1},
        return_document=True,
    )
    if doc is None:
        return
    stats = doc.get("stats") or {}
    count, total = stats.get("sentiment_count", 0), stats.get("sentiment_sum", 0.0)
    # Only if no other writer moved the sums since: that writer sets the average itself.
    collection(name).update_one(
        {"_id": doc_id, "stats.sentiment_count": count, "stats.sentiment_sum": total},
        {"$set": {"stats.avg_sentiment": round(total / count, 4) if count else None}},
    )


def rebuild(project_id: ObjectId) -> dict:
    """Recompute the project's statistics from its results; return the drift found.

    The drift maps each stored figure that was wrong to (stored, recomputed).
    """
    delta = Delta()
    for doc in collection("results").find(
        {"project_id": project_id},
        {"analysis.sentiment": 1, "analysis.emotions.primary": 1, "analysis.unsupported_language": 1,
         "analysis.insights.topics": 1, "excluded": 1, "content.date": 1,
         "content.rating": 1, "created_at": 1, "project_id": 1, "target_id": 1, "platform": 1, "flags": 1},
    ):  # fmt: skip
        delta.add(contribution(doc), +1)
    drift = {}
    expected_project = delta.project.get(project_id, Counter())
    project = collection("projects").find_one({"_id": project_id}, {"stats": 1}) or {}
    drift.update(_compare("project", project.get("stats") or {}, expected_project))
    targets = {t["_id"]: t for t in collection("targets").find({"project_id": project_id}, {"stats": 1})}
    for target_id, target in targets.items():
        drift.update(
            _compare(f"target {target_id}", target.get("stats") or {}, delta.target.get(target_id, Counter()))
        )
    stored_daily = {d["_id"]: d for d in collection(DAILY).find({"project_id": project_id})}
    for key in set(stored_daily) | set(delta.daily):
        stored = stored_daily.get(key, {})
        expected = _nonzero(delta.daily.get(key, Counter()))
        flat = _flatten(
            {
                k: v
                for k, v in stored.items()
                if k not in {"_id", "project_id", "target_id", "platform", "day"}
            }
        )
        if {k: round(v, 6) for k, v in _nonzero(Counter(flat)).items()} != {
            k: round(v, 6) for k, v in expected.items()
        }:
            drift[f"daily {key}"] = (flat, expected)
    # Write the truth.
    reset = {"stats.sentiment_count": 0, "stats.sentiment_sum": 0.0, "stats.avg_sentiment": None,
             "stats.unsupported_language_count": 0,
             **{f"stats.sentiment_distribution.{b}": 0 for b in BUCKETS}}  # fmt: skip
    collection("projects").update_one({"_id": project_id}, {"$set": reset})
    collection("targets").update_many({"project_id": project_id}, {"$set": reset})
    collection(DAILY).delete_many({"project_id": project_id})
    collection(HOURLY).delete_many({"project_id": project_id})
    apply(delta)
    total = collection("results").count_documents({"project_id": project_id})
    collection("projects").update_one({"_id": project_id}, {"$set": {"stats.total_results": total}})
    return drift


def _flatten(doc: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, int | float):
            out[name] = value
    return out


def _compare(name: str, stats: dict, expected: Counter) -> dict:
    stored = {
        "unsupported": stats.get("unsupported_language_count", 0) or 0,
        "count": stats.get("sentiment_count", 0) or 0,
        "sum": round(stats.get("sentiment_sum", 0.0) or 0.0, 6),
        **{f"labels.{b}": (stats.get("sentiment_distribution") or {}).get(b, 0) or 0 for b in BUCKETS},
    }
    want = {
        "unsupported": expected.get("unsupported", 0),
        "count": expected.get("count", 0),
        "sum": round(expected.get("sum", 0.0), 6),
        **{f"labels.{b}": expected.get(f"labels.{b}", 0) for b in BUCKETS},
    }
    return {f"{name} {k}": (stored[k], want[k]) for k in stored if stored[k] != want[k]}
