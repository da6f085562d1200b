"""Release markers: dated notes on a project ("v1.2 patch", "price change") that every time chart
draws as a dashed vertical line with its label, lists under the chart, and that the period
comparison offers as a pivot ("30 days before and after v1.2").

One form (:class:`MarkerForm`) validates what the dashboard's form and the API send: a real date,
an optional time of day (UTC, as the charts' days are), a label of at most
:data:`MAX_LABEL` characters and an optional note. The services below are the only writers; a
marker of another project is :class:`MarkerNotFound` (callers answer 404).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bson.errors import InvalidId
from django import forms
from django.core.exceptions import ValidationError

from analysis.models import ReleaseMarker
from sentimatrix.when import format_day, format_when

MAX_LABEL = 100
MAX_NOTE = 1000
#: A project keeps at most this many markers: every chart draws them all.
MAX_MARKERS = 200


#: The calendar a marker or a compared period lies in: wider than any posted review, narrow
#: enough that a week or a month around any day of it is a real date.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
OUT_OF_RANGE = f"Enter a date from {EARLIEST.year} to {LATEST.year}."


def check_day(value: date) -> date:
    """``value`` when it lies from :data:`EARLIEST` to :data:`LATEST`, else ``ValidationError``."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(OUT_OF_RANGE)
    return value


class MarkerNotFound(LookupError):
    """No such marker in this project (callers answer 404)."""


class MarkerForm(forms.Form):
    """A marker as a person (or a script) gives it: a day, an optional UTC time, a label, a note."""

    day = forms.DateField(
        label="Date", error_messages={"required": "Give the marker's date.", "invalid": "Enter a real date."}
    )
    time = forms.TimeField(
        label="Time (UTC, optional)", required=False, error_messages={"invalid": "Enter a time as HH:MM."}
    )
    label = forms.CharField(
        label="Label",
        max_length=MAX_LABEL,
        error_messages={
            "required": "Give the marker a label.",
            "max_length": f"A label is at most {MAX_LABEL} characters.",
        },
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"A note is at most {MAX_NOTE} characters."},
    )

    def clean_day(self) -> date:
        return check_day(self.cleaned_data["day"])

    def clean_label(self) -> str:
        label = " ".join(self.cleaned_data["label"].split())
        if not label:
            raise ValidationError("Give the marker a label.")
        return label

    def moment(self) -> tuple[datetime, bool]:
        """``(at, whole_day)`` of the cleaned form."""
        day, at_time = self.cleaned_data["day"], self.cleaned_data.get("time")
        return datetime.combine(day, at_time or time(0), tzinfo=UTC), at_time is None


def _validated(data) -> MarkerForm:
    form = MarkerForm(data)
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form


def markers_for(project, first: date | None = None, last: date | None = None) -> list[ReleaseMarker]:
    """The project's markers in date order, those of the UTC days ``first`` to ``last`` when given."""
    found = ReleaseMarker.objects.filter(project_id=project.pk)
    if first is not None:
        found = found.filter(at__gte=datetime.combine(first, time(0), tzinfo=UTC))
    if last is not None:
        found = found.filter(at__lt=datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC))
    return list(found.order_by("at", "pk")[:MAX_MARKERS])


def marker_for(project, marker_id) -> ReleaseMarker:
    """One marker of the project (:class:`MarkerNotFound` for any other id)."""
    try:
        return ReleaseMarker.objects.get(pk=marker_id, project_id=project.pk)
    except (ReleaseMarker.DoesNotExist, InvalidId, TypeError, ValueError) as exc:
        raise MarkerNotFound(str(marker_id)) from exc


def create_marker(project, user, data) -> ReleaseMarker:
    """A new marker from ``data`` (the form's fields); ``ValidationError`` by field when refused."""
    form = _validated(data)
    if ReleaseMarker.objects.filter(project_id=project.pk).count() >= MAX_MARKERS:
        raise ValidationError({"label": f"A project keeps at most {MAX_MARKERS} markers: delete one first."})
    at, whole_day = form.moment()
    marker = ReleaseMarker(
        project=project,
        user_id=user.pk,
        at=at,
        whole_day=whole_day,
        label=form.cleaned_data["label"],
        note=form.cleaned_data["note"].strip(),
    )
    marker.full_clean()
    marker.save()
    return marker


def update_marker(marker: ReleaseMarker, data) -> ReleaseMarker:
    """Replace the marker's date, time, label and note (validated as when it was made)."""
    form = _validated(data)
    marker.at, marker.whole_day = form.moment()
    marker.label = form.cleaned_data["label"]
    marker.note = form.cleaned_data["note"].strip()
    marker.full_clean()
    marker.save()
    return marker


def delete_marker(marker: ReleaseMarker) -> None:
    marker.delete()


def initial(marker: ReleaseMarker) -> dict:
    """The form's values for an existing marker."""
    at = marker.at if marker.at.tzinfo else marker.at.replace(tzinfo=UTC)
    at = at.astimezone(UTC)
    return {
        "day": at.date(),
        "time": None if marker.whole_day else at.time().replace(second=0, microsecond=0),
        "label": marker.label,
        "note": marker.note,
    }


def when_text(marker: ReleaseMarker) -> str:
    """ "7 Dec 2026" for a whole day, "7 Dec 2026, 08:30 UTC" for a moment (always in UTC: the
    charts' days are UTC days)."""
    at = marker.at if marker.at.tzinfo else marker.at.replace(tzinfo=UTC)
    if marker.whole_day:
        return format_day(at.astimezone(UTC).date())
    return format_when(at.astimezone(UTC).replace(tzinfo=None)) + " UTC"


def rows(found: list[ReleaseMarker]) -> list[dict]:
    """The markers as a page lists them: label, note, date text and the edit form's values."""
    out = []
    for marker in found:
        values = initial(marker)
        out.append(
            {
                "pk": marker.pk,
                "label": marker.label,
                "note": marker.note,
                "when": when_text(marker),
                "day": values["day"].isoformat(),
                "time": values["time"].strftime("%H:%M") if values["time"] else "",
            }
        )
    return out
