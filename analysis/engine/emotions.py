"""Emotions of a text from a word-emotion lexicon.

Lexicon: the NRC Word-Emotion Association Lexicon (EmoLex; Mohammad & Turney, "Crowdsourcing a
Word-Emotion Association Lexicon", Computational Intelligence 29(3), 2013), as shipped in the
``NRCLex`` package's ``nrclex/data/nrc_en.json`` (loaded from the installed package; nothing is
downloaded). It tags words with Plutchik's eight emotions. The package's code is MIT; the
lexicon's terms are NRC's (free for research and non-commercial use, a licence from NRC for
commercial use). ``_ADDITIONS`` holds a handful of common emotion words that the packaged
lexicon lacks ("sad", "scared", "amazing"), written for this project.

Models
    plutchik: anger, anticipation, disgust, fear, joy, sadness, surprise, trust.
    ekman:    anger, disgust, fear, joy, sadness, surprise (Plutchik's eight minus trust and
              anticipation; the lexicon's tags map one to one).
    goemotions: 27 fine-grained emotions that a lexicon cannot give; the local engine returns no
              emotions for it (:data:`GOEMOTIONS_UNSUPPORTED` says why).

Scoring
    Each emotion word found adds 1 to each emotion the lexicon tags it with. A word is looked up
    as written and then through a few crude inflection rules ("loved" -> "love"). A word within
    three words after a negator ("not", "never", "don't", VADER's list) in the same clause is
    skipped: "not happy" is not joy (nor is it taken as sadness). An emotion's score is its
    share of all counts (0..1, the detected scores add up to 1); ``detected`` lists every
    emotion with a score above 0, highest first; ``primary`` is the first of them. Ties are
    broken in the fixed order of :data:`TIE_BREAK_ORDER` (the lexicon tags "angry" and "furious"
    with both anger and disgust; anger comes first). No emotion word: ``primary`` None,
    ``primary_score`` 0.0, ``detected`` [].
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from functools import lru_cache
from importlib import resources

from vaderSentiment.vaderSentiment import NEGATE

from analysis.engine.text import tokens

PLUTCHIK = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
EKMAN = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
MODELS = {"plutchik": PLUTCHIK, "ekman": EKMAN}
TIE_BREAK_ORDER = ("joy", "anger", "sadness", "fear", "surprise", "disgust", "trust", "anticipation")

GOEMOTIONS_UNSUPPORTED = (
    "emotion_model 'goemotions' has 27 emotions that need a trained classifier; the local engine "
    "only has the Ekman and Plutchik lexicon, so it returns no emotions: use the LLM engine."
)

NEGATION_WINDOW = 3
_NEGATORS = frozenset(NEGATE) | {"no", "never", "hardly", "barely", "neither", "nor", "without"}
_CLAUSE_BREAK_RE = re.compile(r"[,.;:!?\n]+|\bbut\b", re.IGNORECASE)

# Common emotion words missing from the packaged lexicon.
_ADDITIONS = {
    "sad": ("sadness",),
    "heartbroken": ("sadness",),
    "scared": ("fear",),
    "terrified": ("fear",),
    "annoyed": ("anger",),
    "annoying": ("anger",),
    "frustrating": ("anger",),
    "disgusted": ("disgust",),
    "thrilled": ("joy",),
    "amazing": ("joy", "surprise"),
    "awesome": ("joy",),
    "fantastic": ("joy",),
    "shocked": ("surprise",),
    "amazed": ("surprise",),
    "astonished": ("surprise",),
    "wow": ("surprise",),
}
_TIE_RANK = {name: i for i, name in enumerate(TIE_BREAK_ORDER)}


@lru_cache(maxsize=1)
def lexicon() -> dict[str, frozenset[str]]:
    """Word -> Plutchik emotions, from the NRCLex package's copy of EmoLex plus the additions.
    The lexicon's two sentiment tags (positive/negative) are dropped: VADER does sentiment."""
    source = resources.files("nrclex.data").joinpath("nrc_en.json")
    raw = json.loads(source.read_text(encoding="utf-8"))
    table = {}
    for word, tags in raw.items():
        emotions = frozenset(t for t in tags if t in PLUTCHIK)
        if emotions:
            table[word.lower()] = emotions
    for word, emotions in _ADDITIONS.items():
        table[word] = table.get(word, frozenset()) | frozenset(emotions)
    return table


@lru_cache(maxsize=65536)
def lookup(word: str) -> frozenset[str]:
    """Plutchik emotions of ``word`` (lower-case), trying a few inflection rules when the word
    itself is not in the lexicon."""
    table = lexicon()
    if word in table:
        return table[word]
    for candidate in _inflection_candidates(word):
        if candidate in table:
            return table[candidate]
    return frozenset()


def _inflection_candidates(word: str) -> list[str]:
    candidates = []
    if word.endswith("'s"):
        word = word[:-2]
        candidates.append(word)
    if len(word) > 4:
        if word.endswith("ies"):
            candidates.append(word[:-3] + "y")
        if word.endswith("es"):
            candidates.append(word[:-2])
        if word.endswith("s"):
            candidates.append(word[:-1])
        if word.endswith("ed"):
            candidates += [word[:-1], word[:-2]]
            if len(word) > 5 and word[-3] == word[-4]:  # "stopped" -> "stop"
                candidates.append(word[:-3])
        if word.endswith("ing"):
            candidates += [word[:-3], word[:-3] + "e"]
        if word.endswith("ly"):
            candidates.append(word[:-2])
            if word.endswith("ily"):
                candidates.append(word[:-3] + "y")
    return candidates


def _is_negator(token: str) -> bool:
    return token in _NEGATORS or token.endswith("n't")


def emotion_counts(text: str) -> Counter:
    """Plutchik emotion -> number of (non-negated) emotion words in ``text`` tagged with it."""
    counts: Counter = Counter()
    for chunk in _CLAUSE_BREAK_RE.split(text or ""):
        words = tokens(chunk)
        for i, word in enumerate(words):
            emotions = lookup(word)
            if not emotions:
                continue
            if any(_is_negator(w) for w in words[max(0, i - NEGATION_WINDOW) : i]):
                continue
            counts.update(emotions)
    return counts


def emotions_block(text: str, model: str, analyzed_at: datetime) -> dict | None:
    """``analysis.emotions`` for ``text`` with the ``ekman`` or ``plutchik`` model; None for a
    model the lexicon cannot serve (goemotions)."""
    names = MODELS.get(model)
    if names is None:
        return None
    counts = emotion_counts(text)
    total = sum(counts[name] for name in names)
    detected = []
    if total:
        ranked = sorted((name for name in names if counts[name]), key=lambda n: (-counts[n], _TIE_RANK[n]))
        detected = [{"emotion": name, "score": round(counts[name] / total, 4)} for name in ranked]
    return {
        "model": model,
        "primary": detected[0]["emotion"] if detected else None,
        "primary_score": detected[0]["score"] if detected else 0.0,
        "detected": detected,
        "analyzed_at": analyzed_at,
    }
