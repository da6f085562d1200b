"""Accuracy and calibration of the trained local models (analysis/engine/models/) on the shared
evaluation sets, each beside the lexicon engine's figure on the same data.

Run from the project root: ``.venv/bin/python bench/model_accuracy.py [--models DIR]``

No model was trained on any text reported here: ``manage.py train_models`` removes every
training row whose normalised text matches a text of these sets (the counts are in the
manifest and printed at the end).

- UMSAB validation (8 languages, 324 tweets each): 3-class macro-F1 per language and mean.
  VADER's figure is the old engine's behaviour (it scored every language with the English
  lexicon, thresholds +-0.05); the published anchors are on UMSAB *test*: FastText 0.51,
  XLM-T 0.69 (mean of 8).
- TweetEval sentiment validation (2,000 English tweets): 3-class macro-F1.
- VADER's human-rated tweets and movie snippets: gold = mean rating > 0.5 positive, < -0.5
  negative, else neutral; 3-class macro-F1, accuracy, Pearson r of the score with the rating.
- SST-2 dev, UCI Amazon / IMDb / Yelp (binary 0/1): accuracy of P(positive) > P(negative)
  (VADER: compound > 0); the share of texts whose 3-class label is neutral is shown beside it.
- ECE: expected calibration error (10 equal-width bins) of the top-class probability, before
  (temperature 1) and after calibration, on every 3-class set above.
- GoEmotions dev (5,426 Reddit comments): macro-F1 over the 28 labels (a label is predicted
  when its probability reaches its threshold) and over the 7 Ekman groups (anger, disgust,
  fear, joy, sadness, surprise, neutral). The NRC lexicon's Ekman emotions are shown beside
  it (neutral when it finds no emotion word); it has no 28-label figure.
- wrong.9r / wrong.9c: the share of texts labelled wrongly with a confidence of 0.9 or more,
  before (raw) and after calibration.
- abstain: the share of texts :func:`analysis.engine.trained.sentiment_for` would not analyse
  (the model knows under ``MIN_COVERAGE`` of their n-grams); the figures above include them.
- Model sizes and load time.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.engine import trained  # noqa: E402 (path set above)
from analysis.engine.emotions import emotions_block  # noqa: E402
from analysis.engine.sentiment import analyzer  # noqa: E402
from analysis.training import data as D  # noqa: E402

SHARED_DATA_DIR = Path(os.environ.get("SENTIMATRIX_SHARED_DATA") or ROOT.parent / "shared" / "data")
LABELS = list(trained.LABELS3)


def macro_f1(gold: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    scores = []
    for c in range(classes):
        tp = np.sum((gold == c) & (predicted == c))
        fp = np.sum((gold != c) & (predicted == c))
        fn = np.sum((gold == c) & (predicted != c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def multilabel_macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    tp = (gold & predicted).sum(axis=0)
    denominator = gold.sum(axis=0) + predicted.sum(axis=0)
    return float(np.mean(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)))


def ece(p: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    confidence, correct = p.max(axis=1), p.argmax(axis=1) == gold
    total = 0.0
    for i in range(bins):
        inside = (confidence > i / bins) & (confidence <= (i + 1) / bins)
        if inside.any():
            total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1])


def vader_scores(texts: list[str]) -> np.ndarray:
    vader = analyzer()
    return np.array([vader.polarity_scores(t)["compound"] for t in texts])


def vader_labels(compound: np.ndarray) -> np.ndarray:
    return np.where(compound >= 0.05, 2, np.where(compound <= -0.05, 0, 1))


def three_class_row(name, texts, gold, language, models, *, ratings=None):
    """Print one 3-class set; return (macro-F1, ece raw, ece calibrated)."""
    raw = trained.sentiment_probabilities(texts, language, calibrated=False, models_dir=models)
    cal = trained.sentiment_probabilities(texts, language, models_dir=models)
    predicted = cal.argmax(axis=1)
    compound = vader_scores(texts)
    f1, vf1 = macro_f1(gold, predicted, 3), macro_f1(gold, vader_labels(compound), 3)
    accuracy = float((predicted == gold).mean())
    e_raw, e_cal = ece(raw, gold), ece(cal, gold)
    coverage = np.array([p.coverage for p in trained.sentiment(texts, language, models_dir=models)])
    low = float((coverage < trained.MIN_COVERAGE).mean())
    sure_and_wrong = float(((cal.max(axis=1) >= 0.9) & (predicted != gold)).mean())
    sure_and_wrong_raw = float(((raw.max(axis=1) >= 0.9) & (raw.argmax(axis=1) != gold)).mean())
    line = f"{name:<24}{len(texts):>6}{f1:>9.3f}{vf1:>9.3f}{accuracy:>9.3f}"
    if ratings is not None:
        line += f"{pearson(cal[:, 2] - cal[:, 0], ratings):>9.3f}{pearson(compound, ratings):>9.3f}"
    else:
        line += f"{'':>18}"
    print(line + f"{e_raw:>9.3f}{e_cal:>9.3f}{sure_and_wrong_raw:>9.3f}{sure_and_wrong:>9.3f}{low:>9.3f}")
    return f1, vf1, e_raw, e_cal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(trained.MODELS_DIR), help="artifact folder")
    args = parser.parse_args()
    models = Path(args.models)
    data = SHARED_DATA_DIR
    started = time.perf_counter()
    load = trained.load_all(models)
    info = trained.model_info(models)
    print(f"Trained local models: {models.name}/, sources {', '.join(info['sources'])}")
    print()
    header = (
        f"{'set':<24}{'rows':>6}{'macro-F1':>9}{'VADER':>9}{'acc.':>9}{'r':>9}{'VADER r':>9}"
        f"{'ECE raw':>9}{'ECE cal':>9}{'wrong.9r':>9}{'wrong.9c':>9}{'abstain':>9}"
    )
    print("Sentiment, 3 classes (macro-F1 of the trained model | VADER on the same texts)")
    print(header)
    print("-" * len(header))
    umsab = []
    for language in D.UMSAB_LANGUAGES:
        rows = D.umsab(data, language, "val")
        if not trained.is_supported(language, models):
            print(f"UMSAB val {language:<14}{len(rows):>6}   not supported (no model)")
            continue
        gold = np.array([LABELS.index(r.label) for r in rows])
        umsab.append(three_class_row(f"UMSAB val {language}", [r.text for r in rows], gold, language, models))
    if umsab:
        mean = np.mean(umsab, axis=0)
        print(
            f"{'UMSAB val mean':<24}{'':>6}{mean[0]:>9.3f}{mean[1]:>9.3f}{'':>27}{mean[2]:>9.3f}{mean[3]:>9.3f}"
            f"   ({len(umsab)} languages)"
        )
    if trained.is_supported("en", models):
        rows = D.tweeteval_val(data)
        gold = np.array([LABELS.index(r.label) for r in rows])
        three_class_row("TweetEval val", [r.text for r in rows], gold, "en", models)
        for name in D.RATED_SETS:
            rows = D.rated_set(data, name)
            gold = np.array([LABELS.index(D.gold_label(r.rating)) for r in rows])
            ratings = np.array([r.rating for r in rows])
            three_class_row(name, [r.text for r in rows], gold, "en", models, ratings=ratings)
        print()
        print("Binary sets (accuracy of P(positive) > P(negative) | VADER compound > 0)")
        header = f"{'set':<24}{'rows':>6}{'accuracy':>9}{'VADER':>9}{'neutral 3-class':>17}"
        print(header)
        print("-" * len(header))
        for name in D.BINARY_SETS:
            rows = D.binary_set(data, name)
            texts, gold = [r.text for r in rows], np.array([r.rating >= 0.5 for r in rows])
            p = trained.sentiment_probabilities(texts, "en", models_dir=models)
            accuracy = float(((p[:, 2] > p[:, 0]) == gold).mean())
            vader = float(((vader_scores(texts) > 0) == gold).mean())
            print(f"{name:<24}{len(rows):>6}{accuracy:>9.3f}{vader:>9.3f}{(p.argmax(1) == 1).mean():>17.3f}")
    print()
    if trained.emotions_supported(models):
        model = info["models"]["emotions-en"]
        labels = model["labels"]
        rows = D.goemotions(data, "dev")
        texts = [r.text for r in rows]
        gold = np.zeros((len(rows), len(labels)), dtype=bool)
        for i, r in enumerate(rows):
            gold[i, list(r.label)] = True
        predictions = trained.emotions(texts, models_dir=models)
        predicted = np.array([[lab in p.detected for lab in labels] for p in predictions])
        groups = list(predictions[0].ekman)
        members = trained._model("emotions-en", models).entry["groups"]
        gold_groups = np.array(
            [[any(gold[i, labels.index(m)] for m in members[g]) for g in groups] for i in range(len(rows))]
        )
        predicted_groups = np.array([[g in p.ekman_detected for g in groups] for p in predictions])
        now = datetime.now(UTC)
        lexicon = []
        for text in texts:
            found = {d["emotion"] for d in emotions_block(text, "ekman", now)["detected"]}
            lexicon.append([g in found or (g == "neutral" and not found) for g in groups])
        lexicon = np.array(lexicon)
        print("Emotions, GoEmotions dev (multi-label macro-F1 | NRC lexicon, Ekman only)")
        print(f"  28 labels:          {multilabel_macro_f1(gold, predicted):.3f}   (lexicon: -)")
        print(
            f"  7 Ekman groups:     {multilabel_macro_f1(gold_groups, predicted_groups):.3f}"
            f"   (lexicon: {multilabel_macro_f1(gold_groups, lexicon):.3f})"
        )
        per_group = "  ".join(
            f"{g} {multilabel_macro_f1(gold_groups[:, [k]], predicted_groups[:, [k]]):.2f}"
            for k, g in enumerate(groups)
        )
        print(f"  per group F1:       {per_group}")
        print()
    print("Models")
    for name, m in info["models"].items():
        print(f"  {name:<14}{m['bytes'] / 1e6:>7.2f} MB   loaded in {m['load_seconds'] * 1000:>6.0f} ms")
    print(f"  {'total':<14}{info['total_bytes'] / 1e6:>7.2f} MB   loaded in {load * 1000:>6.0f} ms (all)")
    removed = info["removed_as_evaluation_texts"]
    print(f"Training rows removed as evaluation texts: {', '.join(f'{k} {v}' for k, v in removed.items())}")
    print(f"({time.perf_counter() - started:.1f} s)")
    assert math.isfinite(load)


if __name__ == "__main__":
    main()
