"""Pros and cons of one text: its clearly positive and clearly negative clauses that talk about
something (an aspect, :mod:`analysis.engine.aspects`).

The text is split into sentences, sentences into parts at semicolons and contrastive connectors
("great screen, but the battery is weak" gives two), and parts into clauses at commas, as
:mod:`analysis.engine.aspects.mentions` does; each clause that names an aspect is scored by the
aspects' sentence scorer (VADER by default, with an aspect's own name read as neutral):

- pro: compound >= :data:`PRO_THRESHOLD` (0.3)
- con: compound <= :data:`CON_THRESHOLD` (-0.3)

A clause is never a point when it holds noise (a link, markup, a user name: see
:mod:`analysis.engine.aspects.noise`), when its sentence is offensive (swearing, a slur, a
personal attack) or sarcastic (:mod:`analysis.engine.aspects.guards`: a sarcastic sentence is
never praise, and is not quoted as criticism either); a clause that names no aspect ("Love
it!", "Would recommend") is never one. Clauses of fewer than :data:`MIN_WORDS` words are skipped; longer ones are
cut after :data:`MAX_WORDS` words. Duplicates (same words, or a clause whose words are all in a
point already kept) are dropped. The strongest come first; at most :data:`MAX_POINTS` of each.
Every point is an exact slice of the text (offsets kept), so it can be quoted as it was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.engine.aspects.mentions import TextMentions, find_mentions, vader_scorer
from analysis.engine.text import content_words, shorten, word_count

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


def scored_clauses(text: str, found: TextMentions) -> list[Point]:
    """Every clause of ``text`` that names an aspect, with its score (``found``: the text's
    scored aspect mentions)."""
    points = []
    for (start, end), value in sorted(found.clause_scores.items()):
        if value is None or word_count(text[start:end]) < MIN_WORDS:
            continue
        points.append(Point(start, end, text[start:end], value))
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
    text: str, found: TextMentions | None = None, limit: int = MAX_POINTS
) -> tuple[list[Point], list[Point]]:
    """``(pros, cons)`` of an English ``text`` as :class:`Point` lists, strongest first.
    ``found`` may carry the text's scored aspect mentions (:func:`find_mentions`) when the
    caller has them already."""
    if found is None:
        found = find_mentions(text, "en", vader_scorer)
    flagged = [found.sentences[i] for i in found.offensive | found.sarcastic]

    def usable(point: Point) -> bool:
        if found.masked[point.start : point.end] != point.text:
            return False
        return not any(s < point.end and point.start < e for s, e in flagged)

    clauses = [p for p in scored_clauses(text, found) if usable(p)]
    pros = sorted((p for p in clauses if p.score >= PRO_THRESHOLD), key=lambda p: (-p.score, p.start))
    cons = sorted((p for p in clauses if p.score <= CON_THRESHOLD), key=lambda p: (p.score, p.start))
    return _select(text, pros, limit), _select(text, cons, limit)
