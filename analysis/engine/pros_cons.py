"""Pros and cons of a text: its clearly positive and clearly negative clauses.

The text is split into sentences, and sentences into clauses at semicolons and contrastive
connectors ("great screen, but the battery is weak" gives two clauses). Each clause is scored
with VADER's compound score:

- pro: compound >= :data:`PRO_THRESHOLD` (0.3)
- con: compound <= :data:`CON_THRESHOLD` (-0.3)

Clauses of fewer than :data:`MIN_WORDS` words are skipped; longer ones are cut after
:data:`MAX_WORDS` words. Duplicates (same words, or a clause whose keywords are all in a point
already kept) are dropped. The strongest come first; at most :data:`MAX_POINTS` of each. Every
point is an exact slice of the text (offsets kept), so it can be quoted as it was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.engine import sentiment
from analysis.engine.text import clause_spans, content_words, sentence_spans, shorten, word_count

PRO_THRESHOLD = 0.3
CON_THRESHOLD = -0.3
MIN_WORDS = 2
MAX_WORDS = 25
MAX_POINTS = 5


@dataclass(frozen=True)
class Point:
    """One pro or con: the clause ``text[start:end]`` and its compound score."""

    start: int
    end: int
    text: str
    score: float


def scored_clauses(
    text: str,
    sentences: list[tuple[int, int]] | None = None,
    sentence_scores: list[float] | None = None,
) -> list[Point]:
    """Every clause of ``text`` with its VADER compound score. A sentence that is one clause
    reuses its score from ``sentence_scores`` when given."""
    if sentences is None:
        sentences = sentence_spans(text)
    points = []
    for index, sentence in enumerate(sentences):
        clauses = clause_spans(text, sentence)
        for start, end in clauses:
            if word_count(text[start:end]) < MIN_WORDS:
                continue
            if len(clauses) == 1 and sentence_scores is not None:
                score = sentence_scores[index]
            else:
                score = sentiment.compound(text[start:end])
            points.append(Point(start, end, text[start:end], score))
    return points


def _select(text: str, candidates: list[Point], limit: int) -> list[Point]:
    kept: list[Point] = []
    seen_words: list[frozenset[str]] = []
    seen_texts: set[str] = set()
    for point in candidates:
        start, end = shorten(text, point.start, point.end, MAX_WORDS)
        clipped = text[start:end]
        normal = " ".join(clipped.lower().split())
        words = frozenset(content_words(clipped))
        if normal in seen_texts or (words and any(words <= other for other in seen_words)):
            continue
        seen_texts.add(normal)
        seen_words.append(words)
        kept.append(Point(start, end, clipped, point.score))
        if len(kept) >= limit:
            break
    return kept


def extract_pros_cons(
    text: str,
    sentences: list[tuple[int, int]] | None = None,
    sentence_scores: list[float] | None = None,
    limit: int = MAX_POINTS,
) -> tuple[list[Point], list[Point]]:
    """``(pros, cons)`` of ``text`` as :class:`Point` lists, strongest first."""
    clauses = scored_clauses(text, sentences, sentence_scores)
    pros = sorted((p for p in clauses if p.score >= PRO_THRESHOLD), key=lambda p: (-p.score, p.start))
    cons = sorted((p for p in clauses if p.score <= CON_THRESHOLD), key=lambda p: (p.score, p.start))
    return _select(text, pros, limit), _select(text, cons, limit)
