"""The reads the product makes of a project's results, each planned for the server it runs on.

- :func:`select`: a user's filters, search and sort on one project (:class:`Selection`), with
  the plain queryset they describe;
- :func:`page`: the explorer's page of a selection, with its count;
- :func:`keyset_page`: the API's page after a cursor position;
- :func:`export_batches`: every result of a selection, batch by batch;
- :func:`latest_analysed`: the newest analysed results of a project or target (the insights
  sample);
- :func:`first_matches`: the first results of a selection in its order (a period's sample);
- :func:`job_results`: the results a scrape job stored (its progress);
- :func:`pinned`: a project's pinned evidence;
- :func:`of_batch`: the results of a batch by id (alert rules read what a batch analysed);
- :func:`arrived`: the results collected in a time range (an hour's alert evidence).

Counts: on the embedded server a view without filters (but its status) is counted from the
project's counters. A filtered view counts the matches it reads: all of them in a project of up
to :data:`SCAN_LIMIT` results; in a larger one those of at most :data:`COUNT_READ` documents past
a full page, shown as a lower bound ("340+"), at most :data:`COUNT_CAP` ("1,000+"). A read
stops after :data:`SCAN_LIMIT` documents, and a page it could not fill then says how many it
checked (``paginator.partial``) rather than scanning the project. On MongoDB counts are the
server's, stopped at :data:`MONGODB_COUNT_CAP`.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from accounts.models import User
from analysis.models import Result
from analysis.results_store import filters, planner, search, windows
from analysis.results_store.docs import projection as fields_of
from analysis.results_store.params import Params
from analysis.results_store.server import server_profile
from analysis.results_store.sorting import DEFAULT_SORT, RELEVANCE, SORTS, rank, sort_value
from analysis.results_store.state import FilterState
from analysis.results_store.windows import Budget, Hint, Line, Stream
from projects.models import Project, Target
from sentimatrix.mongo import collection

#: Matches counted before a filtered page says "1,000+" (embedded server).
COUNT_CAP = 1000
#: Documents one page's read may fetch on the embedded server (its windows, its count).
SCAN_LIMIT = 1200
#: Documents read past a full page (those its windows already hold included) to count a filtered
#: view of a larger project.
COUNT_READ = 80
#: Matches MongoDB counts before a page says "10,000+".
MONGODB_COUNT_CAP = 10_000
#: Results read per batch by an export.
EXPORT_BATCH = 1000


class ProjectNotFound(LookupError):
    """The project does not exist or is not the user's (callers answer 404)."""


@dataclass
class Selection:
    """A user's view of one project's results: the parsed filters and the queryset they make."""

    project: Project
    state: FilterState
    zone: zoneinfo.ZoneInfo
    queryset: QuerySet  # every match, in the view's order (the plain path)

    @property
    def db(self) -> str:
        return self.queryset.db


def select(
    user: User, project: Project, params: Params, *, targets: dict[str, str] | None = None
) -> Selection:
    """The project's results that match ``params`` (a ``QueryDict`` or a dict), for ``user``.

    The project must be the user's (else :class:`ProjectNotFound`); the selection never leaves
    it. ``targets`` (string id -> label) saves a query when the caller has them. The state's
    ``terms`` are what to highlight, ``search_mode`` how the search ran.
    """
    if project.user_id != user.pk:
        raise ProjectNotFound(str(project.pk))
    if targets is None:
        target_ids = [
            str(pk) for pk in Target.objects.filter(project_id=project.pk).values_list("pk", flat=True)
        ]
    else:
        target_ids = list(targets)
    state = FilterState.parse(params, target_ids=target_ids)
    zone = state.time_zone(user.settings.timezone)
    queryset = Result.objects.filter(project_id=project.pk).filter(
        filters.conditions(state, zone, without=(filters.SEARCH,))
    )
    outcome = search.search_results(queryset, state.q)
    state.terms, state.search_mode = outcome.terms, outcome.mode
    queryset = outcome.queryset
    if state.sort == RELEVANCE and not outcome.ranked:
        state.sort = DEFAULT_SORT  # no relevance without the text index: fall back quietly
    if state.sort != RELEVANCE:
        queryset = queryset.order_by(*SORTS[state.sort].ordering())
    return Selection(project, state, zone, queryset)


# --- the explorer's pages -------------------------------------------------------------------


class WindowPaginator(Paginator):
    """A paginator whose count is given: exact, or a lower bound (``at_least``).

    ``partial``: the read stopped after ``scanned`` documents, before the page was full; other
    matches may lie beyond what it checked.
    """

    def __init__(self, per_page: int, count: int, *, at_least: bool = False, cap: int | None = None):
        super().__init__([], per_page)
        self.__dict__["count"] = count
        self.at_least = at_least
        self.cap = COUNT_CAP if cap is None else cap
        self.partial = False
        self.scanned = 0

    @property
    def shown_count(self) -> int:
        """The count to print: capped when it is a lower bound."""
        return min(self.count, self.cap) if self.at_least else self.count


def paginate(queryset: QuerySet, number: int, per_page: int) -> Page:
    """The plain page ``number`` (the last one when it asks beyond the end), exactly counted."""
    return Paginator(queryset, max(1, per_page)).get_page(number)


def page(selection: Selection, per_page: int) -> Page:
    """The page the selection's state asks for, in its order, with its count (see the module
    docstring for how each server counts)."""
    per_page = max(1, per_page)
    state = selection.state
    budget = Budget(SCAN_LIMIT)
    # The first windows aim at what the page needs (twice, as some will not match).
    read = planner.plan(selection, budget=budget, first=min(windows.TARGET, 2 * state.page * per_page))
    if read is None:
        return _server_counted_page(selection, per_page)
    known = None
    if not [k for k, _ in state.filter_params() if k not in {"status", "tz", "date_field"}]:
        known = status_count(selection.project.pk, state.status, selection.db)
    number = state.page
    if known is not None:
        number = max(1, min(number, math.ceil(known / per_page)))
    need = number * per_page
    if need > COUNT_CAP and read.lookup is None:
        return paginate(selection.queryset, state.page, per_page)
    found: list = []
    stopped = counting = False
    small = read.total is not None and read.total <= SCAN_LIMIT
    for examined, doc in enumerate(read.docs(), start=1):
        if not read.check(doc):
            continue
        found.append(doc["_id"])
        if len(found) > need and (known is not None or len(found) > COUNT_CAP):
            stopped = True
            break
        if len(found) > need and not counting and not small and budget.limit is not None:
            # The page is full: count what the windows already read, and at most COUNT_READ
            # documents in all past this point, not the project.
            counting = True
            fetched = budget.read - examined
            budget.limit = min(budget.limit, budget.read + max(0, COUNT_READ - fetched))
    partial = budget.exhausted and len(found) <= need
    if not stopped and not budget.exhausted:
        count, at_least = len(found), False
    elif known is not None:
        if known < len(found):  # the counters drifted (a rebuild puts them right): count exactly
            return paginate(selection.queryset, state.page, per_page)
        count, at_least = known, False
    else:
        count, at_least = len(found), True
    paginator = WindowPaginator(per_page, count, at_least=at_least)
    paginator.partial, paginator.scanned = partial, budget.read
    number = max(1, min(number, paginator.num_pages))
    ids = found[(number - 1) * per_page : number * per_page]
    return Page(results_in_order(ids), number, paginator)


def _server_counted_page(selection: Selection, per_page: int) -> Page:
    """MongoDB: the server counts (up to its cap) and returns the page's slice."""
    queryset = selection.queryset
    count = queryset[: MONGODB_COUNT_CAP + 1].count()
    paginator = WindowPaginator(per_page, count, at_least=count > MONGODB_COUNT_CAP, cap=MONGODB_COUNT_CAP)
    number = max(1, min(selection.state.page, paginator.num_pages))
    bottom = (number - 1) * per_page
    return Page(list(queryset[bottom : bottom + per_page]), number, paginator)


def status_count(project_id: ObjectId, status: str, alias: str = "default") -> int | None:
    """The number of results of ``status`` from the project's counters, None when unknown.

    ``stats.total_results`` counts every result collected (kept by the scrape runner and
    ``analysis.stats.rebuild``); the excluded ones are read by their index (triage excludes few).
    """
    doc = collection("projects", alias).find_one({"_id": project_id}, {"stats.total_results": 1})
    total = ((doc or {}).get("stats") or {}).get("total_results")
    if not isinstance(total, int):
        return None
    if status == "all":
        return total
    excluded = sum(
        1 for _ in collection("results", alias).find({"project_id": project_id, "excluded": True}, {"_id": 1})
    )
    return excluded if status == "excluded" else total - excluded


def results_in_order(ids: list) -> list[Result]:
    """The results of ``ids`` as model instances, in that order (one query by primary key)."""
    by_id = {r.pk: r for r in Result.objects.filter(pk__in=ids)} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


# --- the API's pages ----------------------------------------------------------------------------


def position(value: Any, pk: ObjectId) -> tuple:
    """A cursor's position (the last item's sort value and id) as a sort key of the order."""
    return (*rank(sort_value(value)), pk)


def keyset_page(selection: Selection, after: tuple | None, size: int) -> list[Result] | None:
    """Up to ``size`` results after the position ``after`` (from :func:`position`; None: from the
    start), in the selection's order; None when the plain queryset answers instead (MongoDB)."""
    read = planner.plan(selection, budget=Budget(None), after=after)
    if read is None:
        return None
    ids = []
    for doc in read.matches():
        ids.append(doc["_id"])
        if len(ids) >= size:
            break
    return results_in_order(ids)


# --- exports ------------------------------------------------------------------------------------


def mql_pipeline(queryset: QuerySet) -> list[dict]:
    """The aggregation pipeline the backend runs for ``queryset`` (its $match, sort, limits)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    compiler.pre_sql_setup()
    columns = compiler.columns if queryset.query.annotations or not queryset.query.default_cols else None
    return compiler.build_query(columns).get_pipeline()


def _field_path(expression: Any) -> str | None:
    """``"$a"`` or nested ``{"$getField": ...}`` of a plain path -> ``"a.b.c"``; else None."""
    if isinstance(expression, str) and expression.startswith("$") and not expression.startswith("$$"):
        return expression[1:]
    if isinstance(expression, dict) and set(expression) == {"$getField"}:
        inner = expression["$getField"]
        parent = _field_path(inner.get("input")) if isinstance(inner, dict) else None
        field = inner.get("field") if isinstance(inner, dict) else None
        if parent and isinstance(field, str) and not field.startswith("$"):
            return f"{parent}.{field}"
    return None


def find_spec(pipeline: list[dict]) -> tuple[dict, list[tuple[str, int]]] | None:
    """The pipeline as ``find(filter).sort(keys)`` when it is only a match, plain-field aliases and a
    sort (the explorer's usual shape); None otherwise.

    A find sorted on real paths can walk the (project_id, created_at) index on MongoDB, and
    skips an aggregation stage on every server.
    """
    query: dict = {}
    aliases: dict[str, str] = {}
    sort: list[tuple[str, int]] = []
    for stage in pipeline:
        ((name, body),) = stage.items()
        if name == "$match" and not query and not sort:
            query = body
        elif name == "$addFields" and not sort:
            for alias, expression in body.items():
                path = _field_path(expression)
                if path is None:
                    return None
                aliases[alias] = path
        elif name == "$sort" and not sort:
            sort = [(aliases.get(key, key), direction) for key, direction in body.items()]
        else:
            return None
    return query, sort


def export_batches(
    selection: Selection, projection: dict, batch_size: int = EXPORT_BATCH
) -> Iterator[list[dict]]:
    """Every result of the selection (raw, ``projection`` only), in its order, ``batch_size`` at
    a time through one cursor: an export of any size holds one batch."""
    pipeline = mql_pipeline(selection.queryset)
    results = collection("results", selection.db)
    spec = find_spec(pipeline)
    if spec is not None:
        query, sort = spec
        cursor = results.find(query, projection, batch_size=batch_size, allow_disk_use=True)
        if sort:
            cursor = cursor.sort(sort)
    else:
        cursor = results.aggregate(
            [*pipeline, {"$project": projection}], batchSize=batch_size, allowDiskUse=True
        )
    try:
        batch: list[dict] = []
        for doc in cursor:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        cursor.close()


# --- the insights sample, job progress, pinned evidence ---------------------------------------


def _analysed_in_statistics(doc: dict) -> bool:
    return bool((doc.get("analysis") or {}).get("sentiment")) and not doc.get("excluded")


def latest_analysed(
    project_id: ObjectId,
    target_id: ObjectId | None = None,
    *,
    limit: int,
    projection: dict,
    now: datetime | None = None,
    alias: str = "default",
) -> list[dict]:
    """The newest ``limit`` analysed, non-excluded results of a project or target (raw
    documents, ``projection`` and ``created_at``), newest collected first, ties by id.

    On the embedded server the project's results are read in windows of the (project_id,
    excluded, created_at, _id) index, a target's of (target_id, created_at), and whether a result
    is analysed is checked here, so the sample costs about its size whatever the project holds.
    On MongoDB it is one indexed query read until the sample is full.
    """
    owner = {"target_id": target_id} if target_id else {"project_id": project_id, "excluded": False}
    fields = fields_of(projection, ("created_at", "excluded", "analysis.sentiment"))
    if not server_profile(alias).windowed:
        docs = collection("results", alias).find(owner, fields).sort([("created_at", -1), ("_id", -1)])
        found = []
        try:
            for doc in docs:
                if _analysed_in_statistics(doc):
                    found.append(doc)
                    if len(found) >= limit:
                        break
        finally:
            docs.close()
        return found
    facts = planner.ProjectFacts.read(project_id, alias)
    newest = max(facts.newest(), now) if now else facts.newest()
    stream = Stream(
        collection=collection("results", alias),
        prefix=owner,
        path="created_at",
        line=Line("date"),
        descending=True,
        projection=fields,
        budget=Budget(None),
        hint=Hint(None, Line("date").to_number(newest) + 60, facts.total),
        id_hint=facts.id_hint(),
        split_ties=not target_id,  # the target's index has no id after created_at
    )
    found = []
    for doc in stream:
        if _analysed_in_statistics(doc):
            found.append(doc)
            if len(found) >= limit:
                break
    return found


def first_matches(selection: Selection, limit: int, projection: dict) -> list[dict]:
    """The first ``limit`` results of the selection in its order (raw documents, ``projection``).

    On the embedded server the read is planned as a page's (windows over the order's index, a
    date range bounding them), so it costs about ``limit`` whatever the project holds; on MongoDB
    it is the plain queryset's first ``limit``. The documents are then fetched by id.
    """
    read = planner.plan(selection, budget=Budget(None), first=limit)
    if read is None:
        ids = list(selection.queryset.values_list("pk", flat=True)[:limit])
    else:
        ids = []
        for doc in read.matches():
            ids.append(doc["_id"])
            if len(ids) >= limit:
                break
    if not ids:
        return []
    found = {d["_id"]: d for d in collection("results", selection.db).find({"_id": {"$in": ids}}, projection)}
    return [found[i] for i in ids if i in found]


def job_results(job_id: ObjectId, projection: dict, alias: str = "default") -> Iterator[dict]:
    """The results a scrape job stored (raw, ``projection`` only).

    The query names only the indexed ``scrape_job_id``: the embedded server plans a query with
    any other condition as a scan of the collection, so callers check the rest themselves.
    """
    cursor = collection("results", alias).find({"scrape_job_id": job_id}, projection)
    try:
        yield from cursor
    finally:
        cursor.close()


def pinned(project: Project, limit: int, alias: str = "default") -> list[Result]:
    """The project's pinned results in statistics, newest collected first (at most ``limit``).

    On the embedded server the (project_id, pinned) index finds them and they are ordered here;
    on MongoDB the same index serves the query and its order.
    """
    if not server_profile(alias).windowed:
        return list(
            Result.objects.using(alias)
            .filter(project_id=project.pk, pinned=True)
            .exclude(excluded=True)
            .order_by("-created_at", "-pk")[:limit]
        )
    docs = collection("results", alias).find(
        {"project_id": project.pk, "pinned": True}, {"_id": 1, "created_at": 1, "excluded": 1}
    )
    kept = [d for d in docs if d.get("excluded") is not True]
    kept.sort(key=lambda d: (rank(sort_value(d.get("created_at"))), d["_id"]), reverse=True)
    return results_in_order([d["_id"] for d in kept[:limit]])


def of_batch(project_id: ObjectId, ids: list, projection: dict, alias: str = "default") -> list[dict]:
    """The project's results among ``ids`` (raw, ``projection`` and ``project_id``).

    The query names only ``_id`` (the embedded server plans a query with another condition as a
    scan of the collection); the project is checked here, so an id of another project is left out.
    """
    fields = fields_of(projection, ("project_id",))
    return [
        doc
        for doc in collection("results", alias).find({"_id": {"$in": list(ids)}}, fields)
        if doc.get("project_id") == project_id
    ]


def arrived(
    project_id: ObjectId, start: datetime, end: datetime, projection: dict, alias: str = "default"
) -> Iterator[dict]:
    """The project's results in the statistics' status (not excluded) collected in [start, end),
    oldest first (raw, ``projection``): one range of the (project_id, excluded, created_at, _id)
    index, so it costs what the range holds."""
    cursor = (
        collection("results", alias)
        .find(
            {"project_id": project_id, "excluded": False, "created_at": {"$gte": start, "$lt": end}},
            projection,
        )
        .sort([("created_at", 1), ("_id", 1)])
    )
    try:
        yield from cursor
    finally:
        cursor.close()
