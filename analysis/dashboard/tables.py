"""The dashboard's figures as tables, for its exports: each table is read from what
:func:`analysis.dashboard.project_dashboard` returned for the page, never recomputed, so a
file and the page it was downloaded from show the same numbers for the same options.

- ``topics``: the aspects (the "What people say" table), one row per aspect, in the aspects
  export's columns;
- ``pros_cons``: the pros then the cons, same columns with their kind first;
- ``over_time``: the sentiment-over-time chart's table (a row per time step, the average and the
  number of results of each line);
- ``targets``: the per-target chart's table (results, average sentiment, results per sentiment),
  with each target's average rating and rating/text disagreements from the rating chart.
"""

from __future__ import annotations

from typing import NamedTuple

from analysis.exports import ASPECT_COLUMNS, aspect_row

TABLES = {
    "topics": "Aspects",
    "pros_cons": "Pros and cons",
    "over_time": "Sentiment over time",
    "targets": "Targets compared",
}


class Table(NamedTuple):
    title: str
    columns: tuple[str, ...]
    rows: list[dict]


def _chart(data: dict, chart_id: str) -> dict:
    return next(c for c in data["charts"] if c["id"] == chart_id)


def _chart_rows(chart: dict) -> tuple[tuple[str, ...], list[dict]]:
    columns = tuple(chart["table"]["columns"])
    return columns, [dict(zip(columns, row["cells"], strict=True)) for row in chart["table"]["rows"]]


def dashboard_table(data: dict, kind: str) -> Table:
    """The table ``kind`` (a key of :data:`TABLES`) of a dashboard's data."""
    title = TABLES[kind]
    if kind in ("topics", "pros_cons"):
        found = data["insights"]
        if kind == "topics":
            return Table(title, ASPECT_COLUMNS, [aspect_row(entry, found) for entry in data["topics"]])
        rows = [
            {"kind": name, **aspect_row(entry, found)}
            for name, entries in (("pro", data["pros"]), ("con", data["cons"]))
            for entry in entries
        ]
        return Table(title, ("kind", *ASPECT_COLUMNS), rows)
    if kind == "over_time":
        columns, rows = _chart_rows(_chart(data, "over_time"))
        return Table(title, columns, rows)
    columns, rows = _chart_rows(_chart(data, "per_target"))
    columns = ("Target", *columns[1:])
    ratings = {row["Target"]: row for row in _chart_rows(_chart(data, "rating_vs_sentiment"))[1]}
    extra = ("Average rating", "Rated results", "Rating/text disagree")
    joined = []
    for row in rows:
        name = row.pop("")
        rated = ratings.get(name, {})
        joined.append({"Target": name, **row, **{c: rated.get(c) for c in extra}})
    return Table(title, (*columns, *extra), joined)
