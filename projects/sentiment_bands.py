"""The sentiment labels of a score in -1..1: the one home of the thresholds.

Every label the product shows or stores from a score (a lexicon score, an average on a project
card, a rating-versus-text check) is read here, so a chip and a stored label never disagree.

3 classes (VADER's published thresholds): positive at >= 0.05, negative at <= -0.05, neutral
between. 5 classes add a "very" band at |score| >= 0.6.
"""

from __future__ import annotations

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
VERY_POSITIVE_THRESHOLD = 0.6
VERY_NEGATIVE_THRESHOLD = -0.6

FIVE_CLASSES = ("very_positive", "positive", "neutral", "negative", "very_negative")
THREE_CLASSES = ("positive", "neutral", "negative")


def label_for(score: float, classes: int = 3) -> str:
    """The label of ``score`` for 3 or 5 classes."""
    if classes == 5:
        if score >= VERY_POSITIVE_THRESHOLD:
            return "very_positive"
        if score <= VERY_NEGATIVE_THRESHOLD:
            return "very_negative"
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"
