"""The explorer's filters, each described once.

A filter names its URL parameters (with their chip labels and error messages), how they are
read, and the document field(s) it looks at. From that one description come:

- :meth:`Filter.q`: the ORM condition (what the plain queryset, the exports and MongoDB run);
- :meth:`Filter.check`: the same condition on a raw document, for the embedded server's windowed
  reads, which fetch by an index and check the rest in memory;
- :attr:`Filter.paths`: the fields such a read must fetch for the check;
- :meth:`Filter.bounds`: the range it puts on a sort field, so a windowed read in that order
  starts and stops where the filter does;
- :meth:`Filter.lookup`: an equality an index on ``(project_id, <field>)`` answers directly, for
  filters that select a few results by hand (a tag, pinned).

Both conditions follow MongoDB's rules: ``$in`` is membership, ranges match numbers only (a
missing or null rating never passes), and a result without a posted date counts on its collection
date (as in the daily statistics), so the dashboard's "this week" and the explorer's agree.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from django.db.models import Q

from analysis.models import SentimentLabel
from analysis.results_store import params as p
from analysis.results_store import search
from analysis.results_store.docs import aware, get_path, is_number
from projects.platforms import Platform

if TYPE_CHECKING:
    from analysis.results_store.state import FilterState

Check = Callable[[dict], bool]

STATUSES = {"active": "In statistics", "excluded": "Excluded (spam/irrelevant)", "all": "All"}
DEFAULT_STATUS = "active"
DATE_FIELDS = {"content": "Posted", "collected": "Collected"}
DEFAULT_DATE_FIELD = "content"
_WORD = re.compile(r"^[\w-]{1,64}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$|^und$")


def orm_path(path: str) -> str:
    return path.replace(".", "__")


@dataclass(frozen=True)
class Bounds:
    """The range a filter puts on a sort field. Results without a value pass only when ``nulls``
    (they are then checked in memory on another field)."""

    low: Any = None
    high: Any = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    nulls: bool = False


class Filter:
    """One filter of the explorer (see the module docstring)."""

    #: (URL parameter, FilterState attribute), in the order of the canonical query string.
    params: tuple[tuple[str, str], ...] = ()
    labels: dict[str, str] = {}  # parameter -> chip label
    errors: dict[str, str] = {}  # parameter -> message when its value is refused
    paths: tuple[str, ...] = ()

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        raise NotImplementedError

    def active(self, state: FilterState) -> bool:
        raise NotImplementedError

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        raise NotImplementedError

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        raise NotImplementedError

    def bounds(self, state: FilterState, zone: zoneinfo.ZoneInfo, path: str) -> Bounds | None:
        return None

    def lookup(self, state: FilterState) -> dict | None:
        return None


def _member(value: Any, wanted: set) -> bool:
    # MongoDB's $in matches an array holding one of the values, as well as the value itself.
    if isinstance(value, list):
        return any(_member(item, wanted) for item in value)
    try:
        return value in wanted
    except TypeError:  # an unhashable value (a document) is never one of the wanted values
        return False


class OneOf(Filter):
    """The field is one of the chosen values (several values of one filter: any of them)."""

    def __init__(
        self,
        param: str,
        attr: str,
        path: str,
        *,
        label: str,
        error: str,
        accept: Callable[[str, list[str] | None], bool],
        convert: Callable[[str], Any] | None = None,
        lower: bool = False,
        names: dict[str, str] | None = None,
    ) -> None:
        self.params = ((param, attr),)
        self.names = names or {}  # value -> the name a person reads (chips)
        self.labels, self.errors = {param: label}, {param: error}
        self.paths = (path,)
        self.param, self.attr, self.path = param, attr, path
        self.accept, self.convert, self.lower = accept, convert, lower

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        kept = p.matching(
            params, self.param, lambda v: self.accept(v, target_ids), errors, self.errors[self.param]
        )
        setattr(state, self.attr, [v.lower() for v in kept] if self.lower else kept)

    def active(self, state: FilterState) -> bool:
        return bool(getattr(state, self.attr))

    def _wanted(self, state: FilterState) -> list:
        chosen = getattr(state, self.attr)
        return [self.convert(v) for v in chosen] if self.convert else list(chosen)

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        return Q(**{f"{orm_path(self.path)}__in": self._wanted(state)})

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        wanted, path = set(self._wanted(state)), self.path
        return lambda doc: _member(get_path(doc, path), wanted)


class RatingRange(Filter):
    """The rating is within [from, to] (either end may be open)."""

    params = (("rating_min", "rating_min"), ("rating_max", "rating_max"))
    labels = {"rating_min": "Rating from", "rating_max": "Rating to"}
    errors = dict.fromkeys(("rating_min", "rating_max"), "A rating is a number such as 4 or 4.5.")
    path = "content.rating"
    paths = (path,)

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        state.rating_min, state.rating_max = p.ordered(
            p.rating(params, "rating_min", errors, self.errors["rating_min"]),
            p.rating(params, "rating_max", errors, self.errors["rating_max"]),
        )

    def active(self, state: FilterState) -> bool:
        return state.rating_min is not None or state.rating_max is not None

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        q = Q()
        if state.rating_min is not None:
            q &= Q(content__rating__gte=state.rating_min)
        if state.rating_max is not None:
            q &= Q(content__rating__lte=state.rating_max)
        return q

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        low, high, path = state.rating_min, state.rating_max, self.path
        return lambda doc: (
            is_number(r := get_path(doc, path)) and (low is None or r >= low) and (high is None or r <= high)
        )

    def bounds(self, state: FilterState, zone: zoneinfo.ZoneInfo, path: str) -> Bounds | None:
        return Bounds(state.rating_min, state.rating_max) if path == self.path else None


class MetadataRange(Filter):
    """A number the platform reported (in ``content.metadata``) within [from, to] (either end
    may be open), on that platform's results only: another platform's metadata may use the same
    key for something else (an imported file's "score" is its rating)."""

    def __init__(
        self,
        platform: str,
        key: str,
        low: str,
        high: str | None = None,
        *,
        label: str,
        error: str,
        scale: float = 1,
        minimum: float | None = 0,
    ) -> None:
        self.platform, self.path = platform, f"content.metadata.{key}"
        self.scale, self.minimum = scale, minimum
        self.low, self.high = low, high
        ends = (low, high) if high else (low,)
        self.params = tuple((param, param) for param in ends)
        self.labels = {low: f"{label} from", high: f"{label} to"} if high else {low: f"{label} from"}
        self.errors = dict.fromkeys(ends, error)
        self.paths = ("platform", self.path)

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        def read(param: str | None) -> float | None:
            return (
                p.number(params, param, errors, self.errors[param], minimum=self.minimum) if param else None
            )

        low, high = p.ordered(read(self.low), read(self.high))
        setattr(state, self.low, low)
        if self.high:
            setattr(state, self.high, high)

    def _range(self, state: FilterState) -> tuple:
        # The URL speaks the user's unit (hours of playtime), the document the platform's (minutes).
        low = getattr(state, self.low)
        high = getattr(state, self.high) if self.high else None
        return (None if low is None else low * self.scale, None if high is None else high * self.scale)

    def active(self, state: FilterState) -> bool:
        return self._range(state) != (None, None)

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        low, high = self._range(state)
        path = orm_path(self.path)
        q = Q(platform=self.platform)
        if low is not None:
            q &= Q(**{f"{path}__gte": low})
        if high is not None:
            q &= Q(**{f"{path}__lte": high})
        return q

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        (low, high), platform, path = self._range(state), self.platform, self.path
        return lambda doc: (
            doc.get("platform") == platform
            and is_number(v := get_path(doc, path))
            and (low is None or v >= low)
            and (high is None or v <= high)
        )


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


class Days(Filter):
    """Whole days in the filter's time zone, on the posted date (the collection date for a result
    without one) or on the collection date."""

    params = (("date_field", "date_field"), ("date_from", "date_from"), ("date_to", "date_to"), ("tz", "tz"))
    labels = {"date_from": "From", "date_to": "To"}
    errors = {
        "date_field": "Dates apply to the posted or the collected date.",
        "date_from": "Dates are written YYYY-MM-DD.",
        "date_to": "Dates are written YYYY-MM-DD.",
        "tz": "Unknown time zone.",
    }
    paths = ("content.date", "created_at")

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        state.date_field = p.choice(
            params,
            "date_field",
            DATE_FIELDS,
            DEFAULT_DATE_FIELD,
            errors=errors,
            message=self.errors["date_field"],
        )
        state.date_from, state.date_to = p.ordered(
            p.day(params, "date_from", errors, self.errors["date_from"]),
            p.day(params, "date_to", errors, self.errors["date_to"]),
        )
        state.tz = p.zone(params, errors, self.errors["tz"])

    def active(self, state: FilterState) -> bool:
        return bool(state.date_from or state.date_to)

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        start, end = day_bounds(state.date_from, state.date_to, zone)

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

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        start, end = day_bounds(state.date_from, state.date_to, zone)

        def within(value: Any) -> bool:
            if not isinstance(value, datetime):
                return False
            value = aware(value)
            return (start is None or value >= start) and (end is None or value < end)

        if state.date_field == "collected":
            return lambda doc: within(doc.get("created_at"))
        return lambda doc: (
            within(posted)
            if (posted := get_path(doc, "content.date")) is not None
            else within(doc.get("created_at"))
        )

    def bounds(self, state: FilterState, zone: zoneinfo.ZoneInfo, path: str) -> Bounds | None:
        start, end = day_bounds(state.date_from, state.date_to, zone)
        if state.date_field == "collected" and path == "created_at":
            return Bounds(start, end, True, False)
        if state.date_field == "content" and path == "content.date":
            return Bounds(start, end, True, False, nulls=True)
        return None


class Flag(Filter):
    """A yes/no field is yes."""

    def __init__(self, param: str, path: str, label: str, *, by_index: bool = False) -> None:
        self.params = ((param, param),)
        self.labels = {param: label}
        self.paths = (path,)
        self.param, self.path, self.by_index = param, path, by_index

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        setattr(state, self.param, p.one(params, self.param).lower() in p.TRUE)

    def active(self, state: FilterState) -> bool:
        return bool(getattr(state, self.param))

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        return Q(**{orm_path(self.path): True})

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        return lambda doc: get_path(doc, self.path) is True

    def lookup(self, state: FilterState) -> dict | None:
        return {self.path: True} if self.by_index else None


class PlatformFlag(Flag):
    """A yes/no the platform reported is yes (on that platform's results)."""

    def __init__(self, param: str, platform: str, key: str, label: str) -> None:
        super().__init__(param, f"content.metadata.{key}", label)
        self.platform = platform
        self.paths = ("platform", self.path)

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        return Q(platform=self.platform) & super().q(state, zone)

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        platform, flag = self.platform, super().check(state, zone)
        return lambda doc: doc.get("platform") == platform and flag(doc)


class Equals(Filter):
    """The field is ``value`` (None: missing or null; a boolean: that boolean), with no URL
    parameter: the admin's filters beside the explorer's ("not analysed", "not pinned")."""

    def __init__(self, path: str, value: Any) -> None:
        self.paths = (path,)
        self.path, self.value = path, value

    def active(self, state: FilterState) -> bool:
        return True

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        if self.value is None:
            return Q(**{f"{orm_path(self.path)}__isnull": True})
        return Q(**{orm_path(self.path): self.value})

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        path, value = self.path, self.value
        if value is None or isinstance(value, bool):
            return lambda doc: get_path(doc, path) is value
        return lambda doc: get_path(doc, path) == value


def clean_tag(value: str) -> str:
    """A tag as stored: trimmed, inner spaces collapsed, at most 64 characters, no commas
    (the URL lists values with them); "" if nothing is left."""
    value = " ".join(str(value or "").split())[:64]
    return value if value and "," not in value else ""


class Tag(Filter):
    """The result carries this tag."""

    params = (("tag", "tag"),)
    labels = {"tag": "Tag"}
    errors = {"tag": "Tags are up to 64 characters, without commas."}
    paths = ("tags",)

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        raw = p.one(params, "tag")
        state.tag = clean_tag(raw)
        if raw and not state.tag:
            errors["tag"] = self.errors["tag"]

    def active(self, state: FilterState) -> bool:
        return bool(state.tag)

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        return Q(tags__contains=[state.tag])

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        tag = state.tag
        return lambda doc: isinstance(tags := doc.get("tags"), list) and tag in tags

    def lookup(self, state: FilterState) -> dict | None:
        return {"tags": state.tag}


class Status(Filter):
    """In statistics (the default), excluded by triage, or all."""

    params = (("status", "status"),)
    labels = {"status": "Status"}
    errors = {"status": "Unknown status."}
    paths = ("excluded",)

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        state.status = p.choice(
            params, "status", STATUSES, DEFAULT_STATUS, errors=errors, message=self.errors["status"]
        )

    def active(self, state: FilterState) -> bool:
        return state.status != "all"

    def excluded_values(self, state: FilterState) -> list[bool]:
        """The values of ``excluded`` the status selects (an index's equality, one read each)."""
        return {"active": [False], "excluded": [True]}.get(state.status, [False, True])

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        # Equality, not "not True": the indexes on (project_id, excluded, ...) then serve it
        # (results are always stored with excluded=False).
        return Q(excluded=state.status == "excluded")

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        wanted = state.status == "excluded"
        return lambda doc: doc.get("excluded") is wanted


class Search(Filter):
    """Words and phrases in the text or the title (see :mod:`analysis.results_store.search`)."""

    params = (("q", "q"),)
    labels = {"q": "Search"}
    paths = ("content.text", "content.title")

    def parse(self, state: FilterState, params: p.Params, errors: dict, target_ids: list[str] | None) -> None:
        state.q = p.query(params)

    def active(self, state: FilterState) -> bool:
        return bool(search.parse_query(state.q))

    def q(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Q:
        return search.pattern_q(search.parse_query(state.q))

    def check(self, state: FilterState, zone: zoneinfo.ZoneInfo) -> Check:
        return search.pattern_check(search.parse_query(state.q))


def _known_target(value: str, target_ids: list[str] | None) -> bool:
    # Another project's target is refused like a malformed id: a link never reaches it.
    return value in target_ids if target_ids is not None else ObjectId.is_valid(value)


SEARCH = Search()
TARGET = OneOf(
    "target", "targets", "target_id", label="Target", error="Unknown target left out.", accept=_known_target,
    convert=ObjectId,
)  # fmt: skip
PLATFORM = OneOf(
    "platform", "platforms", "platform", label="Platform", error="Unknown platform left out.",
    accept=lambda v, _: v in Platform.values, names=dict(Platform.choices),
)  # fmt: skip
SENTIMENT = OneOf(
    "sentiment", "sentiments", "analysis.sentiment.label", label="Sentiment",
    error="Unknown sentiment label left out.", accept=lambda v, _: v in SentimentLabel.values,
    names=dict(SentimentLabel.choices),
)  # fmt: skip
EMOTION = OneOf(
    "emotion", "emotions", "analysis.emotions.primary", label="Emotion", error="Emotions are single words.",
    accept=lambda v, _: bool(_WORD.match(v)), lower=True,
)  # fmt: skip
LANGUAGE = OneOf(
    "language", "languages", "language", label="Language", error="Languages are codes such as en or pt-BR.",
    accept=lambda v, _: bool(_LANGUAGE.match(v)),
)  # fmt: skip
RATING = RatingRange()
DAYS = Days()
FLAGGED = Flag("flagged", "flags.rating_disagreement", "Rating/text disagree")
PINNED = Flag("pinned", "pinned", "Pinned", by_index=True)
TAG = Tag()
STATUS = Status()
# What the platforms report about a result (see the collectors in scraping.collectors).
PLAYTIME = MetadataRange(
    Platform.STEAM, "playtime_at_review", "playtime_min", "playtime_max", label="Steam playtime (h)",
    error="Playtime is a number of hours such as 2 or 10.5.", scale=60,
)  # fmt: skip
EARLY_ACCESS = PlatformFlag(
    "early_access", Platform.STEAM, "written_during_early_access", "Written in early access"
)
FREE = PlatformFlag("free", Platform.STEAM, "received_for_free", "Received for free")
LIKES = MetadataRange(
    Platform.YOUTUBE, "like_count", "likes_min", label="YouTube likes",
    error="Likes are a whole number such as 10.",
)  # fmt: skip
SCORE = MetadataRange(
    Platform.REDDIT, "score", "score_min", label="Reddit score", error="A score is a number such as 5 or -3.",
    minimum=None,
)  # fmt: skip

#: Every filter, in the order of the canonical query string.
FILTERS: tuple[Filter, ...] = (
    SEARCH, TARGET, PLATFORM, SENTIMENT, EMOTION, LANGUAGE, RATING, DAYS, FLAGGED, PINNED, TAG, STATUS,
    PLAYTIME, EARLY_ACCESS, FREE, LIKES, SCORE,
)  # fmt: skip


def active(state: FilterState) -> list[Filter]:
    return [f for f in FILTERS if f.active(state)]


def conditions(state: FilterState, zone: zoneinfo.ZoneInfo, *, without: tuple[Filter, ...] = ()) -> Q:
    """Every active filter's ORM condition (but those in ``without``), together."""
    q = Q()
    for f in active(state):
        if f not in without:
            q &= f.q(state, zone)
    return q


def check(state: FilterState, zone: zoneinfo.ZoneInfo, *, without: tuple[Filter, ...] = ()) -> Check:
    """Every active filter's in-memory check (but those in ``without``), together."""
    checks = [f.check(state, zone) for f in active(state) if f not in without]
    return lambda doc: all(c(doc) for c in checks)


def paths(state: FilterState) -> set[str]:
    """The document fields the active filters' checks read."""
    return {path for f in active(state) for path in f.paths}
