"""The charts (plain dicts with a link per point, a summary and a table) and their explorer links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from django.urls import reverse

from analysis.dashboard.buckets import bucket_end, bucket_label, bucket_start, bucket_starts
from analysis.dashboard.marker_lines import chart_markers
from analysis.dashboard.options import LABEL_OF_BUCKET, LABELS_IN_BUCKET, MAX_SERIES
from analysis.dashboard.sums import Totals
from analysis.results_store.state import FilterState
from analysis.stats import BUCKETS
from projects.platforms import Platform
from sentimatrix.when import format_day


def explorer_url(project, **filters) -> str:
    """The explorer of ``project`` filtered by ``filters`` (FilterState attributes)."""
    state = replace(FilterState(), **filters)
    query = state.query_string()
    base = reverse("analysis:explorer", args=[project.pk])
    return f"{base}?{query}" if query else base


def period_filters(period: tuple[date, date] | None) -> dict:
    if period is None:
        return {}
    return {"date_field": "content", "date_from": period[0], "date_to": period[1], "tz": "UTC"}


# --- charts ---------------------------------------------------------------------------------


def make_chart(
    chart_id, kind, title, labels, datasets, *, summary, columns=None, rows=None, row_links=None, options=None
) -> dict:
    """One chart: what charts.js draws and what the page shows as its text alternative.

    ``datasets``: ``{"label", "data", "links", "colors"}`` where ``colors`` names palette
    entries (``positive``, ``neutral``, ``negative``, ``series-N``). When ``columns``/``rows``
    are not given the table is labels by datasets.
    """
    if columns is None:
        columns = ["", *[d["label"] for d in datasets]]
        rows = [[label, *[d["data"][i] for d in datasets]] for i, label in enumerate(labels)]
    if row_links is None and len(datasets) == 1 and len(datasets[0].get("links") or []) == len(rows or []):
        row_links = datasets[0]["links"]
    rows = rows or []
    return {
        "id": chart_id,
        "type": kind,
        "title": title,
        "labels": labels,
        "datasets": datasets,
        "summary": summary,
        # Each row's first cell links where the chart element does: the table is the keyboard's way in.
        "table": {
            "columns": columns,
            "rows": [
                {"link": (row_links or [None] * len(rows))[i], "cells": row} for i, row in enumerate(rows)
            ],
        },
        "options": options or {},
        "empty": not any(d["data"] for d in datasets),
    }


def chart_payload(charts: list[dict]) -> dict:
    """What the page hands to charts.js (``json_script``): everything but the tables."""
    return {c["id"]: {k: v for k, v in c.items() if k != "table"} for c in charts}


def percent_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def signed_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def series_color(i: int) -> str:
    return f"series-{i % MAX_SERIES}"


def distribution_chart(project, total: Totals, period) -> dict:
    labels = [LABEL_OF_BUCKET[b] for b in BUCKETS]
    data = [total.labels.get(b, 0) for b in BUCKETS]
    links = [explorer_url(project, sentiments=LABELS_IN_BUCKET[b], **period_filters(period)) for b in BUCKETS]
    summary = (
        ", ".join(
            f"{LABEL_OF_BUCKET[b]} {percent_text(total.share(b))} ({total.labels.get(b, 0)})" for b in BUCKETS
        )
        if total.count
        else "No analysed results yet."
    )
    return make_chart(
        "distribution",
        "doughnut",
        "Sentiment distribution",
        labels,
        [{"label": "Results", "data": data, "links": links, "colors": list(BUCKETS)}],
        summary=summary,
    )


def grouped_bar(chart_id, title, project, groups: list[tuple[str, str, Totals, dict]], period) -> dict:
    """Results per group (platform or target), stacked by sentiment bucket."""
    labels = [label for _, label, _, _ in groups]
    datasets = []
    for b in BUCKETS:
        datasets.append(
            {
                "label": LABEL_OF_BUCKET[b],
                "data": [t.labels.get(b, 0) for _, _, t, _ in groups],
                "links": [
                    explorer_url(project, sentiments=LABELS_IN_BUCKET[b], **f, **period_filters(period))
                    for _, _, _, f in groups
                ],
                "colors": [b],
            }
        )
    columns = ["", "Results", "Average sentiment", *[LABEL_OF_BUCKET[b] for b in BUCKETS]]
    rows = [[label, t.count, t.average, *[t.labels.get(b, 0) for b in BUCKETS]] for _, label, t, _ in groups]
    top = max(groups, key=lambda g: g[2].count) if groups else None
    summary = (
        f"{len(groups)} groups; most results: {top[1]} ({top[2].count})."
        if top
        else "No analysed results yet."
    )
    return make_chart(
        chart_id,
        "bar",
        title,
        labels,
        datasets,
        summary=summary,
        columns=columns,
        rows=rows,
        row_links=[explorer_url(project, **f, **period_filters(period)) for *_, f in groups],
        options={"stacked": True, "index_axis": "y"},
    )


def no_emotions_text(emotions_part) -> str:
    """Why the emotion chart is empty, from what produces emotions for the project
    (:mod:`projects.capabilities`; None: the settings do not ask for emotions)."""
    if emotions_part is None:
        return "No emotions analysed: turn on emotions in the project's analysis settings."
    if not emotions_part.available:
        return f"No emotions: {emotions_part.missing}"
    english = " The local models read English texts only." if emotions_part.source == "local" else ""
    return (
        f"Emotions are on ({emotions_part.engine}), but no analysed result here has one yet: results "
        f"analysed before emotions were turned on need a re-analysis.{english}"
    )


def emotion_chart(project, total: Totals, period, emotions_part=None) -> dict:
    """Primary emotions; ``emotions_part``: the project's "Emotions" capability, None when its
    settings do not ask for emotions (the empty chart then says which)."""
    emotions = total.emotions.most_common()
    labels = [e.capitalize() for e, _ in emotions]
    data = [n for _, n in emotions]
    links = [explorer_url(project, emotions=[e], **period_filters(period)) for e, _ in emotions]
    summary = (
        "Most frequent primary emotions: " + ", ".join(f"{e} ({n})" for e, n in emotions[:3]) + "."
        if emotions
        else no_emotions_text(emotions_part)
    )
    return make_chart(
        "emotions",
        "bar",
        "Primary emotions",
        labels,
        [{"label": "Results", "data": data, "links": links, "colors": ["series-1"]}],
        summary=summary,
        options={"index_axis": "y"},
    )


def over_time_chart(
    project, docs, granularity, group_by, target_labels, *, period, first, last, markers=()
) -> dict:
    """Average sentiment per time step (a line per group) with the volume beside it, and the
    project's release ``markers`` of those steps as dashed lines (``made["markers"]``)."""
    starts = bucket_starts(first, last, granularity) if docs else []
    index = {s: i for i, s in enumerate(starts)}
    if group_by == "target":
        key = lambda d: str(d["target_id"])  # noqa: E731 - a one-line key
        names = target_labels
    elif group_by == "platform":
        key = lambda d: d.get("platform") or ""  # noqa: E731
        names = dict(Platform.choices)
    else:
        key = lambda d: "all"  # noqa: E731
        names = {"all": "All results"}
    grouped: dict = defaultdict(lambda: [Totals() for _ in starts])
    for doc in docs:
        grouped[key(doc)][index[bucket_start(doc["day"], granularity)]].add(doc)
    order = sorted(grouped, key=lambda g: -sum(t.count for t in grouped[g]))
    datasets, table_rows = [], []
    labels = [bucket_label(s, granularity) for s in starts]
    for i, group in enumerate(order[:MAX_SERIES]):
        series = grouped[group]
        group_filter = {"targets": [group]} if group_by == "target" else {}
        if group_by == "platform":
            group_filter = {"platforms": [group]}
        links = [
            explorer_url(
                project,
                **group_filter,
                **period_filters((max(s, first), min(bucket_end(s, granularity), last))),
            )
            for s in starts
        ]
        datasets.append(
            {
                "label": names.get(group, group),
                "data": [t.average for t in series],
                "counts": [t.count for t in series],
                "links": links,
                "colors": [series_color(i)],
            }
        )
    for i, label in enumerate(labels):
        row = [label]
        for group in order:
            t = grouped[group][i]
            row += [t.average, t.count]
        table_rows.append(row)
    columns = [granularity.capitalize()]
    for group in order:
        name = names.get(group, group)
        columns += [f"{name}: average", f"{name}: results"]
    if datasets:
        averages = [t.average for t in grouped[order[0]] if t.average is not None]
        summary = (
            f"{len(starts)} {granularity}s from {format_day(first)} to {format_day(last)}; "
            f"average sentiment of {datasets[0]['label']} moved from {signed_text(averages[0])} to {signed_text(averages[-1])}."
        )
    else:
        summary = "No analysed results in this period."
    bucket_links = [
        explorer_url(project, **period_filters((max(s, first), min(bucket_end(s, granularity), last))))
        for s in starts
    ]
    volume = [sum(grouped[group][i].count for group in order) for i in range(len(starts))]
    empty_buckets = sum(1 for n in volume if not n)
    if datasets and empty_buckets:
        summary += (
            f" {empty_buckets} of the {len(starts)} {granularity}s have no analysed result: gaps in the line."
        )
    made = make_chart(
        "over_time",
        "line",
        f"Average sentiment per {granularity}",
        labels,
        datasets,
        summary=summary,
        columns=columns,
        rows=table_rows,
        row_links=bucket_links,
        # Empty buckets are null in every series: the line breaks there, never joins across them.
        options={"y_min": -1, "y_max": 1, "y_title": "Average sentiment (-1 to 1)", "span_gaps": False},
    )
    # How many results each mean stands on, drawn as bars on their own axis beside the line.
    made["volume"] = {
        "label": "Analysed results",
        "data": volume,
        "links": bucket_links,
        "colors": ["neutral"],
    }
    made["markers"] = chart_markers(list(markers), starts, granularity)
    return made


def rating_chart(project, per_target: dict, target_labels, period) -> dict:
    points, links, names = [], [], []
    rows, row_links = [], []
    for target_id, t in per_target.items():
        name = target_labels.get(target_id, target_id)
        rows.append([name, t.average_rating, t.average, t.rating_count, t.flagged])
        row_links.append(explorer_url(project, targets=[target_id], **period_filters(period)))
        if t.average_rating is None or t.average is None:
            continue
        points.append({"x": t.average_rating, "y": t.average})
        links.append(explorer_url(project, targets=[target_id], **period_filters(period)))
        names.append(name)
    flagged = sum(t.flagged for t in per_target.values())
    summary = (
        f"{len(points)} targets with ratings; {flagged} results where the rating and the text disagree."
        if points
        else "No rated results: ratings come from platforms that have stars (Amazon, App Store, Google, Trustpilot, Steam)."
    )
    return make_chart(
        "rating_vs_sentiment",
        "scatter",
        "Average rating against average sentiment (per target)",
        names,
        [{"label": "Targets", "data": points, "links": links, "colors": ["series-2"]}],
        summary=summary,
        columns=["Target", "Average rating", "Average sentiment", "Rated results", "Rating/text disagree"],
        rows=rows,
        row_links=row_links,
        options={"x_title": "Average rating", "y_title": "Average sentiment", "y_min": -1, "y_max": 1},
    )


CHART_TOPICS = 15


def topics_chart(project, summary: dict, sample: dict | None = None) -> dict:
    """The most discussed aspects; ``sample`` (:func:`analysis.insights_cache.sample_of`) says
    which results they come from."""
    topics = (summary.get("topics") or [])[:CHART_TOPICS]
    labels = [t["topic"] for t in topics]
    colors = [
        "positive"
        if (t.get("mean_sentiment") or 0) >= 0.05
        else "negative"
        if (t.get("mean_sentiment") or 0) <= -0.05
        else "neutral"
        for t in topics
    ]
    links = [aspect_link(project, t) for t in topics]
    if sample is None:
        size = (summary.get("sample") or {}).get("results", summary.get("total_results") or 0)
        sample = {"text": f"the latest {size} analysed results"}
    return make_chart(
        "topics",
        "bar",
        "Most discussed aspects (colour: the sentiment of the sentences that mention them)",
        labels,
        [
            {
                "label": "Results mentioning it",
                "data": [t["count"] for t in topics],
                "links": links,
                "colors": colors,
            }
        ],
        summary=(
            f"Topics from {sample['text']}. Most discussed: "
            + ", ".join(
                f"{t['topic']} ({t['count']}, {signed_text(t['mean_sentiment'])})" for t in topics[:3]
            )
            + "."
            if topics
            else "No aspects yet: they come from analysed texts."
        ),
        columns=["Aspect", "Results", "Average sentiment of its sentences", "Verdict"],
        rows=[
            [t["topic"], t["count"], t["mean_sentiment"], VERDICTS.get(t.get("verdict"), "")] for t in topics
        ],
        row_links=links,
        options={"index_axis": "y"},
    )


VERDICTS = {"pro": "Pro", "con": "Con", "mixed": "Mixed", None: "Too few judgements"}


def aspect_link(project, entry: dict, target_id: str | None = None) -> str:
    """Explorer link for an aspect (a topic, a pro or a con): a search for it, in one target when
    given. The explorer lists every result that matches, not only the sample's."""
    query = entry.get("search") or entry.get("topic") or entry.get("text") or ""
    return explorer_url(project, q=query, **({"targets": [target_id]} if target_id else {}))


def aspect_rows(project, summary: dict, target_id: str | None = None) -> dict:
    """Pros, cons and aspects of a summary, each with its explorer link."""

    def linked(entries):
        return [{**e, "link": aspect_link(project, e, target_id)} for e in entries or []]

    return {
        "pros": linked(summary.get("pros")),
        "cons": linked(summary.get("cons")),
        "topics": linked(summary.get("topics")),
    }
