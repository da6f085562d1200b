"""Steam playtime bands: how many reviews of a sample fall in each band of playtime at review
time, by sentiment bucket (what the dashboard's playtime chart draws).

Playtime is in each review's metadata, not in the daily statistics, so the bands are counted on
the insights sample (:mod:`analysis.insights_cache`) and cached with it.
"""

from __future__ import annotations

from analysis.stats import bucket
from projects.platforms import Platform

#: Bands of playtime at review time, in hours: [low, high) (None: open-ended).
BANDS = ((0, 2), (2, 10), (10, 50), (50, 200), (200, None))
PATH = "content.metadata.playtime_at_review"  # minutes, as Steam reports them
FIELDS = {PATH: 1, "platform": 1}  # what a sample must hold besides the analysis


def band_of(minutes) -> int | None:
    """The index of the band ``minutes`` of playtime fall in (None for no number)."""
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes < 0:
        return None
    hours = minutes / 60
    for i, (low, high) in enumerate(BANDS):
        if hours >= low and (high is None or hours < high):
            return i
    return None


def band_counts(docs: list[dict]) -> list[dict]:
    """Per band: ``count``, ``sum`` of sentiment scores and ``labels`` (bucket -> count) of the
    analysed Steam reviews among ``docs`` (raw documents) that report playtime."""
    bands = [{"count": 0, "sum": 0.0, "labels": {}} for _ in BANDS]
    for doc in docs:
        if doc.get("platform") != Platform.STEAM:
            continue
        band = band_of(((doc.get("content") or {}).get("metadata") or {}).get("playtime_at_review"))
        sentiment = (doc.get("analysis") or {}).get("sentiment") or {}
        label = bucket(sentiment.get("label"))
        if band is None or label is None:
            continue
        counts = bands[band]
        counts["count"] += 1
        counts["sum"] += sentiment.get("score") or 0.0
        counts["labels"][label] = counts["labels"].get(label, 0) + 1
    return bands
