"""Which two periods a comparison shows (:mod:`analysis.periods`): two ranges of UTC days given
as dates, or the days before and after a release marker, validated by :class:`PeriodForm` with an
error named by field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError

from analysis import markers as marker_service
from analysis.markers import EARLIEST, LATEST
from projects.platforms import Platform
from sentimatrix.when import format_day

#: The longest period (and the most days on each side of a marker) a comparison takes.
MAX_DAYS = 3660
DEFAULT_DAYS = 30
DATES, MARKER = "dates", "marker"
#: The parameters that choose the periods: with none of them a comparison takes the last 30 days
#: and the 30 before (:func:`default_params`), in the targets and platforms given, if any.
PERIOD_PARAMS = {"mode", "a_from", "a_to", "b_from", "b_to", "marker", "days"}


@dataclass(frozen=True)
class Period:
    """UTC days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def text(self) -> str:
        return f"{format_day(self.first)} to {format_day(self.last)}"

    def as_tuple(self) -> tuple[date, date]:
        return (self.first, self.last)


class PeriodForm(forms.Form):
    """Which two periods to compare, validated: real dates, each period's start on or before its
    end, at most :data:`MAX_DAYS` days; or a marker of the project and how many days on each side.
    Errors are named by field (``a_from``, ``b_to``, ``marker``, ``days``...)."""

    mode = forms.ChoiceField(
        choices=[(DATES, "Two periods"), (MARKER, "Before and after a marker")], required=False
    )
    a_from = forms.DateField(
        label="Period A from", required=False, error_messages={"invalid": "Enter a real date."}
    )
    a_to = forms.DateField(
        label="Period A to", required=False, error_messages={"invalid": "Enter a real date."}
    )
    b_from = forms.DateField(
        label="Period B from", required=False, error_messages={"invalid": "Enter a real date."}
    )
    b_to = forms.DateField(
        label="Period B to", required=False, error_messages={"invalid": "Enter a real date."}
    )
    marker = forms.ChoiceField(label="Marker", required=False)
    days = forms.IntegerField(
        label="Days on each side",
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={
            "invalid": "Enter a whole number of days.",
            "min_value": "At least 1 day.",
            "max_value": f"At most {MAX_DAYS} days.",
        },
    )
    target = forms.MultipleChoiceField(label="Targets", required=False)
    platform = forms.MultipleChoiceField(label="Platforms", required=False)

    def __init__(self, data, *, project_markers, targets: dict[str, str], platforms: list[str]):
        super().__init__(data)
        self.markers = {str(m.pk): m for m in project_markers}
        self.target_labels = targets
        self.fields["marker"].choices = [("", "—")] + [
            (mid, f"{m.label} ({marker_service.when_text(m)})") for mid, m in self.markers.items()
        ]
        self.fields["target"].choices = list(targets.items())
        names = dict(Platform.choices)
        self.fields["platform"].choices = [(p, names.get(p, p)) for p in platforms]

    def clean(self):
        data = super().clean()
        mode = data.get("mode") or (MARKER if data.get("marker") else DATES)
        data["mode"] = mode
        if mode == MARKER:
            if not data.get("marker"):
                self.add_error("marker", "Choose a marker.")
            if self.errors.get("days") is None and data.get("days") is None:
                data["days"] = DEFAULT_DAYS
            chosen = self.markers.get(data.get("marker") or "")
            if chosen is not None and data.get("days"):
                try:
                    marker_service.check_day(chosen.day - timedelta(days=data["days"]))
                    marker_service.check_day(chosen.day + timedelta(days=data["days"]))
                except ValidationError:
                    self.add_error("days", "So many days reach beyond the calendar.")
            return data
        for side in ("a", "b"):
            first, last = f"{side}_from", f"{side}_to"
            name = side.upper()
            for field, word in ((first, "first"), (last, "last")):
                if field not in self.errors and data.get(field) is None:
                    self.add_error(field, f"Give the {word} day of period {name}.")
                elif data.get(field) is not None and not EARLIEST <= data[field] <= LATEST:
                    self.add_error(field, marker_service.OUT_OF_RANGE)
                    data.pop(field, None)
            if data.get(first) and data.get(last):
                if data[first] > data[last]:
                    self.add_error(last, f"Period {name} ends before it starts.")
                elif (data[last] - data[first]).days + 1 > MAX_DAYS:
                    self.add_error(last, f"Period {name} is longer than {MAX_DAYS} days.")
        return data

    def periods(self) -> tuple[Period, Period, object | None]:
        """``(A, B, marker or None)`` of a valid form. Before and after a marker, A is the
        ``days`` days before the marker's day and B that day and the ``days - 1`` after it (a
        release day counts as after)."""
        data = self.cleaned_data
        if data["mode"] == MARKER:
            marker = self.markers[data["marker"]]
            day, n = marker.day, data["days"]
            return (
                Period(day - timedelta(days=n), day - timedelta(days=1)),
                Period(day, day + timedelta(days=n - 1)),
                marker,
            )
        return Period(data["a_from"], data["a_to"]), Period(data["b_from"], data["b_to"]), None


def scope_query(scope) -> str:
    """The comparison's query string for a dashboard's saved-view scope (its targets and
    platforms: the daily aggregates answer those), so the page opens on what the dashboard shows."""
    if scope is None:
        return ""
    pairs = [("target", t) for t in sorted(scope.targets)] + [
        ("platform", p) for p in sorted(scope.platforms)
    ]
    return urlencode(pairs)


def with_defaults(params, today: date):
    """``params`` (a QueryDict) as given when they name a period, else with
    :func:`default_params` added (the targets and platforms given are kept)."""
    if PERIOD_PARAMS & set(params):
        return params
    params = params.copy()
    params.update(default_params(today))
    return params


def default_params(today: date) -> dict[str, str]:
    """The form's values when none are given: the last 30 days (B) against the 30 before (A)."""
    b = Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
    a = Period(b.first - timedelta(days=DEFAULT_DAYS), b.first - timedelta(days=1))
    return {
        "mode": DATES,
        "a_from": a.first.isoformat(),
        "a_to": a.last.isoformat(),
        "b_from": b.first.isoformat(),
        "b_to": b.last.isoformat(),
    }
