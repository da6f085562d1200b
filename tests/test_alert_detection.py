"""The alert detection's pure functions: tail probabilities against known values, baselines, and
each test firing on a planted change and staying silent without it."""

from datetime import UTC, datetime, timedelta

import pytest

from notifications.alerts import detection
from notifications.alerts.probability import binomial_sf, negative_binomial_sf, normal_cdf, poisson_sf

# Known values (scipy.stats: poisson.sf(k - 1, mu), binom.sf(k - 1, n, p), nbinom.sf(k - 1, r, r / (r + mu)),
# norm.cdf(z)).
POISSON = [
    (0, 3.0, 1.0),
    (1, 3.0, 0.950212931632136),
    (3, 3.0, 0.5768099188731566),
    (10, 3.0, 0.0011024881301154815),
    (30, 10.0, 2.509951201527959e-07),
    (60, 20.0, 4.2332846947129256e-13),
    (5, 0.5, 0.00017211562995584072),
    (200, 100.0, 9.343150072988544e-19),
]
BINOMIAL = [
    (5, 10, 0.3, 0.15026833259999992),
    (20, 50, 0.2, 0.0009324364894211258),
    (40, 100, 0.2, 3.6084201146408714e-06),
    (10, 10, 0.5, 0.0009765625),
    (3, 1000, 0.001, 0.080209342840201),
    (300, 1000, 0.2, 3.811044687488596e-14),
]
NEGATIVE_BINOMIAL = [
    (10, 3.0, 0.1, 0.004864110911012725),
    (30, 10.0, 0.05, 5.870963395339987e-05),
    (60, 20.0, 0.02, 6.5450236408206e-09),
    (5, 5.0, 0.5, 0.451555049341686),
    (2, 3.0, 0.2, 0.7258186340332031),
]


@pytest.mark.parametrize(("k", "mu", "expected"), POISSON)
def test_poisson_upper_tail_matches_known_values(k, mu, expected):
    assert poisson_sf(k, mu) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("k", "n", "p", "expected"), BINOMIAL)
def test_binomial_upper_tail_matches_known_values(k, n, p, expected):
    assert binomial_sf(k, n, p) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("k", "mu", "v", "expected"), NEGATIVE_BINOMIAL)
def test_negative_binomial_upper_tail_matches_known_values(k, mu, v, expected):
    assert negative_binomial_sf(k, mu, v) == pytest.approx(expected, rel=1e-9)


def test_negative_binomial_without_uncertainty_is_poisson_and_normal_cdf_is_right():
    assert negative_binomial_sf(30, 10.0, 0.0) == poisson_sf(30, 10.0)
    assert normal_cdf(-1.96) == pytest.approx(0.024997895148220435, rel=1e-12)
    assert normal_cdf(-3.090232306167813) == pytest.approx(0.001, rel=1e-9)
    assert normal_cdf(0) == 0.5


WEEK = [30, 28, 25, 25, 22, 12, 10]  # Monday .. Sunday


def test_baseline_follows_the_weekday_once_there_are_three_weeks():
    history = WEEK * 4  # ends on a Sunday: the next day is a Monday
    baseline = detection.count_baseline(history)
    assert baseline.method == "seasonal"
    assert baseline.expected == pytest.approx(30.0)
    assert detection.count_baseline([*history[1:], 30]).expected == pytest.approx(28.0)  # a Tuesday next


def test_a_past_spike_does_not_bend_the_other_weekdays_baseline():
    history = WEEK * 8
    history[7 * 3 + 1] = 300  # a Tuesday five weeks ago
    assert detection.count_baseline(history).expected == pytest.approx(30.0)


def test_baseline_is_the_plain_mean_with_less_history_and_none_with_too_little():
    baseline = detection.count_baseline([0, 0, 0, *WEEK, *WEEK[:5]])  # leading empty days are no history
    assert baseline.method == "mean"
    assert baseline.periods == 12
    assert baseline.expected == pytest.approx(sum(WEEK + WEEK[:5]) / 12)
    assert detection.count_baseline([0] * 30 + [5] * 6) is None


def test_volume_spike_fires_on_a_planted_spike_and_not_on_an_ordinary_day():
    history = WEEK * 8
    assert detection.volume_spike(history, 80, min_count=10).fired
    ordinary = detection.volume_spike(history, 34, min_count=10)
    assert not ordinary.fired
    assert ordinary.p_value > 0.01


def test_volume_spike_needs_the_minimum_expected_and_the_minimum_count():
    quiet = [1, 2, 0, 1, 3, 1, 2] * 4
    verdict = detection.volume_spike(quiet, 30, min_count=10)
    assert not verdict.fired and verdict.details["skipped"] == "expected count below the minimum"
    assert not detection.volume_spike(WEEK * 8, 80, min_count=100).fired


def test_negative_share_fires_on_a_planted_rise_only():
    assert detection.negative_share(200, 1000, 25, 40, min_count=10).fired
    assert not detection.negative_share(200, 1000, 9, 40, min_count=10).fired
    assert not detection.negative_share(200, 1000, 9, 9, min_count=10).fired  # too few results


def test_sentiment_drop_fires_on_a_planted_drop_only():
    daily = [(20, 20 * (0.3 + (0.05 if i % 2 else -0.05))) for i in range(56)]
    assert detection.sentiment_drop(daily, 40, 40 * -0.2, min_count=10).fired
    assert not detection.sentiment_drop(daily, 40, 40 * 0.28, min_count=10).fired
    assert not detection.sentiment_drop(daily, 40, 40 * 0.9, min_count=10).fired  # a rise is no drop


def test_rating_drop_fires_on_a_planted_drop_only():
    daily = [(10, 10 * 4.3) for _ in range(56)]
    assert detection.rating_drop(daily, 30, 30 * 3.4, min_count=10).fired
    # The spread floor: a perfectly steady baseline does not make a small dip significant.
    assert not detection.rating_drop(daily, 30, 30 * 4.1, min_count=10).fired


def test_topic_fires_when_it_appears_or_grows_and_not_at_its_usual_level():
    assert detection.topic_growth([0] * 56, 12, min_count=10).details["appeared"]
    assert detection.topic_growth([0] * 56, 12, min_count=10).fired
    assert detection.topic_growth([3, 4] * 28, 25, min_count=10).fired
    assert not detection.topic_growth([3, 4] * 28, 6, min_count=10).fired
    assert not detection.topic_growth([0] * 56, 9, min_count=10).fired


def test_keyword_count_fires_at_the_minimum():
    assert detection.keyword_count(3, min_count=3).fired
    assert not detection.keyword_count(2, min_count=3).fired


def test_quiet_reasons():
    now = datetime(2030, 7, 17, 12, tzinfo=UTC)
    rule = {"enabled": True, "muted_until": None, "last_triggered_at": None, "cooldown_hours": 24, "now": now}
    assert detection.quiet_reason(**rule) is None
    assert detection.quiet_reason(**{**rule, "enabled": False}) == "disabled"
    assert detection.quiet_reason(**{**rule, "muted_until": now + timedelta(minutes=1)}) == "muted"
    assert detection.quiet_reason(**{**rule, "muted_until": now - timedelta(minutes=1)}) is None
    assert detection.quiet_reason(**{**rule, "last_triggered_at": now - timedelta(hours=23)}) == "cooldown"
    assert detection.quiet_reason(**{**rule, "last_triggered_at": now - timedelta(hours=25)}) is None
