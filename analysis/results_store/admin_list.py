"""The admin's list of results: every project's, newest stored first, filtered and searched with
the explorer's filters and search.

Django's change list would count every result (twice), sort them all on a field no index of the
whole collection serves, and run its search as patterns over every text. Here:

- the order is newest stored first (``created_at``, ties by id), which the index
  ``results_created_id`` serves for the whole collection (see :mod:`sentimatrix.dbindexes`);
- on the embedded server a page is read in windows of that index
  (:class:`~analysis.results_store.windows.Stream`), fetching only the fields the filters check,
  until the page and one more match are found; then only the page's results are loaded whole. The
  windows are sized from the projects' counters (how many results, since when). (A range of ids
  alone is not read through the ``_id`` index by SecantusDB 0.7: every window would read the
  whole collection.);
- on MongoDB it is the plain queryset in that order, counted up to :data:`MONGODB_COUNT_CAP`;
- counts: an unfiltered list counts from the projects' counters; a filtered one counts the
  matches it has read (then a lower bound: "at least"), and a read stops after
  :data:`SCAN_LIMIT` documents (``partial``: later pages may hold more).
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Q

from analysis.models import Result
from analysis.results_store import filters, windows
from analysis.results_store.docs import aware
from analysis.results_store.docs import projection as fields_of
from analysis.results_store.reads import results_in_order
from analysis.results_store.server import server_profile
from analysis.results_store.sorting import DATE
from analysis.results_store.state import FilterState
from analysis.results_store.windows import Budget, Hint, Line, Stream
from sentimatrix.mongo import collection

#: Documents one page's read may check on the embedded server: a rare search stops there and
#: says so rather than read every result (reading 6,000 took about 0.6 s on a busy machine; page
#: 50 of an unfiltered list needs 2,501).
SCAN_LIMIT = 6_000
#: Matches MongoDB counts before the list says "at least".
MONGODB_COUNT_CAP = 10_000
ZONE = zoneinfo.ZoneInfo("UTC")  # the admin's filters have no days
LINE = Line(DATE)


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

    def check(self) -> Callable[[dict], bool]:
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


ORDER = ("-created_at", "-pk")
MEMORY = ("admin-list",)  # where the windows remember created_at values many results share


def total_results(alias: str = "default") -> tuple[int | None, datetime | None, datetime | None]:
    """Every project's results, from their counters, when the oldest project was made (no result
    was stored before) and when the last scrape ended (None: unknown); the total is None when a
    project has no counter."""
    total: int | None = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    for doc in collection("projects", alias).find({}, {"stats.total_results": 1, "stats.last_scrape_at": 1}):
        stats = doc.get("stats") or {}
        count = stats.get("total_results")
        total = total + count if isinstance(count, int) and total is not None else None
        made = doc["_id"].generation_time
        oldest = made if oldest is None or made < oldest else oldest
        last = aware(stats.get("last_scrape_at"))
        if isinstance(last, datetime):
            newest = last if newest is None or last > newest else newest
    return total, oldest, newest


def page(query: AdminQuery, number: int, per_page: int, alias: str = "default") -> AdminPage:
    """Page ``number`` (from 1; the last one found when it asks beyond) of the matching results,
    newest stored first."""
    per_page, number = max(1, per_page), max(1, number)
    if not server_profile(alias).windowed:
        return _plain_page(query, number, per_page, alias)
    total, oldest, newest = total_results(alias)
    if total is not None and not query.filtered:
        number = max(1, min(number, math.ceil(total / per_page)))
    need = number * per_page
    budget = Budget(SCAN_LIMIT)
    now = datetime.now(UTC).timestamp()
    high = min(now, newest.timestamp()) if newest else now
    stream = Stream(
        collection=collection("results", alias),
        prefix={},
        path="created_at",
        line=LINE,
        descending=True,
        projection=fields_of({"_id": 1, "created_at": 1}, query.paths()),
        budget=budget,
        # Results are stored after their project is made, and by the last scrape's end (a minute's
        # slack for clocks); a result dated before (made by a script) widens the range by a second
        # a result, not to one query of everything older. A hint only sizes the windows.
        hint=Hint(min(oldest.timestamp(), high - (total or 0)) if oldest else None, high + 60, total),
        split_ties=True,
        memory=(*MEMORY, alias),
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
    queryset = Result.objects.using(alias).filter(query.q()).order_by(*ORDER)
    count = queryset[: MONGODB_COUNT_CAP + 1].count()
    number = max(1, min(number, math.ceil(count / per_page)))
    bottom = (number - 1) * per_page
    return AdminPage(
        list(queryset[bottom : bottom + per_page]), number, count, at_least=count > MONGODB_COUNT_CAP
    )
