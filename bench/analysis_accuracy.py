"""Accuracy of the local analysis engine's sentiment on human-rated sets.

Run from the project root: ``.venv/bin/python bench/analysis_accuracy.py``

- VADER's ground truth (Hutto & Gilbert 2014; tweets and movie review snippets): the human mean
  rating (-4..4) becomes a 3-class label with the VADER paper's thresholds (> 0.5 positive,
  < -0.5 negative, else neutral). Reported: 3-class macro-F1 and accuracy of the engine's
  3-class label, and the Pearson correlation of the engine's score with the mean rating.
- SST-2 dev and the UCI Amazon / IMDb / Yelp sentences (label 0/1): binary accuracy, a neutral
  prediction counting as wrong; the share of neutral predictions, and the accuracy over the
  non-neutral ones, are reported beside it.

The data directory is found the way ``settings.SHARED_DATA_DIR`` finds it (the
``SENTIMATRIX_SHARED_DATA`` variable, else ``../shared/data`` beside the project root) without
importing the settings, which would start the embedded database for nothing. Files are read with
CSV quoting off (some texts contain quote characters: with default quoting the IMDb file parses
as 748 rows instead of 1,000); ``newline=""`` lets the csv module take the CRLF line endings.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.engine import AnalysisItem, AnalysisOptions, LocalEngine  # noqa: E402 (path set above)
from analysis.training.data import BINARY_SETS, RATED_SETS, gold_label  # noqa: E402 - one home each

SHARED_DATA_DIR = Path(os.environ.get("SENTIMATRIX_SHARED_DATA") or ROOT.parent / "shared" / "data")
SENTIMENT_DIR = SHARED_DATA_DIR / "sentiment"

CLASSES = ("positive", "neutral", "negative")
BATCH = 500


@dataclass(frozen=True)
class RatedText:
    id: str
    text: str
    rating: float  # VADER sets: human mean rating -4..4; binary sets: 0 or 1


def _rows(name: str) -> list[list[str]]:
    with (SENTIMENT_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def rated_set(name: str) -> list[RatedText]:
    """A VADER ground-truth file: ``id \\t mean_rating \\t text`` rows."""
    return [RatedText(f"{name}:{row[0]}", row[2], float(row[1])) for row in _rows(name) if len(row) >= 3]


def binary_set(name: str, header: bool) -> list[RatedText]:
    """An SST-2 or UCI file: ``text \\t label`` rows (SST-2 has a header line)."""
    rows = _rows(name)[1:] if header else _rows(name)
    return [
        RatedText(f"{name}:{i}", row[0].strip(), float(row[1])) for i, row in enumerate(rows) if len(row) >= 2
    ]


def all_texts() -> list[str]:
    """Every text of the rated and binary sets, in file order."""
    texts = [r.text for name in RATED_SETS.values() for r in rated_set(name)]
    texts += [r.text for name, header in BINARY_SETS.values() for r in binary_set(name, header)]
    return texts


def analyse(rows: list[RatedText]) -> list[tuple[str, float]]:
    """The local engine's (3-class label, score) for each row, in batches like a worker's."""
    engine, config = LocalEngine(), AnalysisOptions(sentiment=True, sentiment_classes=3)
    out = []
    for i in range(0, len(rows), BATCH):
        batch = [AnalysisItem(id=r.id, text=r.text) for r in rows[i : i + BATCH]]
        results = engine.analyze(batch, config)
        out += [
            (results[item.id].analysis["sentiment"]["label"], results[item.id].analysis["sentiment"]["score"])
            for item in batch
        ]
    return out


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in CLASSES:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / math.sqrt(vx * vy)


def main() -> None:
    started = time.perf_counter()
    print(f"Local engine sentiment accuracy (data: {SENTIMENT_DIR.name}/ of the shared data)")
    print()
    print("3 classes against VADER's human mean ratings (> 0.5 positive, < -0.5 negative, else neutral)")
    header = (
        f"{'set':<22}{'rows':>7}{'gold pos/neu/neg':>20}{'macro-F1':>10}{'accuracy':>10}{'Pearson r':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, filename in RATED_SETS.items():
        rows = rated_set(filename)
        predicted = analyse(rows)
        gold = [gold_label(r.rating) for r in rows]
        labels = [label for label, _ in predicted]
        counts = "/".join(str(gold.count(c)) for c in CLASSES)
        accuracy = sum(g == p for g, p in zip(gold, labels, strict=True)) / len(rows)
        r = pearson([score for _, score in predicted], [row.rating for row in rows])
        print(
            f"{name:<22}{len(rows):>7}{counts:>20}{macro_f1(gold, labels):>10.3f}{accuracy:>10.3f}{r:>11.3f}"
        )
    print()
    print("Binary (label 0/1; a neutral prediction counts as wrong)")
    header = f"{'set':<22}{'rows':>7}{'accuracy':>10}{'neutral share':>15}{'acc. non-neutral':>18}"
    print(header)
    print("-" * len(header))
    for name, (filename, has_header) in BINARY_SETS.items():
        rows = binary_set(filename, has_header)
        labels = [label for label, _ in analyse(rows)]
        expected = ["positive" if r.rating >= 0.5 else "negative" for r in rows]
        right = sum(e == p for e, p in zip(expected, labels, strict=True))
        neutral = labels.count("neutral")
        decided = len(rows) - neutral
        print(
            f"{name:<22}{len(rows):>7}{right / len(rows):>10.3f}{neutral / len(rows):>15.3f}"
            f"{(right / decided if decided else 0.0):>18.3f}"
        )
    print()
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
