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

:func:`compare_table` does the same for the comparison page (:func:`analysis.dashboard.compare_targets`):
one row per compared target, the figures of its column.
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


COMPARE_COLUMNS = (
    "target_id", "target", "analysed_results", "average_sentiment", "positive_share", "neutral_share",
    "negative_share", "average_rating", "rating_text_disagree", "top_emotion", "aspects_sample_size",
    "most_discussed_aspects", "pros", "cons",
)  # fmt: skip


def compare_table(data: dict) -> Table:
    """The comparison page's table, one row per compared target (aspects, pros and cons are the
    ones the page lists, as lists)."""
    rows = []
    for column in data["columns"]:
        totals = column["totals"]
        shares = totals["shares"]
        rows.append(
            {
                "target_id": column["id"],
                "target": column["label"],
                "analysed_results": totals["count"],
                "average_sentiment": totals["average"],
                "positive_share": shares.get("positive"),
                "neutral_share": shares.get("neutral"),
                "negative_share": shares.get("negative"),
                "average_rating": totals["average_rating"],
                "rating_text_disagree": totals["flagged"],
                "top_emotion": column["top_emotion"] or "",
                "aspects_sample_size": column["sample_size"],
                "most_discussed_aspects": [t["topic"] for t in column["topics"]],
                "pros": [p["text"] for p in column["pros"]],
                "cons": [c["text"] for c in column["cons"]],
            }
        )
    return Table("Targets compared", COMPARE_COLUMNS, rows)
