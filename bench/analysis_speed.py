"""Speed of the local analysis engine on one core, against VADER alone on the same texts.

Run from the project root: ``.venv/bin/python bench/analysis_speed.py [--repeat 3] [--limit N]``

The process pins itself to one core (``os.sched_setaffinity(0, {0})``). Texts: every text of
the human-rated sets in the shared data (tweets, movie snippets, SST-2, UCI; short, mostly one
sentence), and "reviews" of about a hundred words made by joining eight consecutive sentences
of the UCI files, closer to what a product review looks like. Each configuration analyses the
texts in batches of 100, as a worker would; the best of ``--repeat`` runs is reported as
results per second of CPU time (the process's own, so other load on the machine does not count),
with its ratio to VADER's ``polarity_scores`` alone on the same texts, and per second of wall
time beside it.
Lexicons and the language model are loaded before timing; their one-off load time is shown.
The engine's configurations include the trained models it runs (:mod:`analysis.engine.trained`);
the models are also timed alone on the same texts: English sentiment (VADER's scores computed as
its features), and with the GoEmotions model on the same batch.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis_accuracy import BINARY_SETS, all_texts, binary_set  # noqa: E402 (same folder)

from analysis.engine import AnalysisItem, AnalysisOptions, LocalEngine, trained  # noqa: E402 (path set above)
from analysis.engine.sentiment import analyzer, polarity  # noqa: E402

BATCH = 100
REVIEW_SENTENCES = 8

CONFIGS = {
    "sentiment 3-class + language": AnalysisOptions(sentiment=True, sentiment_classes=3),
    "+ emotions (ekman)": AnalysisOptions(sentiment=True, sentiment_classes=3, emotions=True),
    "all on (5-class, emotions, summary, insights)": AnalysisOptions(
        sentiment=True,
        sentiment_classes=5,
        emotions=True,
        emotion_model="ekman",
        summarize=True,
        extract_insights=True,
    ),
}


def reviews() -> list[str]:
    """Multi-sentence "reviews": eight consecutive sentences of each UCI file joined."""
    texts = []
    for name, (filename, header) in BINARY_SETS.items():
        if not name.startswith("UCI"):
            continue
        sentences = [r.text for r in binary_set(filename, header)]
        for i in range(0, len(sentences) - REVIEW_SENTENCES + 1, REVIEW_SENTENCES):
            texts.append(" ".join(sentences[i : i + REVIEW_SENTENCES]))
    return texts


def best_of(repeat: int, run: Callable[[], None]) -> tuple[float, float]:
    """Best CPU time and best wall time of ``repeat`` runs."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall


def engine_run(texts: list[str], config: AnalysisOptions) -> Callable[[], None]:
    engine = LocalEngine()
    items = [AnalysisItem(id=str(i), text=t) for i, t in enumerate(texts)]

    def run() -> None:
        for i in range(0, len(items), BATCH):
            engine.analyze(items[i : i + BATCH], config)

    return run


def trained_run(texts: list[str], emotions: bool) -> Callable[[], None]:
    """The trained English sentiment model alone (VADER's scores computed for it), optionally
    with the emotion model on the same batch."""

    def run() -> None:
        for i in range(0, len(texts), BATCH):
            batch = texts[i : i + BATCH]
            trained.sentiment(batch, "en", vader=[polarity(t) for t in batch])
            if emotions:
                trained.emotions(batch)

    return run


def vader_run(texts: list[str]) -> Callable[[], None]:
    vader = analyzer()

    def run() -> None:
        for text in texts:
            vader.polarity_scores(text)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N short texts (0: all)")
    args = parser.parse_args()

    os.sched_setaffinity(0, {0})
    started = time.perf_counter()
    LocalEngine().analyze(
        [AnalysisItem(id="warm", text="Warm up the lexicons and the model, please.")],
        CONFIGS["all on (5-class, emotions, summary, insights)"],
    )
    load = time.perf_counter() - started
    started = time.perf_counter()
    trained.load_all()
    trained_load = time.perf_counter() - started

    short = all_texts()
    if args.limit:
        short = short[: args.limit]
    long = reviews()
    print(f"Local engine speed on one core (CPU {sorted(os.sched_getaffinity(0))}), best of {args.repeat}")
    print(f"one-off load of VADER, the emotion lexicon and the language model: {load:.2f} s")
    print(
        f"one-off load of the trained models ({trained.model_info()['total_bytes'] / 1e6:.1f} MB): {trained_load:.2f} s"
    )
    print()
    for label, texts in (("short texts", short), ("~100-word reviews", long)):
        words = sum(len(t.split()) for t in texts) / len(texts)
        vader_cpu, vader_wall = best_of(args.repeat, vader_run(texts))
        print(f"{label}: {len(texts)} texts, {words:.1f} words on average")
        header = f"  {'configuration':<48}{'results/s':>11}{'ms/result':>11}{'x VADER':>9}{'wall res/s':>12}"
        print(header)
        print("  " + "-" * (len(header) - 2))
        rows = [("VADER polarity_scores alone", vader_cpu, vader_wall)]
        rows += [(name, *best_of(args.repeat, engine_run(texts, config))) for name, config in CONFIGS.items()]
        rows += [
            (
                "trained sentiment-en alone (+ VADER features)",
                *best_of(args.repeat, trained_run(texts, False)),
            ),
            ("trained sentiment-en + emotions-en alone", *best_of(args.repeat, trained_run(texts, True))),
        ]
        for name, cpu, wall in rows:
            print(
                f"  {name:<48}{len(texts) / cpu:>11.0f}{1000 * cpu / len(texts):>11.3f}"
                f"{cpu / vader_cpu:>9.2f}{len(texts) / wall:>12.0f}"
            )
        print()


if __name__ == "__main__":
    main()
