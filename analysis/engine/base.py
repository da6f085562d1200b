"""The analysis engine interface: what goes in (items, and the project's ``config.analysis`` as
:class:`~projects.analysis_options.AnalysisOptions`), what comes out (the parts written into
each result), and the abstract :class:`Engine`.

Pure Python: nothing here touches the database, the network or Django settings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from projects.analysis_options import AnalysisOptions
from projects.sentiment_bands import label_for


@dataclass(frozen=True)
class AnalysisItem:
    """One result to analyse. ``rating`` is the platform's numeric rating, if any, on a scale
    whose top is ``rating_scale`` (see :func:`normalise_rating`)."""

    id: str
    text: str
    title: str = ""
    rating: float | None = None
    rating_scale: float = 5.0

    @property
    def full_text(self) -> str:
        """Title and text together: a review's title often carries its verdict ("Broke in a week")."""
        title = (self.title or "").strip()
        text = self.text or ""
        return f"{title}\n{text}" if title else text


@dataclass
class ItemAnalysis(Mapping):
    """What the engine writes into one result.

    ``analysis`` has the keys ``sentiment``, ``emotions``, ``summary``, ``insights`` exactly as
    the schema defines them, a part being None when its switch is off (or the engine cannot do
    it: then ``notes`` says why, keyed by the part's name). ``rating_score`` is the item's
    rating on -1..1 (None without a rating), kept beside the text sentiment;
    ``rating_disagreement`` is True when text sentiment and rating point strongly in opposite
    directions. The object reads like a dict of its fields.
    """

    analysis: dict[str, Any]
    language: str
    word_count: int
    rating_disagreement: bool = False
    rating_score: float | None = None
    engine: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    @classmethod
    def _keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of all fields."""
        return {key: getattr(self, key) for key in self._keys()}

    def result_fields(self) -> dict[str, Any]:
        """The fields of the ``results`` document this analysis sets: ``analysis``,
        ``language`` and ``word_count``."""
        return {"analysis": self.analysis, "language": self.language, "word_count": self.word_count}


# A rating normalised to -1..1 and a text score further apart than this, on opposite sides of
# zero, disagree: 5 stars (+1) against any negative text, 4 of 5 stars (+0.5) against a text
# scored -0.5 or lower, a middling 3 of 5 (0) never.
DISAGREEMENT_MARGIN = 1.0


def normalise_rating(rating: float | None, scale: float = 5.0) -> float | None:
    """``rating`` on -1..1: ``(rating - mid) / half_range``. A scale of 2 or more runs from 1
    to ``scale`` (stars, 1-10 scores); a scale of 1 runs from 0 to 1 (thumbs down/up). Values
    outside the scale are clamped; None stays None."""
    if rating is None or scale is None or scale <= 0:
        return None
    low = 0.0 if scale < 2 else 1.0
    mid = (low + scale) / 2
    half = (scale - low) / 2
    return round(max(-1.0, min(1.0, (float(rating) - mid) / half)), 4)


def ratings_disagree(text_score: float | None, rating_score: float | None) -> bool:
    """True when the text's sentiment score (outside the neutral band) and the normalised
    rating point in opposite directions and differ by at least :data:`DISAGREEMENT_MARGIN`."""
    if text_score is None or rating_score is None:
        return False
    # A text in the neutral band points in no direction, so it never disagrees with a rating.
    direction = label_for(text_score)
    opposite = (direction == "negative" and rating_score > 0) or (
        direction == "positive" and rating_score < 0
    )
    return opposite and abs(text_score - rating_score) >= DISAGREEMENT_MARGIN


class Engine(ABC):
    """An analysis engine: analyses a batch of items under a project's analysis config."""

    #: Name recorded with each analysis ("local", or the LLM provider's).
    name: str = ""

    @abstractmethod
    def analyze(self, items: list[AnalysisItem], config: AnalysisOptions) -> dict[str, ItemAnalysis]:
        """Analyse ``items``; the answer is keyed by item id (an id given twice is analysed
        once, the last item with that id wins)."""

    def unsupported(self, config: AnalysisOptions) -> dict[str, str]:
        """Parts of ``config`` this engine cannot do, keyed by the analysis part, with the
        reason. Empty by default."""
        return {}
