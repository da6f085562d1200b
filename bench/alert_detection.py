"""Precision, recall and false alerts of the alert detection on synthetic daily series.

    .venv/bin/python bench/alert_detection.py [--projects 40] [--seed 19]

Each synthetic project has a daily volume (Poisson, with a weekly season and a slow drift) over
0.5 to 2 years; its results have a negative share, a mean sentiment score, a mean rating and a
topic's mentions per day. For every rule type, changes of several sizes are planted on single
days (at least five weeks apart, none in the first eight weeks), and the pure detection functions
(:mod:`notifications.alerts.detection`) run day by day as the evaluation would: the day's window
against the eight weeks before it, the rule's defaults (significance 0.001, minimum count 10, 24 h
cooldown). A firing on a planted day is a true alert; any other firing is false.

Printed per rule type and size: planted changes, recall, precision; then false alerts per
project-year on the same projects with nothing planted (the goal is at most 1).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from notifications.alerts import detection  # noqa: E402 - the project root is on the path first

SPAN = detection.BASELINE_SPAN["day"]
MIN_COUNT = 10
SIGNIFICANCE = detection.DEFAULT_SIGNIFICANCE
WEEKLY = (1.15, 1.1, 1.0, 1.0, 0.95, 0.85, 0.95)  # Monday .. Sunday
SIZES = {
    "volume": (1.5, 2.0, 3.0),  # times the day's expected volume
    "negative": (0.05, 0.1, 0.2),  # added to the negative share
    "sentiment": (0.1, 0.2, 0.3),  # taken off the mean score
    "rating": (0.25, 0.5, 1.0),  # stars taken off the mean rating
    "topic": (10, 20, 40),  # extra results mentioning the topic
}
SCORE_SD, RATING_SD = 0.5, 1.2


def poisson(rng: random.Random, mu: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal for large ones)."""
    if mu > 60:
        return max(0, round(rng.gauss(mu, math.sqrt(mu))))
    limit, k, p = math.exp(-mu), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def planted_days(rng: random.Random, days: int) -> list[int]:
    out, day = [], SPAN + rng.randint(0, 20)
    while day < days:
        out.append(day)
        day += 35 + rng.randint(0, 20)
    return out


def simulate(rng: random.Random, kind: str, size: float | None) -> tuple[int, int, int, int]:
    """One project: (planted, caught, false alerts, days judged)."""
    days = rng.randint(183, 730)
    level = rng.uniform(15, 150)
    drift = rng.uniform(-0.5, 0.5) / days  # up to +-50% over the span
    start_weekday = rng.randrange(7)
    share, mean_score, mean_rating = rng.uniform(0.1, 0.35), rng.uniform(-0.1, 0.4), rng.uniform(3.2, 4.4)
    topic_rate = rng.choice((0.0, 0.3, 1.0, 3.0))
    plants = set(planted_days(rng, days)) if size is not None else set()
    counts, negatives, score_days, rating_days, topics = [], [], [], [], []
    planted = caught = false = judged = 0
    cooldown_until = -1
    for day in range(days):
        mu = level * WEEKLY[(start_weekday + day) % 7] * (1 + drift * day)
        hit = day in plants
        n = poisson(rng, mu * (size if hit and kind == "volume" else 1))
        p_neg = min(0.95, share + (size if hit and kind == "negative" else 0))
        neg = sum(rng.random() < p_neg for _ in range(n))
        m_score = mean_score - (size if hit and kind == "sentiment" else 0)
        m_rating = mean_rating - (size if hit and kind == "rating" else 0)
        score_sum = rng.gauss(n * m_score, math.sqrt(n) * SCORE_SD) if n else 0.0
        rating_sum = rng.gauss(n * m_rating, math.sqrt(n) * RATING_SD) if n else 0.0
        mentions = poisson(rng, topic_rate) + (int(size) if hit and kind == "topic" else 0)
        if day >= SPAN:
            lo = day - SPAN
            history = {"counts": counts[lo:], "negatives": negatives[lo:], "scores": score_days[lo:],
                       "ratings": rating_days[lo:], "topics": topics[lo:]}  # fmt: skip
            today = {
                "n": n,
                "neg": neg,
                "score_sum": score_sum,
                "rating_sum": rating_sum,
                "mentions": mentions,
            }
            verdict = judge(kind, history, today)
            judged += 1
            planted += hit
            if verdict.fired and day > cooldown_until:
                cooldown_until = day  # 24 h: the next day may not fire
                if hit:
                    caught += 1
                else:
                    false += 1
        counts.append(n)
        negatives.append(neg)
        score_days.append((n, score_sum))
        rating_days.append((n, rating_sum))
        topics.append(mentions)
    return planted, caught, false, judged


def judge(kind: str, history: dict, today: dict) -> detection.Verdict:
    """The rule type's test of ``today`` against the eight weeks of ``history`` before it."""
    rule = {"significance": SIGNIFICANCE, "min_count": MIN_COUNT}
    n = today["n"]
    if kind == "volume":
        return detection.volume_spike(history["counts"], n, **rule)
    if kind == "negative":
        return detection.negative_share(
            sum(history["negatives"]), sum(history["counts"]), today["neg"], n, **rule
        )
    if kind == "sentiment":
        return detection.sentiment_drop(history["scores"], n, today["score_sum"], **rule)
    if kind == "rating":
        return detection.rating_drop(history["ratings"], n, today["rating_sum"], **rule)
    return detection.topic_growth(history["topics"], today["mentions"], **rule)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=40, help="synthetic projects per rule type and size")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{'rule':<10} {'size':>6} {'planted':>8} {'recall':>7} {'precision':>9}")
    false_rates = {}
    for kind, sizes in SIZES.items():
        for size in sizes:
            totals = defaultdict(int)
            for _ in range(args.projects):
                planted, caught, false, _judged = simulate(rng, kind, size)
                totals["planted"] += planted
                totals["caught"] += caught
                totals["false"] += false
            fired = totals["caught"] + totals["false"]
            recall = totals["caught"] / totals["planted"] if totals["planted"] else 0.0
            precision = totals["caught"] / fired if fired else 1.0
            print(f"{kind:<10} {size:>6g} {totals['planted']:>8} {recall:>7.1%} {precision:>9.1%}")
        false = judged = 0
        for _ in range(args.projects):
            _p, _c, f, j = simulate(rng, kind, None)
            false += f
            judged += j
        false_rates[kind] = (false, false / (judged / 365))
    print()
    print(f"{'rule':<10} {'false alerts':>12} {'per project-year':>17}  (no planted change)")
    for kind, (false, rate) in false_rates.items():
        print(f"{kind:<10} {false:>12} {rate:>17.2f}")


if __name__ == "__main__":
    main()
