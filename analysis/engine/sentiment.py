"""Sentiment of a text with VADER (Hutto & Gilbert 2014, the ``vaderSentiment`` package).

Score
    VADER's ``compound`` score, already in -1..1, is ``analysis.sentiment.score``.

Labels (thresholds on the compound score, kept in :mod:`projects.sentiment_bands`)
    3 classes, VADER's published thresholds:
        positive  compound >= 0.05
        negative  compound <= -0.05
        neutral   otherwise
    5 classes, the same neutral band plus a "very" band at |compound| >= 0.6:
        very_positive  compound >= 0.6
        positive       0.05 <= compound < 0.6
        neutral        -0.05 < compound < 0.05
        negative       -0.6 < compound <= -0.05
        very_negative  compound <= -0.6

``scores`` (always the five classes, summing to 1)
    Half of the mass goes to the 5-class bin of the compound score. The other half follows
    VADER's proportions of the text that is positive / neutral / negative (``pos``, ``neu``,
    ``neg``): ``neu`` goes to neutral, ``pos`` is split between very_positive (share
    ``max(compound, 0)``) and positive (the rest), ``neg`` likewise between very_negative (share
    ``max(-compound, 0)``) and negative. A text with no tokens at all puts that half on neutral.
    The bin of the label therefore holds at least half of the mass.

``confidence`` (0..1)
    The mean of two parts:
    - depth: how far the compound score sits inside its label's bin, from 0 at a threshold to 1
      at half the bin's width from it (or further, for the open-ended end bins);
    - dominance: the share of VADER's proportions that agrees with the label
      (``pos / (pos + neg)`` for positive labels, ``neg / (pos + neg)`` for negative ones,
      ``neu`` for neutral).
    An empty text gets a neutral label with confidence 0.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from projects.sentiment_bands import (
    FIVE_CLASSES,
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    THREE_CLASSES,
    VERY_NEGATIVE_THRESHOLD,
    VERY_POSITIVE_THRESHOLD,
    label_for,
)

__all__ = ["FIVE_CLASSES", "NEGATIVE_THRESHOLD", "POSITIVE_THRESHOLD", "THREE_CLASSES", "label_for"]

# Bins of the compound score per label: (low, high). The end bins are open-ended.
_BINS = {
    3: {
        "positive": (POSITIVE_THRESHOLD, 1.0),
        "neutral": (NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD),
        "negative": (-1.0, NEGATIVE_THRESHOLD),
    },
    5: {
        "very_positive": (VERY_POSITIVE_THRESHOLD, 1.0),
        "positive": (POSITIVE_THRESHOLD, VERY_POSITIVE_THRESHOLD),
        "neutral": (NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD),
        "negative": (VERY_NEGATIVE_THRESHOLD, NEGATIVE_THRESHOLD),
        "very_negative": (-1.0, VERY_NEGATIVE_THRESHOLD),
    },
}


class _Analyzer(SentimentIntensityAnalyzer):
    """VADER with the same answers, in linear time. Its negation and idiom checks lower-case the
    whole text for every sentiment word they weigh (quadratic in the text's length: a third of
    the analysis of a 100-word review); each reads only a few words around that word, so it is
    handed just those."""

    @staticmethod
    def _negation_check(valence, words_and_emoticons, start_i, i):
        # Called only with i > start_i, so every index it reads (i - 1 .. i - 3) is in the window.
        first = max(0, i - 3)
        return SentimentIntensityAnalyzer._negation_check(
            valence, words_and_emoticons[first : i + 1], start_i, i - first
        )

    @staticmethod
    def _special_idioms_check(valence, words_and_emoticons, i):
        # Called only with i > 2 (on the third preceding word's turn); reads i - 3 .. i + 2.
        return SentimentIntensityAnalyzer._special_idioms_check(
            valence, words_and_emoticons[i - 3 : i + 3], 3
        )


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    """The process-wide VADER analyzer (loading its lexicon takes a few milliseconds)."""
    return _Analyzer()


def polarity(text: str) -> dict[str, float]:
    """VADER's raw scores for ``text``: ``neg``, ``neu``, ``pos`` proportions and ``compound``."""
    return analyzer().polarity_scores(text or "")


def compound(text: str) -> float:
    """VADER's compound score of ``text`` (-1..1)."""
    return polarity(text)["compound"]


def three_class(label: str) -> str:
    """Fold a 5-class label onto positive / neutral / negative."""
    return label.removeprefix("very_")


def class_distribution(raw: dict[str, float]) -> dict[str, float]:
    """The 5-class ``scores`` distribution of VADER's raw scores (see module docstring)."""
    score = raw["compound"]
    pos, neu, neg = raw["pos"], raw["neu"], raw["neg"]
    dist = dict.fromkeys(FIVE_CLASSES, 0.0)
    dist[label_for(score, 5)] += 0.5
    total = pos + neu + neg
    if total <= 0:
        dist["neutral"] += 0.5
    else:
        up, down = max(score, 0.0), max(-score, 0.0)
        dist["very_positive"] += 0.5 * pos / total * up
        dist["positive"] += 0.5 * pos / total * (1 - up)
        dist["neutral"] += 0.5 * neu / total
        dist["negative"] += 0.5 * neg / total * (1 - down)
        dist["very_negative"] += 0.5 * neg / total * down
    return _rounded_distribution(dist)


def _rounded_distribution(dist: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Round to ``digits`` and put the rounding residue on the largest class, so the values
    still add up to exactly 1 at that precision."""
    rounded = {k: round(v, digits) for k, v in dist.items()}
    top = max(rounded, key=rounded.get)
    rounded[top] = round(rounded[top] + 1.0 - sum(rounded.values()), digits)
    return rounded


def confidence(raw: dict[str, float], classes: int = 3) -> float:
    """Confidence 0..1 of the label of VADER's raw scores (see module docstring)."""
    pos, neu, neg = raw["pos"], raw["neu"], raw["neg"]
    if pos + neu + neg <= 0:
        return 0.0
    score = raw["compound"]
    label = label_for(score, classes)
    low, high = _BINS[5 if classes == 5 else 3][label]
    half_width = (high - low) / 2
    inner = []
    if low > -1.0:
        inner.append(score - low)
    if high < 1.0:
        inner.append(high - score)
    depth = min(1.0, max(0.0, min(inner)) / half_width)
    base = three_class(label)
    if base == "neutral":
        dominance = neu / (pos + neu + neg)
    else:
        affect = pos + neg
        agreeing = pos if base == "positive" else neg
        dominance = agreeing / affect if affect > 0 else 0.0
    return round(min(1.0, max(0.0, (depth + dominance) / 2)), 4)


def sentiment_block(
    text: str, classes: int, analyzed_at: datetime, raw: dict[str, float] | None = None
) -> dict:
    """``analysis.sentiment`` for ``text`` as the schema defines it. ``raw`` may carry VADER's
    scores when the caller already has them."""
    raw = raw if raw is not None else polarity(text)
    classes = 5 if classes == 5 else 3
    return {
        "label": label_for(raw["compound"], classes),
        "score": round(raw["compound"], 4),
        "confidence": confidence(raw, classes),
        "scores": class_distribution(raw),
        "analyzed_at": analyzed_at,
    }
