"""The aggregates an alert rule reads: daily and hourly counts of its scope, never results.

The analysis app keeps them (:mod:`analysis.stats`): ``daily_stats`` per (target, posted day)
and ``hourly_stats`` per (target, hour of collection). An evaluation reads the project's
documents of the periods it judges and their baseline in one indexed query on
(project_id, day|hour), whatever the project holds, and sums them per period for each rule's
scope in memory (a query naming targets or platforms too would not be served by that index on
the embedded server).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from analysis.stats import DAILY, HOURLY
from sentimatrix.mongo import collection

#: The aggregate collection and its period field, per rule period.
SOURCES = {"day": (DAILY, "day"), "hour": (HOURLY, "hour")}
STEP = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


@dataclass(frozen=True)
class Scope:
    """Which of a project's targets and platforms a rule watches (empty: all of them)."""

    target_ids: frozenset = frozenset()
    platforms: frozenset = frozenset()

    @classmethod
    def of(cls, rule) -> Scope:
        return cls(frozenset(rule.target_ids or ()), frozenset(rule.platforms or ()))

    def holds(self, doc: dict) -> bool:
        """Whether a result or an aggregate document (``target_id``, ``platform``) is in scope."""
        return (not self.target_ids or doc.get("target_id") in self.target_ids) and (
            not self.platforms or doc.get("platform") in self.platforms
        )

    def as_params(self) -> dict:
        """The scope as the explorer's filter parameters."""
        return {"target": [str(t) for t in self.target_ids], "platform": sorted(self.platforms)}


def _flatten(doc: dict, prefix: str = "") -> Iterable[tuple[str, float]]:
    for key, value in doc.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield f"{prefix}{key}", value


class Aggregates:
    """A project's aggregate documents of one period kind between two periods (inclusive)."""

    def __init__(self, project_id, period: str, first: datetime, last: datetime) -> None:
        name, self.field = SOURCES[period]
        self.period, self.first, self.last = period, first, last
        self.docs = list(
            collection(name).find({"project_id": project_id, self.field: {"$gte": first, "$lte": last}})
        )
        self._sums: dict[Scope, dict[datetime, Counter]] = {}

    def sums(self, scope: Scope) -> dict[datetime, Counter]:
        """Every counter (``count``, ``labels.negative``, ``topics.<key>`` ...) summed per period
        over the scope's documents."""
        if scope not in self._sums:
            per: dict[datetime, Counter] = defaultdict(Counter)
            for doc in self.docs:
                if scope.holds(doc):
                    per[_naive(doc[self.field])].update(dict(_flatten(doc)))
            self._sums[scope] = per
        return self._sums[scope]

    def history(self, scope: Scope, window: datetime, span: int) -> list[Counter]:
        """The ``span`` periods before ``window``, oldest first (empty ones as empty counters)."""
        sums, step = self.sums(scope), STEP[self.period]
        return [sums.get(_naive(window - step * i), Counter()) for i in range(span, 0, -1)]

    def at(self, scope: Scope, window: datetime) -> Counter:
        return self.sums(scope).get(_naive(window), Counter())


def _naive(when: datetime) -> datetime:
    # The server returns naive UTC datetimes; periods computed here are aware: compare as naive.
    return when.replace(tzinfo=None)
