"""The explorer's sort orders, each described once.

Every order is one field of the document and then the id, both in the same direction, so pages
never overlap and a cursor can name a position. From that description come the ORM ordering, the
MongoDB sort, the in-memory sort key (MongoDB's order: a missing or null value sorts before every
number and date) and the index that serves it: ``(project_id, excluded, <field>, _id)`` in
``sentimatrix.dbindexes``, so both the embedded server's windows and MongoDB's index walk find
the results of one project and status in the order of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from analysis.results_store.docs import get_path

NUMBER = "number"
DATE = "date"


@dataclass(frozen=True)
class Sort:
    """One order: ``path`` (a dotted document path) then the id, descending or ascending."""

    key: str
    label: str
    path: str | None  # None: the search's relevance, which only the text index gives
    descending: bool = True
    kind: str = NUMBER  # what the field holds (windows step through numbers or dates)
    index: str = ""  # the registry index (sentimatrix.dbindexes) whose key is this order's
    # Values many results share (whole-star ratings): a windowed read takes each of them apart
    # and pages through its results by id, rather than reading the whole group at once.
    heavy: tuple = ()

    @property
    def orm_path(self) -> str:
        return (self.path or "").replace(".", "__")

    def ordering(self) -> tuple[str, ...]:
        """The ORM ordering (empty for relevance, which the search orders)."""
        if self.path is None:
            return ()
        sign = "-" if self.descending else ""
        return (f"{sign}{self.orm_path}", f"{sign}pk")

    def mongo_sort(self) -> list[tuple[str, int]]:
        direction = -1 if self.descending else 1
        return [(self.path, direction), ("_id", direction)] if self.path else []

    def value(self, doc: dict) -> Any:
        """The document's value of this order, as MongoDB compares it (None when missing)."""
        return sort_value(get_path(doc, self.path)) if self.path else None

    def key_of(self, doc: dict) -> tuple:
        """An ascending sort key in MongoDB's order: missing/null first, then the value, then
        the id (reverse it for a descending order)."""
        return (*rank(self.value(doc)), doc["_id"])


def sort_value(value: Any) -> Any:
    """A stored value as the sort compares it: naive datetimes are UTC (as pymongo reads them)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def rank(value: Any) -> tuple:
    """``value``'s place in MongoDB's order of the types a sort field holds here."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):  # a type of its own to MongoDB, after dates
        return (3, value)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, datetime):
        return (2, value)
    return (4, str(value))


SORTS: dict[str, Sort] = {
    sort.key: sort
    for sort in (
        Sort("collected", "Newest collected", "created_at", kind=DATE, index="results_project_excluded_created_id"),
        Sort("newest", "Newest posted", "content.date", kind=DATE, index="results_project_excluded_posted"),
        Sort(
            "oldest", "Oldest posted", "content.date", descending=False, kind=DATE,
            index="results_project_excluded_posted",
        ),
        Sort("score_desc", "Most positive", "analysis.sentiment.score", index="results_project_excluded_score"),
        Sort(
            "score_asc", "Most negative", "analysis.sentiment.score", descending=False,
            index="results_project_excluded_score",
        ),
        Sort(
            "rating_desc", "Highest rating", "content.rating", index="results_project_excluded_rating",
            heavy=(1.0, 2.0, 3.0, 4.0, 5.0),
        ),
        Sort(
            "rating_asc", "Lowest rating", "content.rating", descending=False,
            index="results_project_excluded_rating", heavy=(1.0, 2.0, 3.0, 4.0, 5.0),
        ),
        Sort("relevance", "Best match", None),
    )
}  # fmt: skip
DEFAULT_SORT = "collected"
RELEVANCE = "relevance"
#: Where a score order with a sentiment filter reads: the label before the score, so the
#: results of the chosen labels are read in score order without the others in between.
LABEL_SCORE_INDEX = "results_project_excluded_label_score"
