"""Saved views: a project's named sets of the explorer's filters, sort, columns and page size.

A view stores the canonical query string of what it selects, validated when it is saved by the
results store's own parser (:class:`~analysis.results_store.state.FilterState`): a parameter the
explorer would refuse is refused here with the explorer's message, so applying a view never
shows a page with errors. Besides the filters and the sort, a view keeps how the results are
shown (the explorer's display parameters, :mod:`analysis.display`: layout, columns, page size),
which the results store ignores.

The explorer applies a view by following its query string; the dashboard applies the part of it
its statistics can answer (:func:`dashboard_scope`); the API's results endpoint reads the same
parameters (``view=<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from bson.errors import InvalidId
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import QueryDict

from analysis import display
from analysis.models import SavedView
from analysis.results_store.state import CHIP_LABELS, FilterState

MAX_VIEWS = 50  # per project: the explorer lists them all
MAX_NAME = 100


class SavedViewNotFound(LookupError):
    """No such view in this project (callers answer 404)."""


@dataclass
class ParsedView:
    """A view's parameters, validated: the filters and sort, and how the results are shown."""

    state: FilterState
    display: list[tuple[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        """The canonical query string (no page: a view starts at the first)."""
        pairs = [(k, v) for k, v in self.state.params() if k != "page"]
        return urlencode(pairs + self.display)


def _display(params, errors: dict) -> list[tuple[str, str]]:
    shown = display.parse(params)
    errors.update(shown.errors)
    return shown.params()


def parse(params, target_ids: list[str]) -> ParsedView:
    """A view's parameters (a query string, a ``QueryDict`` or a dict), validated as the explorer
    validates them; ``errors`` names each refused parameter with the explorer's message."""
    if isinstance(params, str):
        params = QueryDict(params.lstrip("?"))
    state = FilterState.parse(params, target_ids=target_ids)
    errors = dict(state.errors)
    display = _display(params, errors)
    return ParsedView(state, display, errors)


def target_ids(project) -> list[str]:
    return [str(pk) for pk in project.targets.values_list("pk", flat=True)]


def _validate_name(project, name: str, exclude_pk=None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"A name is at most {MAX_NAME} characters."})
    taken = SavedView.objects.filter(project_id=project.pk, name__iexact=name)  # "Negative" is "negative"
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": f"This project already has a view named “{name}”."})
    return name


def _validated_query(project, params) -> str:
    parsed = parse(params, target_ids(project))
    if parsed.errors:
        raise ValidationError(dict(sorted(parsed.errors.items())))
    return parsed.query


def views_for(project) -> list[SavedView]:
    """The project's views, by name."""
    return list(SavedView.objects.filter(project_id=project.pk).order_by("name")[:MAX_VIEWS])


def view_for(project, view_id) -> SavedView:
    """One view of the project (:class:`SavedViewNotFound` for any other id)."""
    try:
        return SavedView.objects.get(pk=view_id, project_id=project.pk)
    except (SavedView.DoesNotExist, InvalidId, TypeError, ValueError) as exc:
        raise SavedViewNotFound(str(view_id)) from exc


def create_view(project, user, name: str, params) -> SavedView:
    """Save ``params`` (the explorer's query parameters) as a view named ``name``.

    ``ValidationError`` (by field or parameter) for an empty or taken name, a refused parameter,
    or a project that has :data:`MAX_VIEWS` views already.
    """
    name = _validate_name(project, name)
    query = _validated_query(project, params)
    if SavedView.objects.filter(project_id=project.pk).count() >= MAX_VIEWS:
        raise ValidationError({"name": f"A project keeps at most {MAX_VIEWS} views: delete one first."})
    try:
        return SavedView.objects.create(project=project, user_id=user.pk, name=name, query=query)
    except IntegrityError as exc:  # the same name saved at the same moment
        raise ValidationError({"name": f"This project already has a view named “{name}”."}) from exc


def update_view(view: SavedView, *, name: str | None = None, params=None) -> SavedView:
    """Rename a view and/or replace what it selects (validated as when it was saved)."""
    if name is not None:
        view.name = _validate_name(view.project, name, exclude_pk=view.pk)
    if params is not None:
        view.query = _validated_query(view.project, params)
    try:
        view.save()
    except IntegrityError as exc:
        raise ValidationError({"name": f"This project already has a view named “{view.name}”."}) from exc
    return view


def delete_view(view: SavedView) -> None:
    view.delete()


def params_of(view: SavedView) -> QueryDict:
    """The view's parameters, as the explorer reads them from a URL."""
    return QueryDict(view.query)


def state_of(view: SavedView, target_ids_: list[str] | None = None) -> FilterState:
    """The view's filters and sort (a target removed since it was saved is left out)."""
    return FilterState.parse(params_of(view), target_ids=target_ids_)


# --- the dashboard's part of a view ---------------------------------------------------------


@dataclass(frozen=True)
class DashboardScope:
    """What of a saved view the dashboard's statistics can answer: targets, platforms and posted
    days (daily statistics are kept per target, platform and UTC day). ``ignored`` names the
    view's other filters, which the page lists as not applied."""

    name: str = ""
    targets: frozenset[str] = frozenset()
    platforms: frozenset[str] = frozenset()
    first: date | None = None
    last: date | None = None
    ignored: tuple[str, ...] = ()

    def admits(self, daily: dict) -> bool:
        """Whether a daily statistics document is within the view."""
        if self.targets and str(daily.get("target_id")) not in self.targets:
            return False
        if self.platforms and daily.get("platform") not in self.platforms:
            return False
        day = daily.get("day")
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    @property
    def is_empty(self) -> bool:
        return not (self.targets or self.platforms or self.first or self.last)


#: The filters the dashboard answers from daily statistics; ``date_field`` and ``tz`` only qualify
#: the dates.
DASHBOARD_PARAMS = {"target", "platform", "date_from", "date_to"}
QUALIFIERS = {"date_field", "tz"}


def dashboard_scope(view: SavedView, target_ids_: list[str]) -> DashboardScope:
    """The part of ``view`` the dashboard applies, and the labels of the filters it cannot."""
    state = state_of(view, target_ids_)
    dated = state.date_field == "content"  # daily statistics count a result on its posted day
    ignored = []
    for name, _value in state.filter_params():
        if name in QUALIFIERS or (
            name in DASHBOARD_PARAMS and (dated or name not in {"date_from", "date_to"})
        ):
            continue
        label = CHIP_LABELS.get(name, name)
        if name in {"date_from", "date_to"}:
            label = f"Collected {label.lower()}"
        if label not in ignored:
            ignored.append(label)
    return DashboardScope(
        name=view.name,
        targets=frozenset(state.targets),
        platforms=frozenset(state.platforms),
        first=state.date_from if dated else None,
        last=state.date_to if dated else None,
        ignored=tuple(ignored),
    )
