"""The filters, sort and page of a results view as URL parameters: parsed, validated, rendered back.

:class:`FilterState` parses query parameters (a ``QueryDict`` or a dict of strings or lists);
unknown values are dropped and reported in ``errors``, never raised. It renders back to a
canonical query string, so the filters live in the URL: shareable, bookmarkable, and the back
button works. Which parameters exist, their chip labels and messages come from the filters'
descriptions (:mod:`analysis.results_store.filters`).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from analysis.results_store import filters
from analysis.results_store import params as p
from analysis.results_store.filters import DEFAULT_DATE_FIELD, DEFAULT_STATUS, STATUSES
from analysis.results_store.sorting import DEFAULT_SORT, SORTS
from sentimatrix.timeutil import zone_or_utc

SORT_ERROR = "Unknown sort order."


@dataclass
class FilterState:
    """A results view's filters, sort and page, parsed and validated; renders to a query string."""

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
    playtime_min: float | None = None  # hours
    playtime_max: float | None = None
    early_access: bool = False
    free: bool = False
    likes_min: float | None = None
    score_min: float | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict, compare=False)
    # Filled by the store's selection: what to highlight and how the search ran.
    terms: list[str] = field(default_factory=list, compare=False)
    search_mode: str = field(default="none", compare=False)

    # Parameter name -> attribute, in the canonical order of the query string.
    PARAMS = (*(pair for f in filters.FILTERS for pair in f.params), ("sort", "sort"), ("page", "page"))

    @classmethod
    def parse(cls, params: p.Params, *, target_ids: list[str] | None = None) -> FilterState:
        """Validate query parameters; invalid values are left out and named in ``errors``.

        ``target_ids`` are the project's targets (string ids): other ids are refused, so a
        link can never reach another project's target.
        """
        state, errors = cls(), dict[str, str]()
        for f in filters.FILTERS:
            f.parse(state, params, errors, target_ids)
        state.sort = p.choice(params, "sort", SORTS, DEFAULT_SORT, errors=errors, message=SORT_ERROR)
        page = p.one(params, "page")
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

    def query_string(self, **changes: Any) -> str:
        """The filters as a query string (no ``?``), with ``changes`` applied.

        Any change other than ``page`` starts again at page 1.
        """
        state = self.with_changes(**changes)
        return urlencode(state.params())

    def with_changes(self, **changes: Any) -> FilterState:
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
            if name not in CHIP_LABELS:
                continue
            value = getattr(self, attr)
            if value == getattr(FilterState(), attr):
                continue
            if isinstance(value, list):
                for item in value:
                    shown = (
                        target_labels.get(item, item)
                        if name == "target"
                        else VALUE_NAMES.get(name, {}).get(item, item)
                    )
                    rest = [v for v in value if v != item]
                    out.append((f"{CHIP_LABELS[name]}: {shown}", self.query_string(**{attr: rest})))
            else:
                shown = (
                    "yes" if isinstance(value, bool) else (STATUSES.get(value) if name == "status" else value)
                )
                if isinstance(value, float):
                    shown = f"{value:g}"
                default = getattr(FilterState(), attr)
                out.append((f"{CHIP_LABELS[name]}: {shown}", self.query_string(**{attr: default})))
        return out

    def time_zone(self, default: str = "UTC") -> zoneinfo.ZoneInfo:
        return zone_or_utc(self.tz or default)


#: Parameter -> chip label, for the parameters that get a removable chip.
CHIP_LABELS = {name: label for f in filters.FILTERS for name, label in f.labels.items()}
#: Parameter -> {value: the name a person reads}, for chips ("Platform: Steam", not "steam").
VALUE_NAMES = {
    name: names for f in filters.FILTERS for name, _ in f.params if (names := getattr(f, "names", None))
}
