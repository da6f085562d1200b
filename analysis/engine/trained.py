"""Trained local models: sentiment for eight languages and GoEmotions emotions for English.

Plain numpy at inference. The artifacts in ``analysis/engine/models/`` are built by
``manage.py train_models`` (:mod:`analysis.training`) and hold only arrays (``.npz`` read with
``allow_pickle=False``) and JSON: nothing in them executes on load. They are read once per
process, on first use, and kept in a module-level cache.

Features (identical at training and inference: the trainer calls :func:`ngram_keys`)
    The text is normalised (:func:`normalise`: HTML entities decoded, lower-cased, links become
    ``http``, user names ``@user``, a character repeated more than three times kept three times)
    and split into tokens (runs of word characters, runs of other non-space characters: ``!!!``,
    ``:)``, an emoji). Features are word unigrams and bigrams and character 3- to 5-grams of
    ``" tok1 tok2 ... "`` (adding 2-grams cost a quarter more time for no held-out gain). Each
    n-gram is hashed to 32 bits with a polynomial hash computed for a whole batch at once in
    numpy (prefix hashes modulo 2**64, so every span's hash is two array operations) and looked
    up in the model's key table (:class:`KeyIndex`); n-grams the model does not know are
    dropped. Each known occurrence adds ``idf / norm`` to its feature, the norm being the square
    root of the sum of ``idf**2`` over the text's known occurrences (no per-text sort is needed).

Models
    Sentiment: a linear model per language (``supported_languages()``), three classes, with a
    temperature fitted on held-out training data so that ``confidence`` is a probability. English
    is two heads: neutral vs polar, then positive vs negative among polar texts (so that the
    binary Amazon reviews teach polarity without teaching "never neutral"). VADER's four scores
    are extra features where they helped on held-out training data (ar, de, en, es, fr, hi).
    Emotions: one-vs-rest over the 28 GoEmotions labels (English only), each label and each
    Ekman group with a threshold tuned on held-out training data.

A language without a model is never mapped to another one: :func:`sentiment` raises
:class:`UnsupportedLanguage` and :func:`sentiment_for` returns an :class:`Unsupported` marker.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.engine.sentiment import polarity

MODELS_DIR = Path(__file__).resolve().parent / "models"
MANIFEST = "manifest.json"

LABELS3 = ("negative", "neutral", "positive")
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 4, 5)
FEATURES = {"word_ngrams": list(WORD_NGRAMS), "char_ngrams": list(CHAR_NGRAMS)}

# ---------------------------------------------------------------------------------------------
# Text normalisation and hashed n-grams
# ---------------------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+|\bhttps?\b", re.IGNORECASE)
_USER = re.compile(r"@\w+")
_REPEAT = re.compile(r"(.)\1{3,}")
_TOKEN = re.compile(r"\w+|[^\w\s]+")


def normalise(text: str) -> str:
    """The text as the models see it (see the module docstring)."""
    if "&" in text:
        text = html.unescape(text)
    text = text.lower()
    if "http" in text or "www." in text:
        text = _URL.sub(" http ", text)
    if "@" in text:
        text = _USER.sub("@user", text)
    return _REPEAT.sub(r"\1\1\1", text)


def tokens(text: str) -> list[str]:
    """Tokens of a normalised text."""
    return _TOKEN.findall(text)


_P = np.uint64(0x100000001B3)  # odd, so it has an inverse modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_SALT_CHAR = np.uint64(0x9E3779B97F4A7C15)
_SALT_WORD = np.uint64(0xC2B2AE3D27D4EB4F)
_powers_lock = threading.Lock()
_powers: dict[str, np.ndarray] = {}


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``P**k`` and ``P**-k`` modulo 2**64 for k < n (uint64 arithmetic wraps)."""
    with _powers_lock:
        if "p" not in _powers or len(_powers["p"]) < n:
            size = max(n, 2 * len(_powers.get("p", ())), 4096)
            p = np.full(size, _P, dtype=np.uint64)
            p[0] = 1
            q = np.full(size, _P_INV, dtype=np.uint64)
            q[0] = 1
            _powers["p"], _powers["q"] = np.cumprod(p, dtype=np.uint64), np.cumprod(q, dtype=np.uint64)
        return _powers["p"], _powers["q"]


def _finish(h: np.ndarray, salt: np.uint64) -> np.ndarray:
    """Mix a 64-bit span hash with a salt (one per feature kind) into a 32-bit key."""
    h = h ^ salt
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX
    h = h ^ (h >> np.uint64(29))
    return (h >> np.uint64(32)).astype(np.uint32)


def ngram_keys(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every n-gram occurrence of ``texts`` as (text index int64, key uint32) arrays, in blocks
    (one per n-gram kind) whose start offsets are the third array; rows ascend within a block."""
    streams = [" " + " ".join(tokens(normalise(t or ""))) + " " for t in texts]
    lengths = np.fromiter((len(s) for s in streams), dtype=np.int64, count=len(streams))
    codes = np.frombuffer("".join(streams).encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    n = len(codes)
    owner = np.repeat(np.arange(len(streams), dtype=np.int64), lengths)
    pw, pinv = _power_tables(n + 1)
    # prefix[i] = hash of codes[:i]; span (i, j) = prefix[j] - prefix[i] * P**(j - i).
    prefix = np.zeros(n + 1, dtype=np.uint64)
    prefix[1:] = np.cumsum((codes + np.uint64(1)) * pinv[:n], dtype=np.uint64) * pw[:n]
    rows, keys = [], []
    for size in CHAR_NGRAMS:
        left = np.arange(max(n - size + 1, 0))
        left = left[owner[left] == owner[left + size - 1]]
        h = prefix[left + size] - prefix[left] * pw[size]
        rows.append(owner[left])
        keys.append(_finish(h + np.uint64(size), _SALT_CHAR))
    spaces = np.flatnonzero(codes == 32)
    space_owner = owner[spaces]
    for size in WORD_NGRAMS:
        a, b = spaces[:-size], spaces[size:]
        same = space_owner[:-size] == space_owner[size:]
        a, b = a[same], b[same] + 1
        h = prefix[b] - prefix[a] * pw[b - a]
        rows.append(space_owner[:-size][same])
        keys.append(_finish(h + np.uint64(size), _SALT_WORD))
    starts = np.cumsum([0] + [len(r) for r in rows[:-1]])
    return np.concatenate(rows), np.concatenate(keys), starts


class KeyIndex:
    """Column lookup of n-gram keys: an open-addressing hash table built from the sorted key
    array (a binary search per n-gram costs four times as much on a large vocabulary)."""

    def __init__(self, keys: np.ndarray):
        self.size = 1 << max(10, int(2 * len(keys) - 1).bit_length())
        self.mask = np.uint32(self.size - 1)
        self.slot_keys = np.zeros(self.size, dtype=np.uint32)
        self.slot_columns = np.full(self.size, -1, dtype=np.int32)
        pending = np.arange(len(keys))
        probe = np.uint32(0)
        while len(pending):
            slot = (keys[pending] + probe) & self.mask
            free = self.slot_columns[slot] == -1
            slots, first = np.unique(slot[free], return_index=True)
            placed = pending[free][first]
            self.slot_keys[slots], self.slot_columns[slots] = keys[placed], placed
            pending = np.setdiff1d(pending, placed, assume_unique=True)
            probe += np.uint32(1)
        self.probes = int(probe)

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """The column of each key, -1 for a key the vocabulary does not have."""
        out = np.full(len(keys), -1, dtype=np.int64)
        active = np.arange(len(keys))
        for probe in range(self.probes):
            slot = (keys[active] + np.uint32(probe)) & self.mask
            column = self.slot_columns[slot]
            hit = (column >= 0) & (self.slot_keys[slot] == keys[active])
            out[active[hit]] = column[hit]
            active = active[(column >= 0) & ~hit]
            if not len(active):
                break
        return out


def feature_matrix(
    rows: np.ndarray, keys: np.ndarray, starts: np.ndarray, index: KeyIndex, idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features as (row, column, value, block starts) arrays, one entry per known n-gram
    occurrence (a repeated n-gram adds up): value = idf / the text's norm, the norm being the
    square root of the sum of idf**2 over the text's known occurrences."""
    columns = index.columns(keys)
    known = columns >= 0
    kept = np.concatenate([[0], np.cumsum(known)])
    rows, columns = rows[known], columns[known]
    values = idf[columns].astype(np.float64)
    norms = np.bincount(rows, weights=values * values)
    values = values / np.sqrt(norms[rows])
    return rows, columns, values.astype(np.float32), kept[starts]


def linear_scores(texts: list[str], index: KeyIndex, idf: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``X @ coef`` for the n-gram features of ``texts`` (rows without a known n-gram are 0)."""
    return scores_and_coverage(texts, index, idf, coef)[0]


def scores_and_coverage(
    texts: list[str], index: KeyIndex, idf: np.ndarray, coef: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`linear_scores`, and per text the share of its n-gram occurrences the model knows."""
    all_rows, keys, all_starts = _keys_of(texts)
    rows, columns, values, starts = feature_matrix(all_rows, keys, all_starts, index, idf)
    out = np.zeros((len(texts), coef.shape[1]), dtype=np.float64)
    bounds = [*starts.tolist(), len(rows)]
    for begin, end in itertools.pairwise(bounds):
        if begin == end:
            continue
        r = rows[begin:end]
        contributions = coef[columns[begin:end]] * values[begin:end, None]
        first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        out[r[first]] += np.add.reduceat(contributions, first, axis=0)
    total = np.bincount(all_rows, minlength=len(texts))
    known = np.bincount(rows, minlength=len(texts))
    return out, known / np.maximum(total, 1)


_memo = threading.local()


def _keys_of(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`ngram_keys`, remembering the last batch of this thread: the sentiment and emotion
    models of one batch share the work."""
    texts = list(texts)
    last = getattr(_memo, "last", None)
    if last is not None and last[0] == texts:
        return last[1]
    result = ngram_keys(texts)
    _memo.last = (texts, result)
    return result


VADER_FEATURES = ("vader_compound", "vader_pos", "vader_neg", "vader_neu")


def vader_features(texts: list[str], raw: list[dict] | None = None) -> np.ndarray:
    """VADER's compound, pos, neg and neu scores per text (``raw``: already computed scores)."""
    if raw is None:
        raw = [polarity(t) for t in texts]
    return np.array([[s["compound"], s["pos"], s["neg"], s["neu"]] for s in raw], dtype=np.float32).reshape(
        len(texts), 4
    )


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def hierarchical_probabilities(logits: np.ndarray, t_neutral: float, t_polarity: float) -> np.ndarray:
    """(negative, neutral, positive) probabilities from the neutral-vs-polar and
    positive-given-polar logits, each divided by its temperature."""
    neutral = sigmoid(logits[:, 0] / t_neutral)
    positive = sigmoid(logits[:, 1] / t_polarity)
    return np.stack([(1 - neutral) * (1 - positive), neutral, (1 - neutral) * positive], axis=1)


# ---------------------------------------------------------------------------------------------
# Models and the public API
# ---------------------------------------------------------------------------------------------

VERY_THRESHOLD = 0.7
"""5-class labels: a positive (negative) text whose score P(positive) - P(negative) is at least
0.7 (at most -0.7) is very_positive (very_negative); the score of a "very" text therefore needs
P(positive) >= 0.7, which temperature scaling makes an honest 70 %+ chance."""

NOT_SUPPORTED = "not analysed locally: {language} is not supported"
TOO_LITTLE_KNOWN = "not analysed locally: the {language} model knows too little of this text"
MIN_COVERAGE = 0.2
"""Below this share of known n-grams :func:`sentiment_for` abstains: on the UMSAB validation
tweets 99 % of texts reach 0.44 with their own language's model, while text in another script or
language mostly stays under 0.2 (a Chinese review scores 0.0 with the English model, which
would otherwise call it neutral from its prior alone)."""


class UnsupportedLanguage(ValueError):
    """No local model covers this language (the caller abstains: nothing is guessed)."""

    def __init__(self, language: str):
        self.language = language
        super().__init__(NOT_SUPPORTED.format(language=language or "und"))


class ModelUnavailable(RuntimeError):
    """The artifact folder has no such model (trained without its source)."""


@dataclass(frozen=True)
class Unsupported:
    """The marker :func:`sentiment_for` returns instead of a guess. ``cause`` is "language" (no
    model for the language) or "coverage" (the model knows too little of the text)."""

    language: str
    reason: str
    cause: str = "language"


@dataclass(frozen=True)
class SentimentPrediction:
    """One text's sentiment. ``probabilities`` has keys negative, neutral, positive and sums to 1;
    ``label3`` is the most probable of them and ``confidence`` its (calibrated) probability;
    ``score`` = P(positive) - P(negative), in -1..1; ``label5`` adds very_positive and
    very_negative (:data:`VERY_THRESHOLD`). ``coverage``: the share of the text's n-grams the
    model knows (near 0: another language or script than the model's; see
    :data:`MIN_COVERAGE`)."""

    label3: str
    label5: str
    score: float
    confidence: float
    probabilities: dict[str, float]
    language: str
    model: str
    coverage: float = 1.0


@dataclass(frozen=True)
class EmotionPrediction:
    """One text's emotions (English). ``probabilities``: the 28 GoEmotions labels (independent
    one-vs-rest probabilities, they do not sum to 1); ``detected``: labels at or above their tuned
    threshold, most probable first; ``primary``: the first of them, or None. ``ekman``: anger,
    disgust, fear, joy, sadness, surprise and neutral, each the highest probability of its
    member labels; ``ekman_detected`` / ``ekman_primary`` likewise with per-group thresholds."""

    probabilities: dict[str, float]
    detected: list[str]
    primary: str | None
    ekman: dict[str, float]
    ekman_detected: list[str]
    ekman_primary: str | None
    model: str
    coverage: float = 1.0


@dataclass
class _Model:
    name: str
    entry: dict
    keys: np.ndarray
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    index: KeyIndex = field(init=False)

    def __post_init__(self) -> None:
        self.index = KeyIndex(self.keys)

    def logits(self, texts: list[str], vader: list[dict] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Logits per text, and the share of each text's n-grams the model knows."""
        width = len(self.keys)
        z, coverage = scores_and_coverage(texts, self.index, self.idf, self.coef[:width])
        z += self.intercept
        if self.entry.get("extra_features"):
            extra = vader_features(texts, vader) * np.float32(self.entry["extra_scale"])
            z += extra @ self.coef[width:]
        return z, coverage


_lock = threading.Lock()
_cache: dict[str, object] = {}


def _manifest(models_dir: Path | None = None) -> dict:
    folder = Path(models_dir) if models_dir else MODELS_DIR
    key = f"manifest:{folder}"
    if key not in _cache:
        path = folder / MANIFEST
        _cache[key] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"models": {}}
    return _cache[key]  # type: ignore[return-value]


def _model(name: str, models_dir: Path | None = None) -> _Model:
    folder = Path(models_dir) if models_dir else MODELS_DIR
    key = f"model:{folder}:{name}"
    cached = _cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    with _lock:
        if key not in _cache:
            manifest = _manifest(folder)
            entry = manifest["models"].get(name)
            if entry is None:
                raise ModelUnavailable(f"no local model {name!r} (train it with manage.py train_models)")
            if manifest.get("features") != FEATURES:
                # Keys of other n-gram kinds would silently miss every column: refuse instead.
                raise ModelUnavailable(f"{folder.name}/ was trained with other features: retrain the models")
            started = time.perf_counter()
            with np.load(folder / entry["file"], allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            model = _Model(
                name=name,
                entry=entry,
                keys=arrays.pop("keys"),
                idf=arrays.pop("idf"),
                coef=arrays.pop("coef"),
                intercept=arrays.pop("intercept").astype(np.float64),
                extra=arrays,
            )
            _load_seconds[name] = time.perf_counter() - started
            _cache[key] = model
    return _cache[key]  # type: ignore[return-value]


_load_seconds: dict[str, float] = {}


def supported_languages(models_dir: Path | None = None) -> list[str]:
    """ISO 639-1 codes of the languages with a local sentiment model, sorted."""
    models = _manifest(models_dir)["models"]
    return sorted(e["language"] for n, e in models.items() if n.startswith("sentiment-"))


def is_supported(language: str | None, models_dir: Path | None = None) -> bool:
    """Whether :func:`sentiment` has a model for ``language`` ("und" and None never do)."""
    return bool(language) and language in supported_languages(models_dir)


def emotions_supported(models_dir: Path | None = None) -> bool:
    """Whether the GoEmotions model was trained (it is English only)."""
    return "emotions-en" in _manifest(models_dir)["models"]


def sentiment_probabilities(
    texts: list[str],
    language: str,
    *,
    calibrated: bool = True,
    vader: list[dict] | None = None,
    models_dir: Path | None = None,
) -> np.ndarray:
    """(negative, neutral, positive) probabilities, one row per text. ``calibrated=False`` gives
    the uncalibrated model (temperature 1), for the benchmarks' calibration figures."""
    return _sentiment_arrays(texts, language, calibrated, vader, models_dir)[0]


def _sentiment_arrays(
    texts: list[str], language: str, calibrated: bool, vader: list[dict] | None, models_dir: Path | None
) -> tuple[np.ndarray, np.ndarray]:
    if not is_supported(language, models_dir):
        raise UnsupportedLanguage(language)
    model = _model(f"sentiment-{language}", models_dir)
    if not texts:
        return np.zeros((0, 3)), np.zeros(0)
    z, coverage = model.logits(texts, vader)
    t = model.entry["temperature"]
    if model.entry["kind"] == "sentiment-hierarchical":
        return hierarchical_probabilities(z, *(t if calibrated else (1.0, 1.0))), coverage
    return softmax(z / (t if calibrated else 1.0)), coverage


def sentiment(
    texts: list[str],
    language: str,
    *,
    vader: list[dict] | None = None,
    models_dir: Path | None = None,
) -> list[SentimentPrediction]:
    """Sentiment of ``texts`` in ``language`` (an ISO 639-1 code), vectorised over the batch.

    Raises :class:`UnsupportedLanguage` when no model covers ``language`` (never falls back to
    another language's model). ``vader`` may carry VADER's ``polarity_scores`` of the same texts
    when the caller has them (the English model uses them as features; computed otherwise)."""
    p, coverage = _sentiment_arrays(texts, language, True, vader, models_dir)
    name = f"sentiment-{language}"
    out = []
    for row, known in zip(p.tolist(), coverage.tolist(), strict=True):
        probabilities = dict(zip(LABELS3, (round(v, 4) for v in row), strict=True))
        best = max(range(3), key=row.__getitem__)
        label3 = LABELS3[best]
        score = round(row[2] - row[0], 4)
        label5 = label3
        if label3 == "positive" and score >= VERY_THRESHOLD:
            label5 = "very_positive"
        elif label3 == "negative" and score <= -VERY_THRESHOLD:
            label5 = "very_negative"
        out.append(
            SentimentPrediction(
                label3, label5, score, round(row[best], 4), probabilities, language, name, round(known, 4)
            )
        )
    return out


def sentiment_for(
    texts: list[str],
    languages: list[str | None],
    *,
    vader: list[dict] | None = None,
    models_dir: Path | None = None,
) -> list[SentimentPrediction | Unsupported]:
    """Sentiment of texts of mixed languages: each language's texts go to its model in one
    batch; a text whose language has no model (None counts as "und"), or of which the model
    knows less than :data:`MIN_COVERAGE`, gets an :class:`Unsupported` marker. ``vader``:
    VADER's scores of the same texts, if at hand. This is the call for the pipeline."""
    out: list[SentimentPrediction | Unsupported | None] = [None] * len(texts)
    by_language: dict[str, list[int]] = {}
    for i, language in enumerate(languages):
        by_language.setdefault(language or "und", []).append(i)
    for language, indices in by_language.items():
        if not is_supported(language, models_dir):
            marker = Unsupported(language, NOT_SUPPORTED.format(language=language))
            for i in indices:
                out[i] = marker
            continue
        predictions = sentiment(
            [texts[i] for i in indices],
            language,
            vader=[vader[i] for i in indices] if vader is not None else None,
            models_dir=models_dir,
        )
        for i, prediction in zip(indices, predictions, strict=True):
            if prediction.coverage < MIN_COVERAGE:
                out[i] = Unsupported(language, TOO_LITTLE_KNOWN.format(language=language), "coverage")
            else:
                out[i] = prediction
    return out  # type: ignore[return-value]


def emotion_probabilities(texts: list[str], *, models_dir: Path | None = None) -> np.ndarray:
    """The 28 GoEmotions label probabilities, one row per text (English)."""
    return _emotion_arrays(texts, models_dir)[0]


def _emotion_arrays(texts: list[str], models_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    model = _model("emotions-en", models_dir)
    if not texts:
        return np.zeros((0, len(model.entry["labels"]))), np.zeros(0)
    z, coverage = model.logits(texts)
    return sigmoid(z), coverage


def emotions(texts: list[str], *, models_dir: Path | None = None) -> list[EmotionPrediction]:
    """GoEmotions emotions of English ``texts`` (see :class:`EmotionPrediction`). Raises
    :class:`ModelUnavailable` when the model was not trained; the caller decides the language."""
    model = _model("emotions-en", models_dir)
    labels = model.entry["labels"]
    groups = model.entry["group_order"]
    p, coverage = _emotion_arrays(texts, models_dir)
    members = [[labels.index(m) for m in model.entry["groups"][g]] for g in groups]
    pg = np.stack([p[:, m].max(axis=1) for m in members], axis=1) if len(p) else np.zeros((0, len(groups)))
    above = p >= model.extra["thresholds"]
    group_above = pg >= model.extra["group_thresholds"]
    out = []
    for i in range(len(texts)):
        row, grow = p[i].tolist(), pg[i].tolist()
        detected = sorted(
            (labels[j] for j in np.flatnonzero(above[i])), key=lambda lab: -row[labels.index(lab)]
        )
        ekman_detected = sorted(
            (groups[k] for k in np.flatnonzero(group_above[i])), key=lambda g: -grow[groups.index(g)]
        )
        out.append(
            EmotionPrediction(
                probabilities={lab: round(v, 4) for lab, v in zip(labels, row, strict=True)},
                detected=detected,
                primary=detected[0] if detected else None,
                ekman={g: round(v, 4) for g, v in zip(groups, grow, strict=True)},
                ekman_detected=ekman_detected,
                ekman_primary=ekman_detected[0] if ekman_detected else None,
                model="emotions-en",
                coverage=round(float(coverage[i]), 4),
            )
        )
    return out


EMOTIONS_ENGLISH_ONLY = "not analysed locally: the emotion model is English only, this text is {language}"


def emotions_for(
    texts: list[str], languages: list[str | None], *, models_dir: Path | None = None
) -> list[EmotionPrediction | Unsupported]:
    """Emotions of texts of mixed languages: English texts go to the model in one batch; any
    other language (None counts as "und"), or a text the model knows less than
    :data:`MIN_COVERAGE` of, gets an :class:`Unsupported` marker. Raises
    :class:`ModelUnavailable` when the model was not trained (GoEmotions left out)."""
    out: list[EmotionPrediction | Unsupported | None] = [None] * len(texts)
    english = [i for i, language in enumerate(languages) if language == "en"]
    for i, language in enumerate(languages):
        if language != "en":
            code = language or "und"
            out[i] = Unsupported(code, EMOTIONS_ENGLISH_ONLY.format(language=code))
    predictions = emotions([texts[i] for i in english], models_dir=models_dir) if english else []
    for i, prediction in zip(english, predictions, strict=True):
        if prediction.coverage < MIN_COVERAGE:
            out[i] = Unsupported("en", TOO_LITTLE_KNOWN.format(language="en"), "coverage")
        else:
            out[i] = prediction
    return out  # type: ignore[return-value]


def load_all(models_dir: Path | None = None) -> float:
    """Load every model now (a worker may call this at start); return the seconds it took."""
    started = time.perf_counter()
    for name in _manifest(models_dir)["models"]:
        _model(name, models_dir)
    return time.perf_counter() - started


def _manifest_version(models: dict) -> str:
    """One short identifier of the whole set of models (a hash of their hashes)."""
    joined = ",".join(f"{name}:{m['sha256']}" for name, m in sorted(models.items()))
    return hashlib.sha256(joined.encode("ascii")).hexdigest()[:12]


def model_info(models_dir: Path | None = None) -> dict:
    """What is shipped: a ``version`` of the whole set; per model its kind, language, the rows it
    was trained on per source, held-out figures, file size, sha256 and ``version`` (its first 12
    hex digits), and (once loaded) its load time in seconds."""
    manifest = _manifest(models_dir)
    models = {}
    for name, entry in sorted(manifest["models"].items()):
        models[name] = {
            "kind": entry["kind"],
            "language": entry["language"],
            "labels": entry["labels"],
            "training_rows": entry["training_rows"],
            "held_out": entry["held_out"],
            "file": entry["file"],
            "bytes": entry["bytes"],
            "sha256": entry["sha256"],
            "version": entry["sha256"][:12],
            "load_seconds": round(_load_seconds[name], 4) if name in _load_seconds else None,
        }
    return {
        "version": _manifest_version(models),
        "format": manifest.get("format"),
        "sources": manifest.get("sources", []),
        "features": manifest.get("features", {}),
        "removed_as_evaluation_texts": manifest.get("removed_as_evaluation_texts", {}),
        "total_bytes": sum(m["bytes"] for m in models.values()),
        "numpy": np.__version__,
        "models": models,
    }
