"""One home for the sentiment thresholds: the stored label, the project chip and the
rating-versus-text check read a score the same way, at the thresholds themselves too."""

import pytest

from analysis.engine import sentiment
from analysis.engine.base import ratings_disagree
from projects.sentiment_bands import label_for
from projects.views import sentiment_chip


@pytest.mark.parametrize(
    ("score", "three", "five"),
    [
        (0.05, "positive", "positive"),
        (0.0499, "neutral", "neutral"),
        (-0.05, "negative", "negative"),
        (-0.0499, "neutral", "neutral"),
        (0.6, "positive", "very_positive"),
        (-0.6, "negative", "very_negative"),
        (0.0, "neutral", "neutral"),
    ],
)
def test_every_reader_of_a_score_gives_the_same_label(score, three, five):
    assert label_for(score) == three
    assert label_for(score, 5) == five
    assert sentiment.label_for(score, 5) == five
    assert sentiment_chip(score) == three
    # A text pointing one way disagrees with the opposite extreme rating; a neutral text never.
    against = -1.0 if three == "positive" else 1.0
    assert ratings_disagree(score, against) is (three != "neutral")


def test_no_score_has_no_chip():
    assert sentiment_chip(None) == ""
