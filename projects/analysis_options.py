"""What a project asks of the analysis: the six settings of its ``config.analysis``, in one place.

:class:`AnalysisOptions` holds their names, types and defaults, :class:`SentimentClasses` and
:class:`EmotionModel` the values two of them allow, with their labels. The stored model
(:class:`projects.models.AnalysisConfig`) takes its defaults and choices from here, and
``AnalysisOptions.of`` reads it back; the analysis engines take an ``AnalysisOptions``.

Plain Python, not Django's choice enums: the analysis engines import this module and stay
importable without Django (the benchmarks run them so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, get_type_hints


class SentimentClasses:
    """How many sentiment labels an analysis gives (3: positive, neutral, negative)."""

    THREE = 3
    FIVE = 5
    choices = (
        (THREE, "3 classes (positive, neutral, negative)"),
        (FIVE, "5 classes (very positive to very negative)"),
    )
    values = tuple(value for value, _ in choices)


class EmotionModel:
    """The emotion taxonomies an analysis can label with."""

    EKMAN = "ekman"
    GOEMOTIONS = "goemotions"
    PLUTCHIK = "plutchik"
    choices = (
        (EKMAN, "Ekman (6 basic emotions)"),
        (GOEMOTIONS, "GoEmotions (27 emotions)"),
        (PLUTCHIK, "Plutchik (8 primary emotions)"),
    )
    values = tuple(value for value, _ in choices)


@dataclass(frozen=True)
class AnalysisOptions:
    """A project's ``config.analysis``: which parts the engine computes, and how."""

    sentiment: bool = True
    sentiment_classes: int = SentimentClasses.THREE
    emotions: bool = False
    emotion_model: str = EmotionModel.EKMAN
    summarize: bool = False
    extract_insights: bool = False

    def __post_init__(self) -> None:
        if self.sentiment_classes not in SentimentClasses.values:
            raise ValueError(
                f"sentiment_classes must be one of {SentimentClasses.values}, not {self.sentiment_classes!r}"
            )
        emotion_model = (self.emotion_model or AnalysisOptions.emotion_model).lower()
        if emotion_model not in EmotionModel.values:
            raise ValueError(
                f"emotion_model must be one of {EmotionModel.values}, not {self.emotion_model!r}"
            )
        object.__setattr__(self, "emotion_model", emotion_model)  # frozen: set once, here

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AnalysisOptions:
        """Build from a stored ``config.analysis`` document; missing or null keys take their
        defaults, values are coerced to the setting's type and unknown keys are ignored.
        Raises ``ValueError`` for a value outside the allowed ones."""
        data = data or {}
        types = get_type_hints(cls)
        values = {f.name: types[f.name](data[f.name]) for f in fields(cls) if data.get(f.name) is not None}
        return cls(**values)

    @classmethod
    def of(cls, stored: object) -> AnalysisOptions:
        """The options of a stored ``config.analysis`` (the embedded model, or anything with
        attributes of the same names)."""
        return cls.from_dict({f.name: getattr(stored, f.name, None) for f in fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        """The ``config.analysis`` document of these options."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The options of a project that changed none of them.
DEFAULTS = AnalysisOptions()
