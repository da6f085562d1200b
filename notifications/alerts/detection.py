"""Whether a window is surprising against the project's own history: pure functions, no database.

Every test here returns a :class:`Verdict`. The rules, stated once:

- **Baseline of a count** (:func:`count_baseline`): with at least :data:`SEASONAL_MIN_CYCLES`
  seasons of history (three weeks of days, three days of hours) the expectation is the recent
  level (the mean of the last :data:`LEVEL_CYCLES` seasons, which hold each weekday equally) times
  the seasonal factor of the window's weekday (or hour of day): the median of that weekday over
  the last :data:`BASELINE_CYCLES` seasons divided by the mean of every weekday's median (medians,
  so a past spike or outage does not bend the other weekdays). With less
  history it is the plain mean of the last :data:`PLAIN_DAYS` periods. History starts at the
  first period with data: the empty days before a project existed are no baseline.
- **Volume spike**: one-sided Poisson test, P(X >= observed) under the baseline, run only when
  the baseline expects at least :data:`MIN_EXPECTED` results (below that a handful of results is
  no evidence either way). The baseline is an estimate from Poisson counts itself, so the test
  uses the Poisson whose mean carries that estimate's variance (a gamma mixture, i.e. a negative
  binomial); measured on synthetic series (bench/alert_detection.py) this halves false alerts.
- **Negative share**: one-sided binomial test of the negatives among the window's results against
  the baseline's share (a Laplace-smoothed share, so a baseline with no negatives is not a share
  of zero), once the baseline holds :data:`MIN_BASELINE_RESULTS` results.
- **Average sentiment and rating drops**: a z test of the window's mean against the baseline's,
  with the spread of one result estimated from the day-to-day spread of the daily means (each day
  weighted by its count; day-level swings only widen it, which keeps the test conservative) and
  floored (:data:`SENTIMENT_SD_FLOOR`, :data:`RATING_SD_FLOOR`) so a quiet baseline never makes
  a small dip significant.
- **Topic**: Poisson test of the results mentioning a topic against its mean per period, the
  expectation floored at :data:`TOPIC_MIN_EXPECTED` so that a topic that has just appeared can be
  tested at all.
- **Keyword**: no test: the rule's own minimum count of matching results.

A window with fewer results than the rule's ``min_count`` never fires; a p-value must be below
the rule's ``significance``. A disabled, muted or cooling-down rule never fires
(:func:`quiet_reason`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from notifications.alerts.probability import binomial_sf, negative_binomial_sf, normal_cdf, poisson_sf

#: Periods in one season: a week of days, a day of hours.
SEASON = {"day": 7, "hour": 24}
#: How far back the baseline reads (8 weeks of days, 14 days of hours).
BASELINE_SPAN = {"day": 56, "hour": 14 * 24}
#: Fewer periods of history than this: no baseline, no test.
MIN_HISTORY = {"day": 7, "hour": 72}
SEASONAL_MIN_CYCLES = 3
BASELINE_CYCLES = 8
LEVEL_CYCLES = 2
PLAIN_DAYS = 28
MIN_EXPECTED = 5.0
MIN_BASELINE_RESULTS = 20
SENTIMENT_SD_FLOOR = 0.25  # scores run from -1 to 1
RATING_SD_FLOOR = 0.5  # stars
TOPIC_MIN_EXPECTED = 1.0
#: A rule's defaults: the model's field defaults, the form's and the API's initial values.
DEFAULT_SIGNIFICANCE = 0.001
DEFAULT_MIN_COUNT = 10
DEFAULT_COOLDOWN_HOURS = 24


@dataclass(frozen=True)
class Verdict:
    """What one test found in one window."""

    fired: bool
    observed: float
    expected: float | None
    statistic: float | None
    p_value: float | None
    test: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Baseline:
    expected: float
    method: str  # "seasonal" or "mean"
    periods: int  # how many periods of history it read
    # The estimate's own uncertainty (its variance over its square), from the counts it was
    # estimated from: the test widens by it, so a noisy baseline does not make noise significant.
    relative_variance: float = 0.0


def trim_leading_empty(history: Sequence[float]) -> list[float]:
    """The history from its first period with data (before it, the project had none)."""
    for i, value in enumerate(history):
        if value:
            return list(history[i:])
    return []


def count_baseline(history: Sequence[float], period: str = "day") -> Baseline | None:
    """What the next period is expected to hold, from ``history`` (oldest first, ending the period
    before the window, empty periods as 0). None: too little history."""
    history = trim_leading_empty(history)
    season = SEASON[period]
    if len(history) < MIN_HISTORY[period]:
        return None
    if len(history) >= SEASONAL_MIN_CYCLES * season:
        cycles = min(len(history) // season, BASELINE_CYCLES)
        window = history[-cycles * season :]
        # The window's length is a whole number of seasons: the next period's phase is index 0.
        # Medians per phase, so one past spike (or outage) does not bend every other weekday.
        typical = [statistics.median(window[phase::season]) for phase in range(season)]
        overall = sum(typical) / season
        same = window[0::season]
        factor = typical[0] / overall if overall else 1.0
        level_window = history[-LEVEL_CYCLES * season :]
        level = sum(level_window) / len(level_window)
        # A median's variance is about pi/2 times the mean's.
        spread = math.pi / 2 / max(sum(same), 1) + 1 / max(sum(level_window), 1)
        return Baseline(level * factor, "seasonal", len(window), spread)
    recent = history[-PLAIN_DAYS:]
    return Baseline(sum(recent) / len(recent), "mean", len(recent), 1 / max(sum(recent), 1))


def _silent(observed: float, test: str, reason: str, expected: float | None = None, **details) -> Verdict:
    return Verdict(False, observed, expected, None, None, test, {"skipped": reason, **details})


def volume_spike(
    history: Sequence[float],
    observed: int,
    *,
    period: str = "day",
    significance: float = DEFAULT_SIGNIFICANCE,
    min_count: int = 0,
) -> Verdict:
    """More results than the baseline of ``history`` explains (one-sided Poisson test)."""
    test = "poisson"
    baseline = count_baseline(history, period)
    if baseline is None:
        return _silent(observed, test, "too little history")
    details = {"baseline_method": baseline.method, "baseline_periods": baseline.periods}
    if baseline.expected < MIN_EXPECTED:
        return _silent(observed, test, "expected count below the minimum", baseline.expected, **details)
    p = negative_binomial_sf(int(observed), baseline.expected, baseline.relative_variance)
    details["baseline_relative_variance"] = round(baseline.relative_variance, 6)
    ratio = observed / baseline.expected
    fired = observed >= min_count and observed > baseline.expected and p < significance
    return Verdict(fired, observed, baseline.expected, ratio, p, test, details)


def negative_share(
    baseline_negative: int,
    baseline_total: int,
    negative: int,
    total: int,
    *,
    significance: float = DEFAULT_SIGNIFICANCE,
    min_count: int = 0,
) -> Verdict:
    """A larger share of negative results than the baseline's (one-sided binomial test)."""
    test = "binomial"
    share = negative / total if total else 0.0
    if baseline_total < MIN_BASELINE_RESULTS:
        return _silent(share, test, "too little history", baseline_results=baseline_total)
    if total < min_count or total == 0:
        return _silent(share, test, "fewer results than the minimum count", results=total)
    expected_share = (baseline_negative + 1) / (baseline_total + 2)
    p = binomial_sf(int(negative), int(total), expected_share)
    z = (negative - total * expected_share) / math.sqrt(total * expected_share * (1 - expected_share))
    details = {"negative": negative, "results": total, "baseline_negative": baseline_negative,
               "baseline_results": baseline_total}  # fmt: skip
    return Verdict(share > expected_share and p < significance, share, expected_share, z, p, test, details)


def _spread(daily: Sequence[tuple[float, float]], mean: float) -> float:
    # Each day's (count, sum): the count-weighted variance of the daily means around the mean
    # estimates the variance of one result when days differ only by sampling.
    days = [(n, s / n) for n, s in daily if n]
    if len(days) < 2:
        return 0.0
    return math.sqrt(sum(n * (m - mean) ** 2 for n, m in days) / (len(days) - 1))


def mean_drop(
    daily: Sequence[tuple[float, float]],
    count: float,
    total: float,
    *,
    sd_floor: float,
    test: str = "z-mean",
    significance: float = DEFAULT_SIGNIFICANCE,
    min_count: int = 0,
) -> Verdict:
    """The window's mean (``total`` / ``count``) is lower than the baseline's (one-sided z test).

    ``daily`` holds the baseline's (count, sum) per period."""
    base_n = sum(n for n, _ in daily)
    mean = total / count if count else 0.0
    if base_n < MIN_BASELINE_RESULTS:
        return _silent(mean, test, "too little history", baseline_results=base_n)
    if count < min_count or count == 0:
        return _silent(mean, test, "fewer results than the minimum count", results=count)
    base_mean = sum(s for _, s in daily) / base_n
    sd = max(_spread(daily, base_mean), sd_floor)
    se = sd * math.sqrt(1 / count + 1 / base_n)
    z = (mean - base_mean) / se
    p = normal_cdf(z)
    details = {"results": count, "baseline_results": base_n, "sd": round(sd, 4)}
    return Verdict(z < 0 and p < significance, mean, base_mean, z, p, test, details)


def sentiment_drop(daily, count, total, **kwargs) -> Verdict:
    """The average sentiment score fell (see :func:`mean_drop`)."""
    return mean_drop(daily, count, total, sd_floor=SENTIMENT_SD_FLOOR, test="z-sentiment", **kwargs)


def rating_drop(daily, count, total, **kwargs) -> Verdict:
    """The average rating fell (see :func:`mean_drop`)."""
    return mean_drop(daily, count, total, sd_floor=RATING_SD_FLOOR, test="z-rating", **kwargs)


def topic_growth(
    history: Sequence[float],
    observed: int,
    *,
    significance: float = DEFAULT_SIGNIFICANCE,
    min_count: int = 0,
) -> Verdict:
    """A topic mentioned by more results than it used to be (or newly), Poisson test."""
    test = "poisson-topic"
    mean = sum(history) / len(history) if history else 0.0
    expected = max(mean, TOPIC_MIN_EXPECTED)
    p = poisson_sf(int(observed), expected)
    details = {
        "baseline_mean": round(mean, 4),
        "baseline_periods": len(history),
        "appeared": not any(history),
    }
    fired = observed >= min_count and observed > expected and p < significance
    return Verdict(fired, observed, expected, observed / expected, p, test, details)


def keyword_count(matches: int, *, min_count: int) -> Verdict:
    """Enough results matching a rule's query arrived in the window."""
    return Verdict(matches >= max(1, min_count), matches, float(min_count), None, None, "count", {})


def quiet_reason(
    *,
    enabled: bool,
    muted_until: datetime | None,
    last_triggered_at: datetime | None,
    cooldown_hours: float,
    now: datetime,
) -> str | None:
    """Why a rule may not fire now ("disabled", "muted", "cooldown"), or None."""
    if not enabled:
        return "disabled"
    if muted_until is not None and muted_until > now:
        return "muted"
    if last_triggered_at is not None and last_triggered_at + timedelta(hours=cooldown_hours) > now:
        return "cooldown"
    return None
