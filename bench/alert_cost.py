"""Cost of evaluating a project's alert rules after one analysis batch, at 1k and 100k results.

    .venv/bin/python bench/alert_cost.py [--sizes 1000 100000] [--batch 50] [--repeat 7]

A throw-away embedded server is started; for each size a project with three targets gets that
many analysed results (stored in bulk with pymongo, posted and collected over the last 180 days),
and their statistics are written through the statistics' own write path (``analysis.stats``: a
delta of every result's contribution, applied with ``$inc``), daily and hourly aggregates
included. The project has one enabled rule of every kind (volume per day and per hour, negative
share, sentiment, rating, keyword, topic). Each timed run stores a fresh batch of ``--batch``
ordinary results of the current hour, applies their statistics, and times
:func:`notifications.alerts.evaluation.evaluate_batch` on it alone (median of ``--repeat`` runs).
Printed: milliseconds per size and the ratio of the largest to the smallest (goal <= 1.5).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import embedded_django  # noqa: E402 - the project root is on the path first

SPREAD_DAYS = 180
INSERT_BATCH = 1000
WORDS = ("battery", "refund", "graphics", "story", "crash", "price", "music", "controls")


def result_doc(project, target, rng: random.Random, when: datetime) -> dict:
    score = round(rng.uniform(-1, 1), 3)
    word = rng.choice(WORDS)
    return {
        "project_id": project.pk, "target_id": target.pk, "user_id": project.user_id, "platform": target.platform,
        "content": {"text": f"The {word} is {'great' if score > 0 else 'bad'}", "title": "", "date": when,
                    "rating": float(rng.randint(1, 5)), "platform_id": f"r{rng.random()}", "metadata": {}},
        "analysis": {"sentiment": {"label": "positive" if score > 0.05 else "negative" if score < -0.05 else "neutral",
                                   "score": score, "confidence": 0.8, "analyzed_at": when},
                     "insights": {"topics": [{"topic": word, "sentiment": score}]}, "engine": "local"},
        "excluded": False, "flags": {"rating_disagreement": False}, "tags": [], "pinned": False,
        "created_at": when, "updated_at": when,
    }  # fmt: skip


def store(docs: list[dict]) -> list:
    """Insert results and apply their statistics as the analysis does."""
    from analysis import stats  # Django is set up by now
    from sentimatrix.mongo import collection

    ids = []
    for start in range(0, len(docs), INSERT_BATCH):
        ids += collection("results").insert_many(docs[start : start + INSERT_BATCH]).inserted_ids
    delta = stats.Delta()
    for doc in docs:
        delta.add(stats.contribution(doc), +1)
    stats.apply(delta)
    return ids


def seed(size: int, now: datetime):
    from accounts.models import User
    from notifications.models import AlertKind, AlertRule
    from tests.factories import make_project
    from tests.results_seed import add_target

    user = User.objects.create_user(f"bench{size}@example.com", "a-Long-pass-phrase-42")
    project = make_project(user, name=f"{size} results")
    targets = [add_target(project, "steam", "Game", 1), add_target(project, "steam", "Rival", 2),
               add_target(project, "amazon", "CD", 3)]  # fmt: skip
    rng = random.Random(size)
    docs = [
        result_doc(
            project, targets[i % 3], rng, now - timedelta(seconds=rng.randint(3600, SPREAD_DAYS * 86400))
        )
        for i in range(size)
    ]
    store(docs)
    for kind in AlertKind.values:
        AlertRule.objects.create(user=user, project=project, name=kind, kind=kind,
                                 query="refund" if kind == AlertKind.KEYWORD else "")  # fmt: skip
    AlertRule.objects.create(
        user=user, project=project, name="hourly", kind=AlertKind.VOLUME_SPIKE, period="hour"
    )
    return project, targets, rng


def timed_batches(project, targets, rng, *, batch: int, repeat: int, now: datetime) -> tuple[list, list]:
    """Milliseconds of each run's evaluation, and the alerts each made."""
    from notifications.alerts import evaluation

    times, fired = [], []
    for run in range(repeat):
        docs = [
            result_doc(project, targets[i % 3], rng, now - timedelta(minutes=rng.randint(0, 20), seconds=run))
            for i in range(batch)
        ]
        ids = store(docs)
        started = time.perf_counter()
        made = evaluation.evaluate_batch(project.pk, ids, now=now)
        times.append((time.perf_counter() - started) * 1000)
        fired.append(len(made))
    return times, fired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with embedded_django("alert_cost"):
        from celery import current_app

        # An alert of the bench is delivered by nobody: drop the hand-over instead of queueing it.
        current_app.send_task = lambda name, args=None, **kw: None
        now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
        projects = {}
        for size in args.sizes:
            started = time.perf_counter()
            projects[size] = seed(size, now)
            print(f"seeded {size} results in {time.perf_counter() - started:.1f} s", flush=True)
        medians = {}
        for size, (project, targets, rng) in projects.items():
            times, fired = timed_batches(project, targets, rng, batch=args.batch, repeat=args.repeat, now=now)
            medians[size] = statistics.median(times)
            print(f"{size:>8} results: evaluation of a {args.batch}-result batch "
                  f"median {medians[size]:.1f} ms (runs: {', '.join(f'{t:.0f}' for t in times)}; alerts: {fired})")  # fmt: skip
        low, high = min(args.sizes), max(args.sizes)
        print(f"ratio {high} / {low}: {medians[high] / medians[low]:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
