"""The admin's list of results: every project's, newest stored first, filtered and searched with
the explorer's filters and search.

Django's change list would count every result (twice), sort them all on a field no index of the
whole collection serves, and run its search as patterns over every text. Here:

- the order is the id's, newest first: ids begin with the second a result was stored, and the
  ``_id`` index serves it on every server;
- on the embedded server a page is read in windows of that index
  (:class:`~analysis.results_store.windows.Stream`), fetching only the fields the filters check,
  until the page and one more match are found; then only the page's results are loaded whole. The
  windows are sized from the projects' counters (how many results, since when);
- on MongoDB it is the plain queryset in id order, counted up to :data:`MONGODB_COUNT_CAP`;
- counts: an unfiltered list counts from the projects' counters; a filtered one counts the
  matches it has read (then a lower bound: "at least"), and a read stops after
  :data:`SCAN_LIMIT` documents (``partial``: later pages may hold more).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Q

from analysis.models import Result
from analysis.results_store import filters, windows
from analysis.results_store.docs import projection as fields_of
from analysis.results_store.reads import results_in_order
from analysis.results_store.server import server_profile
from analysis.results_store.state import FilterState
from analysis.results_store.windows import Budget, Hint, Stream
from sentimatrix.mongo import collection

#: Documents one page's read may check on the embedded server.
SCAN_LIMIT = 30_000
#: Matches MongoDB counts before the list says "at least".
MONGODB_COUNT_CAP = 10_000
ZONE = UTC  # the admin's filters have no days


@dataclass
class AdminQuery:
    """The list's filters: the explorer's (``state``, status "all" unless asked) and the admin's
    own equalities beside them (``extra``: "not analysed", "not pinned")."""

    state: FilterState = field(default_factory=lambda: FilterState(status="all"))
    extra: list[filters.Filter] = field(default_factory=list)

    @property
    def filtered(self) -> bool:
        return bool(filters.active(self.state) or self.extra)

    def q(self) -> Q:
        q = filters.conditions(self.state, ZONE)
        for f in self.extra:
            q &= f.q(self.state, ZONE)
        return q

    def check(self):
        checks = [filters.check(self.state, ZONE), *(f.check(self.state, ZONE) for f in self.extra)]
        return lambda doc: all(c(doc) for c in checks)

    def paths(self) -> set[str]:
        return filters.paths(self.state) | {p for f in self.extra for p in f.paths}


@dataclass
class AdminPage:
    results: list[Result]
    number: int
    count: int
    at_least: bool = False  # the count is a lower bound
    partial: bool = False  # the read stopped before the end of the collection
    scanned: int = 0


def total_results(alias: str = "default") -> tuple[int | None, datetime | None]:
    """Every project's results, from their counters, and when the oldest project was made (no
    result is older): None when a project has no counter."""
    total, oldest = 0, None
    for doc in collection("projects", alias).find({}, {"stats.total_results": 1}):
        count = (doc.get("stats") or {}).get("total_results")
        if not isinstance(count, int):
            return None, None
        total += count
        made = doc["_id"].generation_time
        oldest = made if oldest is None or made < oldest else oldest
    return total, oldest


def page(query: AdminQuery, number: int, per_page: int, alias: str = "default") -> AdminPage:
    """Page ``number`` (from 1; the last one found when it asks beyond) of the matching results,
    newest stored first."""
    per_page, number = max(1, per_page), max(1, number)
    if not server_profile(alias).windowed:
        return _plain_page(query, number, per_page, alias)
    total, oldest = total_results(alias)
    if total is not None and not query.filtered:
        number = max(1, min(number, math.ceil(total / per_page)))
    need = number * per_page
    budget = Budget(SCAN_LIMIT)
    now = datetime.now(UTC).timestamp()
    stream = Stream(
        collection=collection("results", alias),
        prefix={},
        path="_id",
        line=windows.ID_LINE,
        descending=True,
        projection=fields_of({"_id": 1}, query.paths()),
        budget=budget,
        # Ids are made when results are stored: none is older than the oldest project, none newer
        # than now (a minute's slack for clocks).
        hint=Hint(oldest.timestamp() if oldest else None, now + 60, total),
        split_ties=False,
        first=min(windows.TARGET * 4, need + 1),
    )
    check = query.check()
    found: list = []
    for doc in stream:
        if check(doc):
            found.append(doc["_id"])
            if len(found) > need:
                break
    more = len(found) > need
    partial = budget.exhausted and not more
    if total is not None and not query.filtered and total >= len(found):
        count, at_least = total, False
    else:
        count, at_least = len(found), more or partial
    number = max(1, min(number, math.ceil(len(found) / per_page)))
    ids = found[(number - 1) * per_page : number * per_page]
    return AdminPage(results_in_order(ids), number, count, at_least, partial, budget.read)


def _plain_page(query: AdminQuery, number: int, per_page: int, alias: str) -> AdminPage:
    queryset = Result.objects.using(alias).filter(query.q()).order_by("-pk")
    count = queryset[: MONGODB_COUNT_CAP + 1].count()
    number = max(1, min(number, math.ceil(count / per_page)))
    bottom = (number - 1) * per_page
    return AdminPage(
        list(queryset[bottom : bottom + per_page]), number, count, at_least=count > MONGODB_COUNT_CAP
    )
