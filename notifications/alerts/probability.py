"""Tail probabilities of the distributions the alert tests use, written with ``math`` only.

scipy is a development requirement (model training), not one of the product's, so the tails are
summed here in log space: exact sums of probability masses, not approximations, accurate down
to the smallest p-values a significance level ever compares against.
"""

from __future__ import annotations

import math

# Terms smaller than this fraction of the running sum no longer change it.
_NEGLIGIBLE = 1e-17


def _log_poisson(k: int, mu: float) -> float:
    return k * math.log(mu) - mu - math.lgamma(k + 1)


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu): how surprising ``k`` or more events are."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if k <= mu:
        # The upper tail is large: one minus the (short) lower sum is exact enough.
        lower = sum(math.exp(_log_poisson(i, mu)) for i in range(k))
        return max(0.0, 1.0 - lower)
    # Terms fall from k on (k > mu): sum them until they stop counting.
    log_first = _log_poisson(k, mu)
    total, term, i = 1.0, 1.0, k
    while True:
        i += 1
        term *= mu / i
        total += term
        if term < _NEGLIGIBLE * total:
            break
    return min(1.0, math.exp(log_first + math.log(total)))


def _log_binomial(k: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    if k <= n * p:
        lower = sum(math.exp(_log_binomial(i, n, p)) for i in range(k))
        return max(0.0, 1.0 - lower)
    log_first = _log_binomial(k, n, p)
    total, term, ratio = 1.0, 1.0, p / (1 - p)
    for i in range(k, n):
        term *= (n - i) / (i + 1) * ratio
        total += term
        if term < _NEGLIGIBLE * total:
            break
    return min(1.0, math.exp(log_first + math.log(total)))


def normal_cdf(z: float) -> float:
    """P(Z <= z) for a standard normal Z."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def negative_binomial_sf(k: int, mean: float, relative_variance: float) -> float:
    """P(X >= k) for a Poisson count whose mean is itself uncertain (a gamma mixture): mean
    ``mean``, variance ``mean + relative_variance * mean**2``. With no uncertainty
    (``relative_variance`` 0) this is :func:`poisson_sf`."""
    if relative_variance <= 0:
        return poisson_sf(k, mean)
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    r = 1.0 / relative_variance
    q = mean / (r + mean)  # the chance of one more event; p = 1 - q

    def log_pmf(i: int) -> float:
        return math.lgamma(i + r) - math.lgamma(r) - math.lgamma(i + 1) + r * math.log1p(-q) + i * math.log(q)

    mode = (r - 1) * q / (1 - q) if r > 1 else 0.0
    if k <= mode:
        lower = sum(math.exp(log_pmf(i)) for i in range(k))
        return max(0.0, 1.0 - lower)
    total, term, i = 1.0, 1.0, k
    while True:
        term *= (i + r) / (i + 1) * q
        i += 1
        total += term
        if term < _NEGLIGIBLE * total:
            break
    return min(1.0, math.exp(log_pmf(k) + math.log(total)))
