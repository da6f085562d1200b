"""Reading and validating the LLM's answer.

Expected answer (see :mod:`.prompt`)::

    {"results": [{"id": "1", "sentiment": {...}, "emotions": {...}, "summary": {...},
                  "insights": {...}}, ...]}

Reading
    The JSON object is taken from the answer's text even when a model wraps it in a Markdown
    code fence or a sentence. An answer cut short (``max_tokens`` reached) keeps the entries
    that were complete: they are decoded one by one from the ``results`` array until the first
    broken one. A bare array of entries is read as ``results``.

Validation, per entry (an entry failing any rule is invalid and dropped, with the reason)
    - ``id``: a string (or an integer) naming an item of the request; entries for ids that
      were not asked for are ignored, and the first valid entry of an id wins.
    - every part the configuration asks for must be present and an object; other parts are
      ignored.
    - sentiment: ``label`` one of the configured classes (case and spaces forgiven; with 3
      classes "very_positive" is folded to "positive"), ``score`` a number in -1..1,
      ``confidence`` in 0..1. ``scores`` is normalised to sum to 1 when it is an object of
      numbers in 0..1 with a positive sum; otherwise it is derived: ``confidence`` on the
      5-class bin of ``score`` and the rest shared equally by the other four classes.
    - emotions: every ``detected`` emotion from the model's label set with a score in 0..1
      (duplicates keep their highest score; sorted strongest first); ``primary`` one of the
      labels or null, defaulting to the strongest detected; ``primary_score`` in 0..1,
      defaulting to the primary's detected score.
    - summary: ``text`` a string, ``key_points`` a list of strings.
    - insights: ``pros`` and ``cons`` lists of strings, ``topics`` a list of
      ``{"topic": string, "sentiment": number in -1..1}``. Missing lists are empty.
    Numbers must be JSON numbers (not strings, not booleans). Strings are stripped and cut to
    :data:`MAX_STRING` characters, empty ones dropped from lists; lists keep at most
    :data:`MAX_LIST` entries. Numbers are rounded to 4 decimals.

The validated parts carry no timestamps; the engine stamps them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from analysis.engine.base import AnalysisOptions
from analysis.engine.llm.prompt import EMOTION_LABELS, SENTIMENT_LABELS, requested_parts
from analysis.engine.sentiment import FIVE_CLASSES, label_for
from sentimatrix.http import excerpt

MAX_STRING = 500
MAX_LIST = 10
_FENCE_RE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_RESULTS_ARRAY_RE = re.compile(r'"results"\s*:\s*\[')


class AnswerError(ValueError):
    """The answer as a whole cannot be read (no JSON, or no results in it)."""


class EntryError(ValueError):
    """One entry of the answer breaks a rule of the schema."""


@dataclass
class CheckedAnswer:
    """``valid``: validated parts per requested id; ``invalid``: reason per id whose entries
    all broke a rule; ``missing``: requested ids with no entry at all; ``error``: why the
    whole answer could not be read (then every id is missing)."""

    valid: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    error: str | None = None

    @property
    def failed(self) -> set[str]:
        """Ids without a valid entry, for whatever reason."""
        return self.missing | set(self.invalid)


def check_answer(text: str, config: AnalysisOptions, expected_ids: list[str]) -> CheckedAnswer:
    """Read ``text`` and validate each entry for the ids of the request."""
    checked = CheckedAnswer()
    expected = set(expected_ids)
    try:
        entries = extract_results(text)
    except AnswerError as exc:
        checked.error = str(exc)
        checked.missing = expected
        return checked
    for entry in entries:
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(entry_id, int) and not isinstance(entry_id, bool):
            entry_id = str(entry_id)
        if not isinstance(entry_id, str) or entry_id.strip() not in expected:
            continue
        entry_id = entry_id.strip()
        if entry_id in checked.valid:
            continue
        try:
            checked.valid[entry_id] = validate_entry(entry, config)
        except EntryError as exc:
            checked.invalid.setdefault(entry_id, str(exc))
        else:
            checked.invalid.pop(entry_id, None)
    checked.missing = expected - set(checked.valid) - set(checked.invalid)
    return checked


def extract_results(text: str) -> list:
    """The ``results`` entries of an answer (see the module docstring); :class:`AnswerError`
    when there are none to read."""
    body = _FENCE_RE.sub("", (text or "").strip())
    for candidate in (body, body[body.find("{") : body.rfind("}") + 1] if "{" in body else ""):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            return data["results"]
        if isinstance(data, list):
            return data
        raise AnswerError('the answer is JSON but has no "results" list')
    salvaged = _salvage(body)
    if salvaged:
        return salvaged
    shown = excerpt(body, 80)
    raise AnswerError(f'the answer is not JSON (it begins "{shown}")' if shown else "the answer is empty")


def _salvage(body: str) -> list:
    """The complete entries at the start of a ``results`` array that was cut short."""
    match = _RESULTS_ARRAY_RE.search(body)
    if not match:
        return []
    decoder = json.JSONDecoder()
    entries, pos = [], match.end()
    while True:
        while pos < len(body) and body[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(body) or body[pos] == "]":
            break
        try:
            entry, pos = decoder.raw_decode(body, pos)
        except ValueError:
            break
        entries.append(entry)
    return entries


def validate_entry(entry: dict, config: AnalysisOptions) -> dict[str, Any]:
    """The validated parts of one entry, keyed by part; :class:`EntryError` names the first
    broken rule."""
    parts: dict[str, Any] = {}
    for part in requested_parts(config):
        value = entry.get(part)
        if not isinstance(value, dict):
            raise EntryError(f"{part} is missing" if value is None else f"{part} is not an object")
        if part == "sentiment":
            parts[part] = validate_sentiment(value, config.sentiment_classes)
        elif part == "emotions":
            parts[part] = validate_emotions(value, config.emotion_model)
        elif part == "summary":
            parts[part] = validate_summary(value)
        else:
            parts[part] = validate_insights(value)
    return parts


def validate_sentiment(value: dict, classes: int) -> dict[str, Any]:
    """``analysis.sentiment`` without ``analyzed_at``."""
    labels = SENTIMENT_LABELS[classes]
    label = _label(value.get("label"), "sentiment.label")
    if classes == 3:
        label = label.removeprefix("very_")
    if label not in labels:
        raise EntryError(f"sentiment.label {label!r} is not one of {', '.join(labels)}")
    score = _number(value.get("score"), -1.0, 1.0, "sentiment.score")
    confidence = _number(value.get("confidence"), 0.0, 1.0, "sentiment.confidence")
    scores = _scores(value.get("scores"))
    if scores is None:
        scores = derived_scores(score, confidence)
    return {"label": label, "score": score, "confidence": confidence, "scores": scores}


def derived_scores(score: float, confidence: float) -> dict[str, float]:
    """A 5-class distribution when the model gave none: ``confidence`` on the bin of ``score``,
    the rest shared equally by the other four classes."""
    top = label_for(score, 5)
    rest = (1.0 - confidence) / (len(FIVE_CLASSES) - 1)
    return _rounded({name: confidence if name == top else rest for name in FIVE_CLASSES})


def _scores(value: Any) -> dict[str, float] | None:
    if not isinstance(value, dict):
        return None
    try:
        raw = {name: _number(value.get(name, 0), 0.0, 1.0, name) for name in FIVE_CLASSES}
    except EntryError:
        return None
    total = sum(raw.values())
    if total <= 0:
        return None
    return _rounded({name: v / total for name, v in raw.items()})


def _rounded(dist: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Rounded to ``digits``, the residue put on the largest class so the sum stays exactly 1."""
    rounded = {k: round(v, digits) for k, v in dist.items()}
    top = max(rounded, key=rounded.get)
    rounded[top] = round(rounded[top] + 1.0 - sum(rounded.values()), digits)
    return rounded


def validate_emotions(value: dict, model: str) -> dict[str, Any]:
    """``analysis.emotions`` without ``analyzed_at`` (``model`` set to the configured one)."""
    labels = EMOTION_LABELS[model]
    detected_raw = value.get("detected")
    if detected_raw is None:
        detected_raw = []
    if not isinstance(detected_raw, list):
        raise EntryError("emotions.detected is not a list")
    best: dict[str, float] = {}
    for entry in detected_raw:
        if not isinstance(entry, dict):
            raise EntryError("an emotions.detected entry is not an object")
        name = _label(entry.get("emotion"), "emotions.detected.emotion")
        if name not in labels:
            raise EntryError(f"emotion {name!r} is not one of the {model} emotions")
        score = _number(entry.get("score"), 0.0, 1.0, "emotions.detected.score")
        best[name] = max(score, best.get(name, 0.0))
    detected = sorted(best.items(), key=lambda pair: (-pair[1], labels.index(pair[0])))[:MAX_LIST]
    primary = value.get("primary")
    if primary is not None:
        primary = _label(primary, "emotions.primary")
        if primary not in labels:
            raise EntryError(f"emotions.primary {primary!r} is not one of the {model} emotions")
    elif detected:
        primary = detected[0][0]
    primary_score = value.get("primary_score")
    if primary_score is None:
        primary_score = dict(detected).get(primary, 0.0) if primary else 0.0
    primary_score = _number(primary_score, 0.0, 1.0, "emotions.primary_score")
    if primary and primary not in best:
        detected = sorted([*detected, (primary, primary_score)], key=lambda pair: -pair[1])[:MAX_LIST]
    return {
        "model": model,
        "primary": primary,
        "primary_score": primary_score if primary else 0.0,
        "detected": [{"emotion": name, "score": score} for name, score in detected],
    }


def validate_summary(value: dict) -> dict[str, Any]:
    """``analysis.summary`` without ``generated_at``."""
    text = value.get("text")
    if not isinstance(text, str):
        raise EntryError("summary.text is not a string")
    return {"text": _clean(text), "key_points": _strings(value.get("key_points"), "summary.key_points")}


def validate_insights(value: dict) -> dict[str, Any]:
    """``analysis.insights`` without ``extracted_at``."""
    topics_raw = value.get("topics")
    if topics_raw is None:
        topics_raw = []
    if not isinstance(topics_raw, list):
        raise EntryError("insights.topics is not a list")
    topics = []
    for entry in topics_raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("topic"), str):
            raise EntryError("an insights.topics entry has no topic string")
        topic = _clean(entry["topic"])
        if topic:
            topics.append(
                {"topic": topic, "sentiment": _number(entry.get("sentiment"), -1.0, 1.0, "topic sentiment")}
            )
    return {
        "pros": _strings(value.get("pros"), "insights.pros"),
        "cons": _strings(value.get("cons"), "insights.cons"),
        "topics": topics[:MAX_LIST],
    }


def _label(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise EntryError(f"{what} is not a string")
    return "_".join(value.strip().lower().replace("-", " ").split())


def _number(value: Any, low: float, high: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EntryError(f"{what} is not a number")
    if not low <= value <= high:
        raise EntryError(f"{what} {value} is outside {low:g}..{high:g}")
    return round(float(value), 4)


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_STRING]


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EntryError(f"{what} is not a list of strings")
    return [s for s in (_clean(v) for v in value) if s][:MAX_LIST]
