"""Aspects: what people talk about (noun phrases), how they judge each, with quotes as evidence.

This replaces keyword topics and clause-level pros and cons. The parts:

- :mod:`.noise`: links, markup, BBCode, file names, user names and quoted lines are masked
  before anything is read, so they never become aspects or sit inside quotes;
- :mod:`.lexicon`: stop words, whole-thing and generic words per language, grouping keys
  (English noun lemmas, Snowball stems elsewhere: "puzzle" and "puzzles" are one aspect, shown
  by a form that occurs in the texts);
- :mod:`.mentions`: the noun phrases of one text and the sentiment of the sentence parts that
  mention them, from a pluggable *sentence scorer*;
- :mod:`.guards`: offensive sentences (never quoted) and sarcastic ones (never praise);
- :mod:`.summary`: aspects across a sample of results, the pros and cons rule
  (:func:`~.summary.verdict`), trends and quotes.

:func:`default_scorer` is the sentence scorer every caller uses unless told otherwise: the one
place to switch when another sentence model is adopted.
"""

from __future__ import annotations

from analysis.engine.aspects.lexicon import language_of, supported
from analysis.engine.aspects.mentions import (
    SentenceScorer,
    TextMentions,
    find_mentions,
    score_batch,
    vader_scorer,
)
from analysis.engine.aspects.summary import (
    CLEAR_MAJORITY,
    MIN_JUDGED_RESULTS,
    AspectRow,
    label,
    near_duplicate,
    quote_span,
    resolve,
    summarize_aspects,
    verdict,
)

__all__ = [
    "CLEAR_MAJORITY",
    "MIN_JUDGED_RESULTS",
    "AspectRow",
    "SentenceScorer",
    "TextMentions",
    "default_scorer",
    "find_mentions",
    "label",
    "language_of",
    "near_duplicate",
    "quote_span",
    "resolve",
    "score_batch",
    "summarize_aspects",
    "supported",
    "text_aspects",
    "vader_scorer",
    "verdict",
]


def default_scorer() -> SentenceScorer:
    """The sentence scorer used for aspects when none is given."""
    return vader_scorer


def text_aspects(
    text: str, language: str | None, scorer: SentenceScorer | None = None, found: TextMentions | None = None
) -> list[dict]:
    """The aspects of one text as ``analysis.insights.topics`` stores them:
    ``[{"topic", "sentiment"}]`` in order of first mention, ``sentiment`` the mean score of the
    sentences that mention it (None when the scorer cannot judge the language). Empty for a
    language without aspects. ``found`` may carry the text's scored mentions already."""
    aspect_language = language_of(language)
    if aspect_language is None or not (text or "").strip():
        return []
    if found is None:
        found = find_mentions(text, aspect_language, scorer or default_scorer())
    (pairs,) = resolve([found], corpus=False)
    forms: dict[str, str] = {}
    scores: dict[str, list[float]] = {}
    for key, mention in pairs:
        written = " ".join(text[mention.start : mention.end].split())
        # As on the dashboard: lower case, except acronyms ("UI") and German nouns.
        keep = aspect_language == "de" or written.removesuffix("s").isupper()
        forms.setdefault(key, written if keep else written.lower())
        scores.setdefault(key, [])
        if mention.score is not None:
            scores[key].append(mention.score)
    return [
        {"topic": forms[key], "sentiment": round(sum(v) / len(v), 4) if (v := scores[key]) else None}
        for key in forms
    ]
