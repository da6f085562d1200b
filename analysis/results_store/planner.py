"""Which way a read runs, decided by what the server is (:mod:`analysis.results_store.server`).

On MongoDB every read is the plain queryset: the filters' conditions, the order, and the server
walks the order's index (sort and limit on the server, ``$text`` search where the text index
exists). On the embedded server a read is planned here:

- a **lookup** when a filter selects a few results by hand (a tag, pinned): the index on
  ``(project_id, <field>)`` finds them and they are checked and sorted in memory;
- otherwise a **windowed read** (:mod:`analysis.results_store.windows`) over the order's index
  ``(project_id, excluded, <field>, _id)``: one stream per value of ``excluded`` the status
  selects (and per chosen sentiment label, for a score order with a sentiment filter, through the
  index with the label before the score), merged in order; the other filters are checked in
  memory on the fields the read fetches, a range filter on the sorted field (ratings, dates)
  bounding the windows themselves;
- the plain queryset when neither can answer (relevance, which needs a text index).

Where the values of a stream lie (its :class:`~analysis.results_store.windows.Hint`) comes from
what the project already keeps: its counters (how many results, when the last scrape ended), its
daily statistics (the posted days) and, for a score order by label, a small sample of its newest
results. A hint only sizes windows; every value is read whatever it says.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from analysis.results_store import filters, windows
from analysis.results_store.docs import get_path
from analysis.results_store.docs import projection as fields_of
from analysis.results_store.filters import Check
from analysis.results_store.server import server_profile
from analysis.results_store.sorting import DATE, DEFAULT_SORT, SORTS, Sort
from analysis.results_store.windows import Budget, Hint, Line, Stream
from sentimatrix.mongo import collection, get_db

if TYPE_CHECKING:
    from analysis.results_store.reads import Selection

#: Newest results read to learn where each sentiment label's scores lie.
SAMPLE = 150
SCORE_DOMAIN = (-1.0, math.nextafter(1.0, 2.0))  # scores are validated to [-1, 1]
RATING_DOMAIN = (0.0, math.nextafter(100.0, 101.0))  # as the rating filter accepts
LABEL = "analysis.sentiment.label"


@dataclass
class Read:
    """A planned read on the embedded server: results in the order, filters checked."""

    descending: bool
    check: Check
    budget: Budget
    streams: list[Stream] = field(default_factory=list)
    lookup: Callable[[], list[dict]] | None = None  # candidates of a lookup, unsorted
    sort: Sort | None = None
    after: tuple | None = None
    total: int | None = None  # the project's results, from its counters

    def key(self, doc: dict) -> tuple:
        assert self.sort is not None  # set by plan() on every read that sorts here
        return self.sort.key_of(doc)

    def docs(self) -> Iterator[dict]:
        """Every candidate in order (the checks not applied)."""
        if self.lookup is not None:
            docs = sorted(self.lookup(), key=self.key, reverse=self.descending)
            if self.after is not None:
                docs = [
                    d
                    for d in docs
                    if (self.key(d) < self.after if self.descending else self.key(d) > self.after)
                ]
            yield from docs
            return
        if len(self.streams) == 1:
            yield from self.streams[0]
            return
        yield from heapq.merge(*self.streams, key=self.key, reverse=self.descending)

    def matches(self) -> Iterator[dict]:
        check = self.check
        return (doc for doc in self.docs() if check(doc))


def plan(
    selection: Selection, *, budget: Budget, after: tuple | None = None, first: int | None = None
) -> Read | None:
    """How to read the selection on this server: a :class:`Read`, or None for the plain queryset.

    ``after`` starts after a position (a sort key of :meth:`~analysis.results_store.sorting.Sort.
    key_of`); ``first`` is how many documents the first windows aim at (what the caller needs
    first). The read fetches the ids, the sorted field and the fields the filters check.
    """
    if not server_profile(selection.db).windowed:
        return None
    state = selection.state
    sort = SORTS.get(state.sort) or SORTS[DEFAULT_SORT]
    if sort.path is None:
        return None  # relevance: only the text index orders by it
    projection = fields_of(("_id", sort.path), filters.paths(state))
    read = Read(sort.descending, filters.check(state, selection.zone), budget, sort=sort, after=after)
    project_id = selection.project.pk
    for f in filters.active(state):
        lookup = f.lookup(state)
        if lookup is not None:
            # A hand-made selection (a tag, pinned): its index finds it; everything is checked here.
            query = {"project_id": project_id, **lookup}
            projection["excluded"] = 1

            def candidates(query: dict = query, projection: dict = projection) -> list[dict]:
                docs = list(collection("results", selection.db).find(query, projection))
                budget.spend(len(docs))
                return docs

            read.lookup = candidates
            return read
    read.check = filters.check(state, selection.zone, without=(filters.STATUS,))
    bounds = next(
        (b for f in filters.active(state) if (b := f.bounds(state, selection.zone, sort.path))), None
    )
    facts = ProjectFacts.read(project_id, selection.db)
    read.total = facts.total
    labels = state.sentiments if sort.path == "analysis.sentiment.score" and state.sentiments else None
    hints = _hints(sort, facts, labels, selection.db)
    for excluded in filters.STATUS.excluded_values(state):
        for label in labels or (None,):
            prefix = {"project_id": project_id, "excluded": excluded}
            if label is not None:
                prefix[LABEL] = label
            read.streams.append(
                Stream(
                    collection=collection("results", selection.db),
                    prefix=prefix,
                    path=sort.path,
                    line=Line(sort.kind),
                    descending=sort.descending,
                    projection=projection,
                    budget=budget,
                    bounds=bounds,
                    hint=hints.get(label, Hint()),
                    id_hint=facts.id_hint(),
                    heavy=sort.heavy,
                    after=after,
                    memory=(get_db(selection.db).name, str(project_id), sort.path, label),
                    nulls_expected=_nulls_expected(sort, facts, label),
                    first=first or windows.TARGET,
                )
            )
    return read


def _nulls_expected(sort: Sort, facts: ProjectFacts, label: str | None) -> int | None:
    """How many results of a stream lack the sorted value, when the counters tell: none with a
    sentiment label (a sentiment always has its score), the unanalysed ones for a score order."""
    if sort.path != "analysis.sentiment.score":
        return None
    return 0 if label is not None else facts.unanalysed()


# --- what the project tells about where its values lie ----------------------------------------


@dataclass(frozen=True)
class ProjectFacts:
    """The project's own record of its results: how many, since when, until when."""

    project_id: ObjectId
    total: int | None
    last_write: datetime | None
    analysed: int | None = None  # analysed results in statistics (stats.sentiment_count)

    @classmethod
    def read(cls, project_id: ObjectId, alias: str = "default") -> ProjectFacts:
        doc = collection("projects", alias).find_one(
            {"_id": project_id},
            {"stats.total_results": 1, "stats.last_scrape_at": 1, "stats.sentiment_count": 1},
        )
        stats = (doc or {}).get("stats") or {}
        total, last, analysed = (
            stats.get("total_results"),
            stats.get("last_scrape_at"),
            stats.get("sentiment_count"),
        )
        return cls(
            project_id,
            total if isinstance(total, int) else None,
            last,
            analysed if isinstance(analysed, int) else None,
        )

    def unanalysed(self) -> int | None:
        """About how many results have no sentiment (the excluded ones count among them)."""
        if self.total is None or self.analysed is None:
            return None
        return max(0, self.total - self.analysed)

    def stamp(self, alias: str) -> tuple:
        """What identifies the project's results as they are (a hint made from them holds while
        it is unchanged)."""
        return (get_db(alias).name, self.project_id, self.total, self.analysed, self.last_write)

    def newest(self) -> datetime:
        """About when the newest result was written: the last scrape's end, else now."""
        return self.last_write or datetime.now(UTC)

    def id_hint(self) -> Hint:
        # Results are stored after their project exists and (but for a running scrape) before
        # the last scrape ended; an id carries the second it was made in.
        low = self.project_id.generation_time
        high = self.newest() + timedelta(seconds=1)
        return Hint(low.timestamp(), high.timestamp(), self.total)


def _hints(sort: Sort, facts: ProjectFacts, labels: Sequence[str] | None, alias: str) -> dict:
    """Hints per stream, keyed by sentiment label (None for a stream of every label)."""
    line = Line(sort.kind)
    if sort.path == "created_at":
        return {None: Hint(None, line.to_number(facts.newest() + timedelta(seconds=1)), facts.total)}
    if sort.path == "content.date":
        return {None: _remembered(("posted", facts.stamp(alias)), lambda: _posted_days(facts, alias))}
    if sort.path == "analysis.sentiment.score":
        if not labels:
            return {None: Hint(*SCORE_DOMAIN, facts.total)}
        key = ("sampled", facts.stamp(alias), sort.path)
        return _remembered(key, lambda: _sampled(facts, sort, SCORE_DOMAIN, alias, by=LABEL))
    if sort.path == "content.rating":
        # Ratings are whole stars, read apart (the sort's heavy values): between them few or
        # none, so one query covers each gap; a value found there in bulk is learnt.
        return {None: Hint(*RATING_DOMAIN, 1)}
    return {}


#: Hints made from a project's daily statistics or a sample, kept per process while the project's
#: counters stay the same (and at most :data:`HINT_SECONDS`): a hint only sizes windows.
HINT_SECONDS = 300.0
_HINTS_KEPT = 256
_hints_made: dict[tuple, tuple[float, object]] = {}


def _remembered(key: tuple, make: Callable[[], Any]) -> Any:
    now = time.monotonic()
    found = _hints_made.get(key)
    if found is not None and now - found[0] < HINT_SECONDS:
        return found[1]
    if len(_hints_made) >= _HINTS_KEPT:
        _hints_made.clear()
    value = make()
    _hints_made[key] = (now, value)
    return value


def _posted_days(facts: ProjectFacts, alias: str) -> Hint:
    """The days the daily statistics hold (the posted day of each analysed result, else its
    collection day) and how many results they count."""
    days, count = [], 0
    for doc in collection("daily_stats", alias).find(
        {"project_id": facts.project_id}, {"day": 1, "count": 1}
    ):
        if isinstance(doc.get("day"), datetime):
            days.append(doc["day"])
            count += int(doc.get("count") or 0)
    if not days:
        return Hint()
    line = Line(DATE)
    return Hint(
        line.to_number(min(days)), line.to_number(max(days) + timedelta(days=1)), count or facts.total
    )


def _sampled(
    facts: ProjectFacts, sort: Sort, domain: tuple[float, float], alias: str, by: str | None = None
) -> dict:
    """Where the order's values lie (per value of ``by``), from the newest :data:`SAMPLE`
    results, widened by three times the gap a sample of that size leaves at each end on average:
    beyond the hint one query reads everything, within it windows stay narrow. The values read apart
    do not count towards the density of the ranges between them."""
    path = sort.path
    assert path is not None  # only sorts by a field are sampled
    sample = Stream(
        collection=collection("results", alias),
        prefix={"project_id": facts.project_id, "excluded": False},
        path="created_at",
        line=Line(DATE),
        descending=True,
        projection={"_id": 1, "created_at": 1, path: 1, **({by: 1} if by else {})},
        budget=Budget(SAMPLE),
        hint=_hints(SORTS[DEFAULT_SORT], facts, None, alias)[None],
        id_hint=facts.id_hint(),
    )
    values: dict = {}
    taken = 0
    heavy = set(sort.heavy)
    for doc in sample:
        taken += 1
        value = get_path(doc, path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values.setdefault(get_path(doc, by) if by else None, []).append(float(value))
        if taken >= SAMPLE:
            break
    total = facts.total or taken
    hints = {}
    for key, found in values.items():
        low, high = min(found), max(found)
        margin = (high - low + (domain[1] - domain[0]) / 100) * 3 / (len(found) + 1)
        between = sum(1 for v in found if v not in heavy)
        hints[key] = Hint(
            max(domain[0], low - margin), min(domain[1], math.nextafter(high, math.inf) + margin),
            max(1, round(total * between / max(taken, 1))),
        )  # fmt: skip
    return _Defaulting(hints, Hint(*domain, max(1, total // (taken + 1))))


class _Defaulting(dict):
    """Hints with one for the streams the sample did not see (a rare label: few results)."""

    def __init__(self, found: dict, default: Hint):
        super().__init__(found)
        self.default = default

    def get(self, key: Any, default: Any = None) -> Hint:
        return super().get(key, self.default)
