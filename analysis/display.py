"""How the explorer shows its results: layout (table or cards), the table's columns and the
page size, as URL parameters (``layout``, ``cols``, ``per_page``) validated by a form.

They sit beside the filters in the URL (shareable, bookmarkable) but are not filters: the
results store never sees them. Invalid values are reported and left out, as a filter's are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms

LAYOUTS = {"table": "Table", "cards": "Cards"}
DEFAULT_LAYOUT = "table"
COLUMNS = {
    "date": "Date",
    "platform": "Platform",
    "target": "Target",
    "author": "Author",
    "rating": "Rating",
    "sentiment": "Sentiment",
    "emotion": "Emotion",
    "text": "Text",
    "tags": "Tags",
}
#: Shown unless the URL chooses: every column but the rating (one click away), so the text keeps
#: its room at 1366 px.
DEFAULT_COLUMNS = tuple(c for c in COLUMNS if c != "rating")
PAGE_SIZES = (50, 100, 200)

PER_PAGE_ERROR = "Show 50, 100 or 200 results per page."
LAYOUT_ERROR = "The results are shown as a table or as cards."
COLUMN_ERROR = "Unknown column left out; the columns are: " + ", ".join(COLUMNS.values()).lower() + "."


class DisplayForm(forms.Form):
    """The display parameters of the explorer's URL."""

    layout = forms.ChoiceField(
        choices=LAYOUTS.items(), required=False, error_messages={"invalid_choice": LAYOUT_ERROR}
    )
    cols = forms.MultipleChoiceField(
        choices=COLUMNS.items(), required=False, error_messages={"invalid_choice": COLUMN_ERROR}
    )
    per_page = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": PER_PAGE_ERROR},
    )


@dataclass
class Display:
    """The explorer's display: layout, columns (in their fixed order), page size."""

    layout: str = DEFAULT_LAYOUT
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    per_page: int | None = None  # None: the user's own setting
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> list[tuple[str, str]]:
        """The non-default display parameters as (name, value) pairs."""
        pairs = []
        if self.layout != DEFAULT_LAYOUT:
            pairs.append(("layout", self.layout))
        if self.columns != DEFAULT_COLUMNS:
            pairs.append(("cols", ",".join(self.columns)))
        if self.per_page:
            pairs.append(("per_page", str(self.per_page)))
        return pairs

    def query_string(self) -> str:
        return urlencode(self.params())

    def join(self, filters_query: str) -> str:
        """A filters' query string (no ``?``) with the display parameters added."""
        return "&".join(part for part in (filters_query, self.query_string()) if part)

    @property
    def is_table(self) -> bool:
        return self.layout == "table"

    def shows(self, column: str) -> bool:
        return column in self.columns


def _listed(params, name: str) -> list[str]:
    # Columns come as cols=a,b (a link) or as repeated cols=a&cols=b (the form's checkboxes).
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")]
    return [part.strip() for value in raw for part in str(value).split(",") if part.strip()]


def parse(params) -> Display:
    """The display a request asks for; each invalid value is named in ``errors`` and left out."""
    data = {
        "layout": params.get("layout", ""),
        "per_page": params.get("per_page", ""),
        "cols": _listed(params, "cols"),
    }
    form = DisplayForm(data)
    form.is_valid()
    display = Display()
    cleaned = form.cleaned_data
    if "layout" in form.errors:
        display.errors["layout"] = LAYOUT_ERROR
    elif cleaned.get("layout"):
        display.layout = cleaned["layout"]
    if "per_page" in form.errors:
        display.errors["per_page"] = PER_PAGE_ERROR
    elif cleaned.get("per_page"):
        display.per_page = cleaned["per_page"]
    if data["cols"]:
        known = [c for c in COLUMNS if c in data["cols"]]
        if "cols" in form.errors:
            display.errors["cols"] = COLUMN_ERROR
        if known:
            display.columns = tuple(known)
    return display
