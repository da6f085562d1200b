"""Extractive summary of one text: its most representative sentences plus key points.

Representative sentences: each sentence is scored by how common its content words are in the
whole text (the sum of their frequencies, divided by the square root of the sentence's number
of content words so long sentences do not win by length alone), with a 10% bonus for the first
sentence, where reviewers usually state their verdict. The best :data:`SUMMARY_SENTENCES` are
kept in their original order; a text of that many sentences or fewer is its own summary. The
summary is cut at a word boundary after :data:`MAX_SUMMARY_CHARS` characters ("…" marks a cut).

Key points: the two strongest pros and the two strongest cons; when there are fewer than two,
the next most representative sentences fill in, up to :data:`MAX_KEY_POINTS`.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from analysis.engine.pros_cons import Point
from analysis.engine.text import content_words

SUMMARY_SENTENCES = 2
MAX_SUMMARY_CHARS = 400
MAX_KEY_POINTS = 4
FIRST_SENTENCE_BONUS = 1.1


def rank_sentences(text: str, sentences: list[tuple[int, int]]) -> list[int]:
    """Indexes of ``sentences`` from most to least representative of ``text``."""
    words_per_sentence = [content_words(text[s:e]) for s, e in sentences]
    frequency = Counter(w for words in words_per_sentence for w in words)

    def score(index: int) -> float:
        words = set(words_per_sentence[index])
        if not words:
            return 0.0
        value = sum(frequency[w] for w in words) / math.sqrt(len(words))
        return value * FIRST_SENTENCE_BONUS if index == 0 else value

    return sorted(range(len(sentences)), key=lambda i: (-score(i), i))


def _clip(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value[:limit].rsplit(None, 1)[0] if " " in value[:limit] else value[:limit]
    return cut.rstrip(" ,;:-") + "…"


def summary_block(
    text: str,
    sentences: list[tuple[int, int]],
    pros: list[Point],
    cons: list[Point],
    generated_at: datetime,
) -> dict:
    """``analysis.summary`` for ``text`` as the schema defines it."""
    ranked = rank_sentences(text, sentences)
    chosen = sorted(ranked[:SUMMARY_SENTENCES])
    summary = " ".join(text[sentences[i][0] : sentences[i][1]] for i in chosen)
    key_points = [p.text for p in pros[:2]] + [p.text for p in cons[:2]]
    if len(key_points) < 2:
        for index in ranked[SUMMARY_SENTENCES:]:
            if len(key_points) >= MAX_KEY_POINTS:
                break
            start, end = sentences[index]
            key_points.append(_clip(text[start:end], MAX_SUMMARY_CHARS // 2))
    return {
        "text": _clip(summary, MAX_SUMMARY_CHARS),
        "key_points": key_points[:MAX_KEY_POINTS],
        "generated_at": generated_at,
    }
