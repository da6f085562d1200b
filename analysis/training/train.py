"""Train the local engine's models from the shared training data (``manage.py train_models``).

Needs scikit-learn and scipy (``requirements-dev.txt``); the product only reads the artifacts.

What is trained (see :mod:`analysis.engine.trained` for the features)
    - ``sentiment-<lang>`` for each UMSAB language with training data of all three classes:
      multinomial logistic regression on that language's UMSAB tweets.
    - ``sentiment-en``: two logistic heads, neutral vs polar (SemEval and UMSAB English tweets)
      and positive vs negative among polar texts (the same tweets plus the Amazon reviews), with
      VADER's four scores as extra features. The reviews are binary: feeding them to a 3-class
      model would teach it that a long text is never neutral, so they only teach polarity.
    - ``emotions-en``: one-vs-rest logistic regression over the 28 GoEmotions labels, a
      threshold per label and per Ekman group.

Held-out data
    Every pool is split by a hash of each text's dedupe key: one text in ten (the same one on
    every run, whatever the sources) is held out. The shipped model is fitted on the other nine;
    the held-out tenth fits the temperature (sentiment) or the thresholds (emotions) and gives
    the held-out figures written to the manifest. No evaluation set of the benchmarks is used:
    every training row whose text matches one (:class:`analysis.training.data.Contamination`)
    is removed first, and the counts are reported.

Reproducible: rows in file order, fixed splits, single-threaded BLAS, deterministic solvers,
artifacts written by :mod:`analysis.training.artifacts` (same data, same bytes).
"""

from __future__ import annotations

import math
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits

from analysis.engine import trained
from analysis.training import data as D
from analysis.training.artifacts import write_json, write_npz
from analysis.training.features import Vocabulary

HOLDOUT_MODULO = 10
MIN_PER_CLASS = 20
SETTINGS = {
    # Chosen by 5-fold cross-validation on UMSAB train and a held-out tenth of the English pool.
    "sentiment": {"C": 1.0, "min_df": 2, "max_features": 120_000, "vader_scale": 1.0},
    "sentiment-en": {"C": 2.0, "min_df": 2, "max_features": 200_000, "vader_scale": 1.0},
    "emotions": {"C": 2.0, "min_df": 2, "max_features": 40_000},
}
# VADER's scores as extra features helped these languages in 5-fold cross-validation on UMSAB
# train (emoji and English words are frequent in their tweets); not Italian or Portuguese.
VADER_LANGUAGES = ("ar", "de", "en", "es", "fr", "hi")
FORMAT_VERSION = 1

Log = Callable[[str], None]


def held_out(text: str) -> bool:
    """Whether a text belongs to the held-out tenth (stable across runs and source choices)."""
    return zlib.crc32(D.dedupe_key(text).encode("utf-8")) % HOLDOUT_MODULO == 0


@dataclass
class Pools:
    """Training rows per model after the contamination filter and deduplication."""

    sentiment: dict[str, list[D.Row]] = field(default_factory=dict)
    emotions: list[D.Row] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)


def load_pools(data_dir: Path, sources: tuple[str, ...], log: Log, limit: int = 0) -> Pools:
    """Read the chosen sources, drop rows that match an evaluation set or repeat an earlier row.
    ``limit`` keeps only the first rows of each source (tests)."""
    contamination = D.Contamination([t for texts in D.evaluation_texts(data_dir).values() for t in texts])
    raw: list[tuple[str, str, list[D.Row]]] = []  # (source label, pool, rows)
    if "umsab" in sources:
        for language in D.UMSAB_LANGUAGES:
            raw.append((f"umsab-{language}", f"sentiment-{language}", D.umsab(data_dir, language)))
    if "semeval" in sources:
        raw.append(("semeval", "sentiment-en", D.semeval(data_dir)))
    if "blitzer" in sources:
        raw.append(("blitzer", "sentiment-en", D.blitzer(data_dir)))
    if "goemotions" in sources:
        raw.append(("goemotions", "emotions", D.goemotions(data_dir, "train")))

    pools = Pools()
    seen: dict[str, set[str]] = {}
    for label, pool, source_rows in raw:
        rows = _spread(source_rows, limit) if limit else source_rows
        kept, removed, duplicates = [], 0, 0
        keys = seen.setdefault(pool, set())
        for row in rows:
            if row.text in contamination:
                removed += 1
                continue
            key = D.dedupe_key(row.text)
            if not key or key in keys:
                duplicates += 1
                continue
            keys.add(key)
            kept.append(row)
        pools.removed[label], pools.duplicates[label] = removed, duplicates
        log(
            f"{label}: {len(rows)} rows, {removed} removed as evaluation texts, "
            f"{duplicates} duplicates or empty, {len(kept)} kept"
        )
        if pool == "emotions":
            pools.emotions += kept
        else:
            pools.sentiment.setdefault(pool.removeprefix("sentiment-"), []).extend(kept)
    return pools


def _spread(rows: list[D.Row], limit: int) -> list[D.Row]:
    """``limit`` rows taken evenly through the file (the files are grouped by label)."""
    if len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


# --- calibration and metrics --------------------------------------------------------------------


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of ``softmax(logits / T)``
    (binary logits: one column, sigmoid). Golden-section search on log T, deterministic."""

    def nll(log_t: float) -> float:
        z = logits / math.exp(log_t)
        if z.ndim == 1:
            z = np.stack([np.zeros_like(z), z], axis=1)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(labels)), labels].mean())

    low, high = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = nll(a), nll(b)
    for _ in range(80):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = nll(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = nll(b)
    return round(math.exp((low + high) / 2), 6)


def ece(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top class over ``bins`` equal-width confidence bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for i in range(bins):
        inside = (confidence > edges[i]) & (confidence <= edges[i + 1])
        if inside.any():
            total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def _lr(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=3000, tol=1e-5)


# --- sentiment ----------------------------------------------------------------------------------


def _labels3(rows: list[D.Row]) -> np.ndarray:
    return np.array([D.LABELS3.index(r.label) for r in rows], dtype=np.int64)


def _vader_features(texts: list[str], scale: float) -> sparse.csr_matrix:
    return sparse.csr_matrix(trained.vader_features(texts) * np.float32(scale))


def train_flat(language: str, rows: list[D.Row], log: Log) -> tuple[dict, dict]:
    """A 3-class model for one language; returns (arrays, manifest entry)."""
    settings = SETTINGS["sentiment"]
    fit = [r for r in rows if not held_out(r.text)]
    hold = [r for r in rows if held_out(r.text)]
    vocabulary = Vocabulary.fit([r.text for r in fit], settings["min_df"], settings["max_features"])
    vader = language in VADER_LANGUAGES

    def features(subset: list[D.Row]) -> sparse.csr_matrix:
        texts = [r.text for r in subset]
        x = vocabulary.transform(texts)
        return (
            sparse.hstack([x, _vader_features(texts, settings["vader_scale"])], format="csr") if vader else x
        )

    model = _lr(settings["C"]).fit(features(fit), _labels3(fit))
    coef = model.coef_.T.astype(np.float32)
    intercept = model.intercept_.astype(np.float32)
    logits = features(hold) @ coef + intercept
    y = _labels3(hold)
    temperature = fit_temperature(logits, y)
    raw, calibrated = _softmax(logits), _softmax(logits / temperature)
    held = {
        "rows": len(hold),
        "macro_f1": round(float(f1_score(y, raw.argmax(1), average="macro")), 4),
        "ece_raw": round(ece(raw, y), 4),
        "ece_calibrated": round(ece(calibrated, y), 4),
    }
    log(
        f"sentiment-{language}: {len(fit)} training rows, {len(vocabulary.keys)} features, "
        f"T={temperature:.3f}, held-out macro-F1 {held['macro_f1']:.3f}, "
        f"ECE {held['ece_raw']:.3f} -> {held['ece_calibrated']:.3f}"
    )
    arrays = {"keys": vocabulary.keys, "idf": vocabulary.idf, "coef": coef, "intercept": intercept}
    entry = {
        "kind": "sentiment-flat",
        "language": language,
        "labels": list(D.LABELS3),
        "temperature": temperature,
        "settings": settings,
        "training_rows": _counts(fit),
        "held_out": held,
        "extra_features": list(trained.VADER_FEATURES) if vader else [],
        "extra_scale": settings["vader_scale"],
    }
    return arrays, entry


def train_hierarchical(rows: list[D.Row], log: Log) -> tuple[dict, dict]:
    """English: neutral-vs-polar head on tweets, positive-vs-negative head on every polar text,
    both with VADER's scores as extra features."""
    settings = SETTINGS["sentiment-en"]
    fit = [r for r in rows if not held_out(r.text)]
    hold = [r for r in rows if held_out(r.text)]
    vocabulary = Vocabulary.fit([r.text for r in fit], settings["min_df"], settings["max_features"])

    def features(subset: list[D.Row]) -> sparse.csr_matrix:
        texts = [r.text for r in subset]
        extra = _vader_features(texts, settings["vader_scale"])
        return sparse.hstack([vocabulary.transform(texts), extra], format="csr")

    x, y = features(fit), _labels3(fit)
    three_class = np.array([r.source != "blitzer" for r in fit])
    polar = y != 1
    neutral_head = _lr(settings["C"]).fit(x[three_class], (y[three_class] == 1).astype(int))
    polarity_head = _lr(settings["C"]).fit(x[polar], (y[polar] == 2).astype(int))
    coef = np.stack([neutral_head.coef_[0], polarity_head.coef_[0]], axis=1).astype(np.float32)
    intercept = np.array([neutral_head.intercept_[0], polarity_head.intercept_[0]], dtype=np.float32)

    xh, yh = features(hold), _labels3(hold)
    logits = xh @ coef + intercept
    hold_three = np.array([r.source != "blitzer" for r in hold])
    t_neutral = fit_temperature(logits[hold_three, 0], (yh[hold_three] == 1).astype(int))
    hold_polar = yh != 1
    t_polarity = fit_temperature(logits[hold_polar, 1], (yh[hold_polar] == 2).astype(int))
    raw = trained.hierarchical_probabilities(logits, 1.0, 1.0)
    calibrated = trained.hierarchical_probabilities(logits, t_neutral, t_polarity)
    tweets = hold_three
    reviews = ~hold_three
    held = {
        "rows": len(hold),
        "tweets_macro_f1": round(float(f1_score(yh[tweets], raw[tweets].argmax(1), average="macro")), 4),
        "tweets_ece_raw": round(ece(raw[tweets], yh[tweets]), 4),
        "tweets_ece_calibrated": round(ece(calibrated[tweets], yh[tweets]), 4),
    }
    if reviews.any():
        held["reviews_binary_accuracy"] = round(
            float(((raw[reviews, 2] > raw[reviews, 0]) == (yh[reviews] == 2)).mean()), 4
        )
    log(
        f"sentiment-en: {len(fit)} training rows, {len(vocabulary.keys)} features + VADER, "
        f"T={t_neutral:.3f}/{t_polarity:.3f}, held-out tweets macro-F1 {held['tweets_macro_f1']:.3f}, "
        f"ECE {held['tweets_ece_raw']:.3f} -> {held['tweets_ece_calibrated']:.3f}"
        + (f", reviews accuracy {held['reviews_binary_accuracy']:.3f}" if reviews.any() else "")
    )
    arrays = {"keys": vocabulary.keys, "idf": vocabulary.idf, "coef": coef, "intercept": intercept}
    entry = {
        "kind": "sentiment-hierarchical",
        "language": "en",
        "labels": list(D.LABELS3),
        "heads": ["neutral", "positive_given_polar"],
        "temperature": [t_neutral, t_polarity],
        "settings": settings,
        "training_rows": _counts(fit),
        "held_out": held,
        "extra_features": list(trained.VADER_FEATURES),
        "extra_scale": settings["vader_scale"],
    }
    return arrays, entry


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _counts(rows: list[D.Row]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = {}
    for r in rows:
        counts.setdefault(r.source, Counter())[str(r.label)] += 1
    return {source: dict(sorted(c.items())) for source, c in sorted(counts.items())}


def _trainable(rows: list[D.Row]) -> str:
    """Why a sentiment pool cannot make a 3-class model ("" when it can)."""
    tweets = Counter(r.label for r in rows if r.source != "blitzer")
    short = [label for label in D.LABELS3 if tweets[label] < MIN_PER_CLASS]
    if short:
        return f"fewer than {MIN_PER_CLASS} training texts labelled {', '.join(short)}"
    return ""


# --- emotions -----------------------------------------------------------------------------------


def _best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The threshold in 0.02..0.90 with the best F1 on held-out data (0.5 without positives)."""
    if not y.any():
        return 0.5
    best, best_f1 = 0.5, -1.0
    for t in np.round(np.arange(0.02, 0.905, 0.01), 2):
        predicted = p >= t
        tp = float((predicted & y).sum())
        f1 = 2 * tp / (predicted.sum() + y.sum()) if tp else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def train_emotions(rows: list[D.Row], data_dir: Path, log: Log) -> tuple[dict, dict]:
    """One-vs-rest GoEmotions model with per-label and per-Ekman-group thresholds."""
    settings = SETTINGS["emotions"]
    names = D.goemotions_labels(data_dir)
    groups = D.ekman_mapping(data_dir)
    fit = [r for r in rows if not held_out(r.text)]
    hold = [r for r in rows if held_out(r.text)]

    def targets(subset: list[D.Row]) -> np.ndarray:
        y = np.zeros((len(subset), len(names)), dtype=bool)
        for i, r in enumerate(subset):
            y[i, list(r.label)] = True
        return y

    vocabulary = Vocabulary.fit([r.text for r in fit], settings["min_df"], settings["max_features"])
    x, y = vocabulary.transform([r.text for r in fit]), targets(fit)
    coef = np.zeros((len(vocabulary.keys), len(names)), dtype=np.float32)
    intercept = np.zeros(len(names), dtype=np.float32)
    for j in range(len(names)):
        if y[:, j].any() and not y[:, j].all():
            head = _lr(settings["C"]).fit(x, y[:, j].astype(int))
            coef[:, j], intercept[j] = head.coef_[0], head.intercept_[0]
        else:
            intercept[j] = 10.0 if y[:, j].all() else -10.0
    xh, yh = vocabulary.transform([r.text for r in hold]), targets(hold)
    p = trained.sigmoid(xh @ coef + intercept)
    thresholds = [_best_threshold(p[:, j], yh[:, j]) for j in range(len(names))]
    group_names = [*groups, "neutral"]
    members = [[names.index(m) for m in groups[g]] for g in groups] + [[names.index("neutral")]]
    pg = np.stack([p[:, m].max(axis=1) for m in members], axis=1)
    yg = np.stack([yh[:, m].any(axis=1) for m in members], axis=1)
    group_thresholds = [_best_threshold(pg[:, k], yg[:, k]) for k in range(len(group_names))]
    predicted = p >= np.array(thresholds)
    predicted_groups = pg >= np.array(group_thresholds)
    held = {
        "rows": len(hold),
        # Optimistic: the thresholds were tuned on these same rows (GoEmotions dev is the real test).
        "macro_f1_thresholds_tuned_here": round(
            float(f1_score(yh, predicted, average="macro", zero_division=0)), 4
        ),
        "ekman_macro_f1_thresholds_tuned_here": round(
            float(f1_score(yg, predicted_groups, average="macro", zero_division=0)), 4
        ),
    }
    log(
        f"emotions-en: {len(fit)} training rows, {len(vocabulary.keys)} features, held-out macro-F1 "
        f"{held['macro_f1_thresholds_tuned_here']:.3f} (28 labels), "
        f"{held['ekman_macro_f1_thresholds_tuned_here']:.3f} (Ekman groups; thresholds tuned on it)"
    )
    arrays = {
        "keys": vocabulary.keys,
        "idf": vocabulary.idf,
        "coef": coef,
        "intercept": intercept,
        "thresholds": np.array(thresholds, dtype=np.float32),
        "group_thresholds": np.array(group_thresholds, dtype=np.float32),
    }
    entry = {
        "kind": "emotions-ovr",
        "language": "en",
        "labels": names,
        "groups": {g: groups[g] for g in groups} | {"neutral": ["neutral"]},
        "group_order": group_names,
        "settings": settings,
        "training_rows": {"goemotions": len(fit)},
        "held_out": held,
    }
    return arrays, entry


# --- the whole run ------------------------------------------------------------------------------


def train(
    data_dir: Path,
    out_dir: Path,
    sources: tuple[str, ...] = D.SOURCES,
    log: Log = print,
    limit: int = 0,
) -> dict:
    """Train every model the chosen ``sources`` allow and write them to ``out_dir`` (models no
    longer trainable are removed from it); return the manifest."""
    unknown = set(sources) - set(D.SOURCES)
    if unknown:
        raise ValueError(
            f"unknown source(s): {', '.join(sorted(unknown))}; choose from {', '.join(D.SOURCES)}"
        )
    sources = tuple(s for s in D.SOURCES if s in sources)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with threadpool_limits(limits=1):
        pools = load_pools(Path(data_dir), sources, log, limit)
        models: dict[str, dict] = {}
        outputs: dict[str, dict] = {}
        for language in sorted(pools.sentiment):
            rows = pools.sentiment[language]
            reason = _trainable(rows)
            if reason:
                log(f"sentiment-{language}: not trained ({reason})")
                continue
            if language == "en":
                outputs[f"sentiment-{language}"] = train_hierarchical(rows, log)
            else:
                outputs[f"sentiment-{language}"] = train_flat(language, rows, log)
        if pools.emotions:
            outputs["emotions-en"] = train_emotions(pools.emotions, Path(data_dir), log)

    for stale in out_dir.glob("*.npz"):
        if stale.stem not in outputs:
            stale.unlink()
    for name, (arrays, entry) in sorted(outputs.items()):
        entry["file"] = f"{name}.npz"
        entry["sha256"] = write_npz(out_dir / entry["file"], arrays)
        entry["bytes"] = (out_dir / entry["file"]).stat().st_size
        models[name] = entry
    manifest = {
        "format": FORMAT_VERSION,
        "features": trained.FEATURES,
        "sources": list(sources),
        "removed_as_evaluation_texts": dict(sorted(pools.removed.items())),
        "duplicates_removed": dict(sorted(pools.duplicates.items())),
        "row_limit": limit,
        "models": models,
    }
    write_json(out_dir / trained.MANIFEST, manifest)
    log(f"wrote {len(models)} model(s) to {out_dir} in {time.perf_counter() - started:.0f} s")
    return manifest
