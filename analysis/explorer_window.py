"""The explorer's pages on servers that cannot walk an index in order (the embedded one).

SecantusDB uses an index only when every condition of a query is on that index's fields, and it
sorts and counts by reading every match: the plain queryset of :func:`analysis.explorer.
filter_results` costs a read of the whole project there, twice (count, then page). For the default
order (newest collected) without a search, :func:`page_for` instead:

- reads the project's results newest first in created_at windows (:data:`WINDOWS_SECONDS`, as
  ``analysis.insights_cache.latest_analysed`` does), each query naming only the fields of
  ``results_project_excluded_created`` (or ``results_project_created`` for "all"), with a
  projection of the fields the filters look at; the other filters are checked here
  (:func:`matcher`, the same rules as the ORM lookups of ``analysis.explorer``), and the page's
  results are then loaded by primary key, in the same order as the queryset's;
- counts without reading the results when nothing but the status is filtered: the project's
  ``stats.total_results`` (every result collected, kept by the scrape runner and
  ``analysis.stats.rebuild``) minus the excluded ones (an indexed query; triage excludes few);
- otherwise counts while reading, up to :data:`COUNT_CAP` matches: past that the page says
  "1,000+ results" and its pagination has next/previous without a last page number.

Pages past :data:`COUNT_CAP` results, other sorts and searches take the plain queryset (the same
results and order, the exact count). On MongoDB the plain queryset is used throughout: it walks
the index in order and counts the index range.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from analysis.explorer import DEFAULT_SORT, day_bounds, paginate
from analysis.insights_cache import WINDOWS_SECONDS
from analysis.models import Result
from sentimatrix.mongo import collection, get_db

#: Matches counted before a filtered page says "1,000+".
COUNT_CAP = 1000
#: Results read past a filled page while counting a sparse filter; then the count is "N+".
COUNT_READ_BUDGET = 5000
FIELDS = {
    "_id": 1, "created_at": 1, "target_id": 1, "platform": 1, "analysis.sentiment.label": 1,
    "analysis.emotions.primary": 1, "language": 1, "content.rating": 1, "content.date": 1,
    "flags.rating_disagreement": 1, "pinned": 1, "tags": 1,
}  # fmt: skip

_server_cache: dict[str, bool] = {}


def windowed_server(alias: str = "default") -> bool:
    """Whether the server is the embedded SecantusDB (its buildInfo says so; cached per process)."""
    db = get_db(alias)
    if db.name not in _server_cache:
        _server_cache[db.name] = "secantusVersion" in db.client.admin.command("buildInfo")
    return _server_cache[db.name]


class WindowPaginator(Paginator):
    """A paginator whose count is given: exact, or a lower bound (``at_least``)."""

    def __init__(self, per_page: int, count: int, *, at_least: bool = False):
        super().__init__([], per_page)
        self.__dict__["count"] = count
        self.at_least = at_least

    @property
    def shown_count(self) -> int:
        """The count to print: capped at :data:`COUNT_CAP` when it is a lower bound."""
        return min(self.count, COUNT_CAP) if self.at_least else self.count


def _aware(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def matcher(state, user):
    """A predicate on raw result documents equal to the state's ORM filters (status aside, which
    the indexed query holds); None when the state needs the plain queryset."""
    if state.q or state.sort != DEFAULT_SORT:
        return None
    checks = []

    def among(values, path):
        if values:
            wanted = set(values)
            checks.append(lambda doc: _get(doc, path) in wanted)

    if state.targets:
        targets = set(state.targets)
        checks.append(lambda doc: str(doc.get("target_id")) in targets)
    among(state.platforms, "platform")
    among(state.sentiments, "analysis.sentiment.label")
    among(state.emotions, "analysis.emotions.primary")
    among(state.languages, "language")
    low, high = state.rating_min, state.rating_max
    if low is not None:
        checks.append(lambda doc: _number(r := _get(doc, "content.rating")) and r >= low)
    if high is not None:
        checks.append(lambda doc: _number(r := _get(doc, "content.rating")) and r <= high)
    if state.flagged:
        checks.append(lambda doc: _get(doc, "flags.rating_disagreement") is True)
    if state.pinned:
        checks.append(lambda doc: doc.get("pinned") is True)
    if state.tag:
        checks.append(lambda doc: isinstance(doc.get("tags"), list) and state.tag in doc["tags"])
    if state.date_from or state.date_to:
        start, end = day_bounds(state.date_from, state.date_to, state.time_zone(user.settings.timezone))

        def within(value) -> bool:
            if not isinstance(value, datetime):
                return False
            value = _aware(value)
            return (start is None or value >= start) and (end is None or value < end)

        if state.date_field == "collected":
            checks.append(lambda doc: within(doc.get("created_at")))
        else:
            # A result without a posted date counts on its collection date (as the ORM filter).
            checks.append(
                lambda doc: (
                    within(posted)
                    if (posted := _get(doc, "content.date")) is not None
                    else within(doc.get("created_at"))
                )
            )
    return lambda doc: all(check(doc) for check in checks)


def _get(doc: dict, path: str):
    """The value at a dotted path of a raw document (None when a part is missing or not a dict)."""
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def newest_first(project_id, status: str, now: datetime | None = None):
    """The project's results of ``status`` (raw, :data:`FIELDS` only), newest collected first,
    ties by descending id: the order of the explorer's default sort."""
    now = now or datetime.now(UTC)
    owner: dict = {"project_id": project_id}
    if status != "all":
        owner["excluded"] = status == "excluded"
    newer_than = None
    for seconds in WINDOWS_SECONDS:
        created: dict = {"$gte": now - timedelta(seconds=seconds)}
        if newer_than is not None:
            created["$lt"] = newer_than
        yield from _sorted(collection("results").find({**owner, "created_at": created}, FIELDS))
        newer_than = created["$gte"]
    # The rest of history (and results without a date, which sort last): one plain query.
    for doc in _sorted(collection("results").find(owner, FIELDS)):
        created_at = doc.get("created_at")
        if isinstance(created_at, datetime) and _aware(created_at) >= newer_than:
            continue
        yield doc


def _sorted(cursor):
    # Sorted here, not by the server: it would sort the same documents in Python, with its own
    # costs; newest first, ties by descending id, documents without a date last.
    try:
        docs = list(cursor)
    finally:
        cursor.close()

    def key(doc):
        created = doc.get("created_at")
        return (
            isinstance(created, datetime),
            _aware(created) if isinstance(created, datetime) else 0,
            doc["_id"],
        )

    docs.sort(key=key, reverse=True)
    return docs


def _status_count(project_id, status: str) -> int | None:
    """The number of results of ``status`` from the project's counters, None when unknown."""
    doc = collection("projects").find_one({"_id": project_id}, {"stats.total_results": 1})
    total = ((doc or {}).get("stats") or {}).get("total_results")
    if not isinstance(total, int):
        return None
    if status == "all":
        return total
    excluded = sum(
        1 for _ in collection("results").find({"project_id": project_id, "excluded": True}, {"_id": 1})
    )
    return excluded if status == "excluded" else total - excluded


def page_for(user, project, queryset: QuerySet, state, per_page: int) -> Page:
    """The page the state asks for, as :func:`analysis.explorer.paginate` gives it (same results,
    same order), read in windows where the server needs it (see the module docstring)."""
    per_page = max(1, per_page)
    match = matcher(state, user) if windowed_server(queryset.db) else None
    if match is None:
        return paginate(queryset, state, per_page)
    only_status = not [k for k, _ in state.filter_params() if k not in {"status", "tz", "date_field"}]
    known = _status_count(project.pk, state.status) if only_status else None
    number = state.page
    if known is not None:
        number = max(1, min(number, math.ceil(known / per_page)))
    need = number * per_page
    if need > COUNT_CAP:
        return paginate(queryset, state, per_page)
    found: list = []
    exhausted = True
    for read, doc in enumerate(newest_first(project.pk, state.status), start=1):
        if match(doc):
            found.append(doc["_id"])
        if known is not None:
            if len(found) > need:
                exhausted = False
                break
        elif len(found) > need and (len(found) > COUNT_CAP or read >= need + COUNT_READ_BUDGET):
            exhausted = False
            break
    if exhausted:
        count, at_least = len(found), False
    elif known is not None:
        if known < len(found):  # the counters drifted (a rebuild puts them right): count exactly
            return paginate(queryset, state, per_page)
        count, at_least = known, False
    else:
        count, at_least = len(found), True
    paginator = WindowPaginator(per_page, count, at_least=at_least)
    number = max(1, min(number, paginator.num_pages))
    ids = found[(number - 1) * per_page : number * per_page]
    by_id = {r.pk: r for r in Result.objects.filter(pk__in=ids)} if ids else {}
    return Page([by_id[i] for i in ids if i in by_id], number, paginator)
