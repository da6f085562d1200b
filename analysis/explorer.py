"""The results explorer: filters, search, sort and pagination of one project's results.

:func:`filter_results` is the one service behind the explorer page, the exports and (later)
the REST API. It takes plain query parameters (a ``QueryDict`` or a dict of strings or lists),
never a request, so every caller gets the same rules.

:class:`FilterState` parses and validates the parameters (unknown values are dropped and
reported in ``errors``, never raised) and renders them back to a canonical query string, so
the filters live in the URL: shareable, bookmarkable, and the back button works.

Which indexes serve which query (see ``results`` indexes in the models and
``sentimatrix.dbindexes``): every query starts with the project's id, served by
(project_id, created_at); the default sort ("newest collected") walks that same index.
Sentiment label, content date and platform have their own indexes; search uses the text index
where the server has one (``analysis.search``). Sorting by score or rating has no index in the
schema: the server sorts the filtered set (top-k, bounded by the page).

Dates: ``date_from``/``date_to`` are whole days in the filter's time zone (``tz``, default the
user's); ``date_field`` says whether they apply to the content's own date (when the author
posted it; the collection date for content without one, as in the daily statistics) or to when
it was collected.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from bson import ObjectId
from bson.errors import InvalidId
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from analysis import pipeline
from analysis.models import Result, SentimentLabel
from analysis.search import search_results
from projects.models import Project
from projects.platforms import Platform
from sentimatrix.mongo import collection


class ProjectNotFound(LookupError):
    """The project does not exist or is not the user's (callers answer 404)."""


SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # key: (label, ORM ordering); every ordering ends on the primary key so pages never overlap.
    "collected": ("Newest collected", ("-created_at", "-pk")),
    "newest": ("Newest posted", ("-content__date", "-pk")),
    "oldest": ("Oldest posted", ("content__date", "pk")),
    "score_desc": ("Most positive", ("-analysis__sentiment__score", "-pk")),
    "score_asc": ("Most negative", ("analysis__sentiment__score", "pk")),
    "rating_desc": ("Highest rating", ("-content__rating", "-pk")),
    "rating_asc": ("Lowest rating", ("content__rating", "pk")),
    "relevance": ("Best match", ()),
}
DEFAULT_SORT = "collected"
STATUSES = {"active": "In statistics", "excluded": "Excluded (spam/irrelevant)", "all": "All"}
DEFAULT_STATUS = "active"
DATE_FIELDS = {"content": "Posted", "collected": "Collected"}
DEFAULT_DATE_FIELD = "content"
MAX_QUERY_LENGTH = 500
MAX_VALUES = 50  # per multi-valued parameter
_WORD = re.compile(r"^[\w-]{1,64}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$|^und$")
_TRUE = {"1", "true", "on", "yes"}


def _values(params, name: str) -> list[str]:
    """Every value of a parameter, from a QueryDict or a plain dict of str/list."""
    if hasattr(params, "getlist"):
        raw = params.getlist(name)
    else:
        raw = params.get(name, [])
        raw = raw if isinstance(raw, list | tuple) else [raw]
    out = []
    for value in raw:
        for part in str(value).split(","):
            item = part.strip()
            if item and item not in out:
                out.append(item)
    return out[:MAX_VALUES]


def _one(params, name: str) -> str:
    values = _values(params, name)
    return values[0] if values else ""


def _query(params) -> str:
    # The search box keeps its commas: it is one value, not a list.
    raw = params.get("q", "") if params is not None else ""
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else ""
    return " ".join(str(raw or "").split())[:MAX_QUERY_LENGTH]


@dataclass
class FilterState:
    """The explorer's filters, parsed and validated; renders back to a query string."""

    targets: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    sentiments: list[str] = field(default_factory=list)
    emotions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    rating_min: float | None = None
    rating_max: float | None = None
    date_field: str = DEFAULT_DATE_FIELD
    date_from: date | None = None
    date_to: date | None = None
    tz: str = ""
    flagged: bool = False
    pinned: bool = False
    tag: str = ""
    status: str = DEFAULT_STATUS
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict, compare=False)
    # Filled by filter_results: what to highlight and how the search ran.
    terms: list[str] = field(default_factory=list, compare=False)
    search_mode: str = field(default="none", compare=False)

    # Parameter name -> attribute, in the canonical order of the query string.
    PARAMS = (
        ("q", "q"), ("target", "targets"), ("platform", "platforms"), ("sentiment", "sentiments"),
        ("emotion", "emotions"), ("language", "languages"), ("rating_min", "rating_min"),
        ("rating_max", "rating_max"), ("date_field", "date_field"), ("date_from", "date_from"),
        ("date_to", "date_to"), ("tz", "tz"), ("flagged", "flagged"), ("pinned", "pinned"),
        ("tag", "tag"), ("status", "status"), ("sort", "sort"), ("page", "page"),
    )  # fmt: skip

    @classmethod
    def parse(cls, params, *, target_ids: list[str] | None = None) -> FilterState:
        """Validate query parameters; invalid values are left out and named in ``errors``.

        ``target_ids`` are the project's targets (string ids): other ids are refused, so a
        link can never reach another project's target.
        """
        state, errors = cls(), {}
        state.q = _query(params)
        state.targets = _targets(params, target_ids, errors)
        state.platforms = _matching(params, "platform", Platform.values.__contains__, errors)
        state.sentiments = _matching(params, "sentiment", SentimentLabel.values.__contains__, errors)
        state.emotions = [v.lower() for v in _matching(params, "emotion", _WORD.match, errors)]
        state.languages = _matching(params, "language", _LANGUAGE.match, errors)
        state.rating_min, state.rating_max = _ordered(
            _rating(params, "rating_min", errors), _rating(params, "rating_max", errors)
        )
        state.date_field = _choice(params, "date_field", DATE_FIELDS, DEFAULT_DATE_FIELD, errors)
        state.date_from, state.date_to = _ordered(
            _day(params, "date_from", errors), _day(params, "date_to", errors)
        )
        state.tz = _zone(params, errors)
        state.flagged = _one(params, "flagged").lower() in _TRUE
        state.pinned = _one(params, "pinned").lower() in _TRUE
        state.tag = clean_tag(_one(params, "tag"))
        if _one(params, "tag") and not state.tag:
            errors["tag"] = ERRORS["tag"]
        state.status = _choice(params, "status", STATUSES, DEFAULT_STATUS, errors)
        state.sort = _choice(params, "sort", SORTS, DEFAULT_SORT, errors)
        page = _one(params, "page")
        state.page = int(page) if page.isdecimal() and page.isascii() and int(page) > 0 else 1
        state.errors = errors
        return state

    # --- rendering back ----------------------------------------------------------------

    def params(self) -> list[tuple[str, str]]:
        """The non-default filters as (name, value) pairs, in canonical order."""
        default = FilterState()
        pairs: list[tuple[str, str]] = []
        for name, attr in self.PARAMS:
            value = getattr(self, attr)
            if value == getattr(default, attr):
                continue
            if isinstance(value, list):
                pairs.extend((name, str(v)) for v in value)
            elif isinstance(value, bool):
                pairs.append((name, "1"))
            elif isinstance(value, date):
                pairs.append((name, value.isoformat()))
            elif isinstance(value, float):
                pairs.append((name, f"{value:g}"))
            else:
                pairs.append((name, str(value)))
        return pairs

    def query_string(self, **changes) -> str:
        """The filters as a query string (no ``?``), with ``changes`` applied.

        Any change other than ``page`` starts again at page 1.
        """
        state = self.with_changes(**changes)
        return urlencode(state.params())

    def with_changes(self, **changes) -> FilterState:
        if changes and "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def filter_params(self) -> list[tuple[str, str]]:
        """The filters only (no sort, no page): what an export or a saved view records."""
        return [(k, v) for k, v in self.params() if k not in {"sort", "page"}]

    @property
    def is_filtered(self) -> bool:
        return bool(self.filter_params())

    def chips(self, target_labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
        """(label, query string without it) for each active filter, for removable chips."""
        target_labels = target_labels or {}
        out = []
        for name, attr in self.PARAMS:
            if name in {"sort", "page", "tz", "date_field"}:
                continue
            value = getattr(self, attr)
            if value == getattr(FilterState(), attr):
                continue
            if isinstance(value, list):
                for item in value:
                    shown = target_labels.get(item, item) if name == "target" else item
                    rest = [v for v in value if v != item]
                    out.append((f"{_PARAM_LABELS[name]}: {shown}", self.query_string(**{attr: rest})))
            else:
                shown = (
                    "yes" if isinstance(value, bool) else (STATUSES.get(value) if name == "status" else value)
                )
                if isinstance(value, float):
                    shown = f"{value:g}"
                default = getattr(FilterState(), attr)
                out.append((f"{_PARAM_LABELS[name]}: {shown}", self.query_string(**{attr: default})))
        return out

    def time_zone(self, default: str = "UTC") -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.tz or default or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


_PARAM_LABELS = {
    "q": "Search", "target": "Target", "platform": "Platform", "sentiment": "Sentiment",
    "emotion": "Emotion", "language": "Language", "rating_min": "Rating from", "rating_max": "Rating to",
    "date_from": "From", "date_to": "To", "flagged": "Rating/text disagree", "pinned": "Pinned",
    "tag": "Tag", "status": "Status",
}  # fmt: skip


ERRORS = {
    "target": "Unknown target left out.",
    "platform": "Unknown platform left out.",
    "sentiment": "Unknown sentiment label left out.",
    "emotion": "Emotions are single words.",
    "language": "Languages are codes such as en or pt-BR.",
    "rating_min": "A rating is a number such as 4 or 4.5.",
    "rating_max": "A rating is a number such as 4 or 4.5.",
    "date_field": "Dates apply to the posted or the collected date.",
    "date_from": "Dates are written YYYY-MM-DD.",
    "date_to": "Dates are written YYYY-MM-DD.",
    "tz": "Unknown time zone.",
    "tag": "Tags are up to 64 characters, without commas.",
    "status": "Unknown status.",
    "sort": "Unknown sort order.",
}


def _targets(params, target_ids: list[str] | None, errors: dict) -> list[str]:
    def known(value: str) -> bool:
        if target_ids is not None:
            return value in target_ids
        return ObjectId.is_valid(value)

    return _matching(params, "target", known, errors)


def _matching(params, name: str, accept, errors: dict) -> list[str]:
    values = _values(params, name)
    kept = [v for v in values if accept(v)]
    if len(kept) != len(values):
        errors[name] = ERRORS[name]
    return kept


def _choice(params, name: str, allowed, default: str, errors: dict) -> str:
    value = _one(params, name)
    if value and value not in allowed:
        errors[name] = ERRORS[name]
    return value if value in allowed else default


def _rating(params, name: str, errors: dict) -> float | None:
    raw = _one(params, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or math.isnan(value) or not 0 <= value <= 100:  # no rating scale goes past 100
        errors[name] = ERRORS[name]
        return None
    return value


def _day(params, name: str, errors: dict) -> date | None:
    raw = _one(params, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ERRORS[name]
        return None


def _ordered(low, high):
    """A range given backwards is taken the right way round."""
    if low is not None and high is not None and low > high:
        return high, low
    return low, high


def _zone(params, errors: dict) -> str:
    name = _one(params, "tz")
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["tz"] = ERRORS["tz"]
        return ""
    return name


def clean_tag(value: str) -> str:
    """A tag as stored: trimmed, inner spaces collapsed, at most 64 characters, no commas
    (the URL lists values with them); "" if nothing is left."""
    value = " ".join(str(value or "").split())[:64]
    return value if value and "," not in value else ""


def day_bounds(
    first: date | None, last: date | None, tz: zoneinfo.ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start of ``first``, start of the day after ``last``) in ``tz``, as aware datetimes."""
    start = datetime.combine(first, time.min, tzinfo=tz) if first else None
    # The last representable day has no "next day": the range is then open-ended.
    end = (
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz) if last and last < date.max else None
    )
    return start, end


def project_for(user, project_id) -> Project:
    """The user's project, or :class:`ProjectNotFound` (someone else's looks the same as none)."""
    try:
        return Project.objects.get(pk=project_id, user_id=user.pk)
    except (Project.DoesNotExist, InvalidId, TypeError, ValueError) as exc:
        raise ProjectNotFound(str(project_id)) from exc


def target_choices(project: Project) -> dict[str, str]:
    """The project's targets: string id -> label (bounded by the plan's targets per project)."""
    return {str(t.pk): str(t) for t in project.targets.order_by("created_at").only("label", "url")}


def _lookups(state: FilterState) -> dict:
    """The ORM lookups of the state's filters (each one a plain ``$match`` on indexed paths first)."""
    lookups: dict = {}
    simple = (
        ("target_id__in", [ObjectId(t) for t in state.targets]),
        ("platform__in", state.platforms),
        ("analysis__sentiment__label__in", state.sentiments),
        ("analysis__emotions__primary__in", state.emotions),
        ("language__in", state.languages),
        ("content__rating__gte", state.rating_min),
        ("content__rating__lte", state.rating_max),
        ("flags__rating_disagreement", True if state.flagged else None),
        ("pinned", True if state.pinned else None),
        ("tags__contains", [state.tag] if state.tag else None),
        ("excluded", True if state.status == "excluded" else None),
    )
    for lookup, value in simple:
        if value not in (None, []):
            lookups[lookup] = value
    return lookups


def _date_range(state: FilterState, user) -> Q:
    """The date filter. A result without a posted date counts on its collection date, as in the
    daily statistics, so a dashboard's "this week" and the explorer's agree."""
    start, end = day_bounds(state.date_from, state.date_to, state.time_zone(user.settings.timezone))

    def within(path: str) -> Q:
        q = Q()
        if start:
            q &= Q(**{f"{path}__gte": start})
        if end:
            q &= Q(**{f"{path}__lt": end})
        return q

    if state.date_field == "collected":
        return within("created_at")
    return within("content__date") | (Q(content__date__isnull=True) & within("created_at"))


def filter_results(user, project: Project, params, *, targets: dict[str, str] | None = None):
    """The project's results that match ``params``, and the parsed filters.

    Returns ``(queryset, FilterState)``. The queryset never leaves the project, and the project
    must be the user's (else :class:`ProjectNotFound`). ``targets`` (id -> label) saves a query
    when the caller already has them. The state's ``terms`` are what to highlight.
    """
    if project.user_id != user.pk:
        raise ProjectNotFound(str(project.pk))
    if targets is None:
        targets = target_choices(project)
    state = FilterState.parse(params, target_ids=list(targets))
    queryset: QuerySet = Result.objects.filter(project_id=project.pk, **_lookups(state))
    if state.date_from or state.date_to:
        queryset = queryset.filter(_date_range(state, user))
    if state.status == "active":
        # Equality, not "not True": an index on (project_id, excluded, created_at) then serves
        # the default page (results are always stored with excluded=False).
        queryset = queryset.filter(excluded=False)

    outcome = search_results(queryset, state.q)
    state.terms, state.search_mode = outcome.terms, outcome.mode
    queryset = outcome.queryset
    if state.sort == "relevance" and not outcome.ranked:
        state.sort = DEFAULT_SORT  # no relevance without the text index: fall back quietly
    if state.sort != "relevance":
        queryset = queryset.order_by(*SORTS[state.sort][1])
    return queryset, state


def paginate(queryset: QuerySet, state: FilterState, per_page: int) -> Page:
    """The page the state asks for (the last one when it asks beyond the end)."""
    return Paginator(queryset, max(1, per_page)).get_page(state.page)


def mql_pipeline(queryset: QuerySet) -> list[dict]:
    """The aggregation pipeline the backend runs for ``queryset`` (its $match, sort, limits).

    Exports run it with pymongo to stream raw documents in batches: the same filter as the page,
    without building a model instance per row.
    """
    compiler = queryset.query.get_compiler(using=queryset.db)
    compiler.pre_sql_setup()
    columns = compiler.columns if queryset.query.annotations or not queryset.query.default_cols else None
    return compiler.build_query(columns).get_pipeline()


# --- triage -------------------------------------------------------------------------------
# Single-document updates: two clicks at once never lose a tag or a pin.

MAX_TAGS = 20


def result_for(project: Project, result_id) -> Result:
    """One result of the project (``Result.DoesNotExist`` for any other id)."""
    return Result.objects.get(pk=result_id, project_id=project.pk)


def set_pinned(result: Result, pinned: bool) -> bool:
    """Pin a result as evidence (or unpin it); True when it changed."""
    changed = collection("results").update_one(
        {"_id": result.pk, "project_id": result.project_id, "pinned": {"$ne": pinned}},
        {"$set": {"pinned": pinned, "updated_at": timezone.now()}},
    )
    result.pinned = pinned
    return bool(changed.modified_count)


def set_excluded(result: Result, excluded: bool) -> bool:
    """Triage a result out of (or back into) statistics and default views; True when it changed."""
    changed = pipeline.set_excluded(result.pk, excluded)
    result.excluded = excluded
    return changed


def add_tag(result: Result, tag: str) -> bool:
    """Tag a result (at most :data:`MAX_TAGS` tags); True when the tag was added."""
    tag = clean_tag(tag)
    if not tag:
        return False
    changed = collection("results").update_one(
        {
            "_id": result.pk,
            "project_id": result.project_id,
            "tags": {"$ne": tag},
            f"tags.{MAX_TAGS - 1}": {"$exists": False},
        },
        {"$addToSet": {"tags": tag}, "$set": {"updated_at": timezone.now()}},
    )
    result.tags = collection("results").find_one({"_id": result.pk}, {"tags": 1}).get("tags") or []
    return bool(changed.modified_count)


def remove_tag(result: Result, tag: str) -> bool:
    changed = collection("results").update_one(
        {"_id": result.pk, "project_id": result.project_id, "tags": tag},
        {"$pull": {"tags": tag}, "$set": {"updated_at": timezone.now()}},
    )
    result.tags = [t for t in result.tags if t != tag]
    return bool(changed.modified_count)
