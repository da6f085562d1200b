"""Project dashboards from the incremental statistics: never a scan of the results.

Every figure here comes from the project's and targets' ``stats`` and from the daily
aggregates (``daily_stats``: one document per target and UTC day of the content's date, see
``analysis.stats``), whose number grows with targets times days, not with results. What people say
(topics, pros, cons) comes from :mod:`analysis.insights_cache` (a cached sample).

Counts are of analysed results that are not excluded by triage (what the statistics hold);
``total_results`` is everything collected. Days are UTC days, so every explorer link built
here carries ``tz=UTC`` and ``date_field=content`` to land on the same results.

Each chart is a plain dict (see :func:`_chart`): labels, datasets with a link per point (the
explorer filtered to that element), a one-sentence summary and a table (text alternative).

What people say (aspects, pros, cons) is read from :mod:`analysis.insights_cache`, the one place
it is computed: the dashboard, the comparison, the report and the aspects export show the same
counts for the same sample, and say which sample that is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from analysis import insights_cache
from analysis.results_store.state import FilterState
from analysis.stats import BUCKETS, DAILY
from projects.platforms import Platform
from sentimatrix.mongo import collection

PERIODS = {
    "7": "Last 7 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last 12 months",
    "all": "All time",
}
DEFAULT_PERIOD = "all"
GRANULARITIES = {"auto": "Automatic", "day": "Day", "week": "Week", "month": "Month"}
GROUPS = {"all": "All results", "target": "Per target", "platform": "Per platform"}
# With period "all" the change of the average compares the last 30 days with the 30 before.
CHANGE_WINDOW_DAYS = 30
MAX_SERIES = 8  # lines on one chart; the rest are left to the table
LABEL_OF_BUCKET = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
# A 3-class bucket in the explorer: the 5-class labels it folds in (analysis.stats.bucket).
LABELS_IN_BUCKET = {
    "positive": ["positive", "very_positive"],
    "neutral": ["neutral"],
    "negative": ["negative", "very_negative"],
}
DAILY_FIELDS = {
    "target_id": 1, "platform": 1, "day": 1, "count": 1, "sum": 1, "labels": 1, "emotions": 1,
    "rating_sum": 1, "rating_count": 1, "flagged": 1,
}  # fmt: skip


# --- options ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardOptions:
    period: str = DEFAULT_PERIOD
    granularity: str = "auto"
    group_by: str = "all"
    targets: tuple[str, ...] = ()  # the comparison view's targets

    @classmethod
    def parse(cls, params, target_ids: list[str] | None = None) -> DashboardOptions:
        """Options from query parameters; unknown values fall back to the defaults."""
        period = params.get("period") or DEFAULT_PERIOD
        granularity = params.get("granularity") or "auto"
        group_by = params.get("group") or "all"
        wanted = params.getlist("target") if hasattr(params, "getlist") else params.get("target", [])
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        targets = tuple(dict.fromkeys(t for t in wanted if target_ids is None or t in target_ids))
        return cls(
            period=period if period in PERIODS else DEFAULT_PERIOD,
            granularity=granularity if granularity in GRANULARITIES else "auto",
            group_by=group_by if group_by in GROUPS else "all",
            targets=targets,
        )

    @property
    def days(self) -> int | None:
        return None if self.period == "all" else int(self.period)

    def query_string(self, **changes) -> str:
        options = replace(self, **changes)
        pairs = [
            (name, value)
            for name, value, default in (
                ("period", options.period, DEFAULT_PERIOD),
                ("granularity", options.granularity, "auto"),
                ("group", options.group_by, "all"),
            )
            if value != default
        ]
        pairs += [("target", t) for t in options.targets]
        return urlencode(pairs)


# --- sums -------------------------------------------------------------------------------


@dataclass
class Totals:
    """Sums of daily aggregates."""

    count: int = 0
    sum: float = 0.0
    labels: Counter = field(default_factory=Counter)
    emotions: Counter = field(default_factory=Counter)
    rating_sum: float = 0.0
    rating_count: int = 0
    flagged: int = 0

    def add(self, doc: dict) -> None:
        self.count += doc.get("count") or 0
        self.sum += doc.get("sum") or 0.0
        self.labels.update({k: v for k, v in (doc.get("labels") or {}).items() if v})
        self.emotions.update({k: v for k, v in (doc.get("emotions") or {}).items() if v})
        self.rating_sum += doc.get("rating_sum") or 0.0
        self.rating_count += doc.get("rating_count") or 0
        self.flagged += doc.get("flagged") or 0

    @property
    def average(self) -> float | None:
        return round(self.sum / self.count, 4) if self.count else None

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    def share(self, bucket: str) -> float | None:
        return round(self.labels.get(bucket, 0) / self.count, 4) if self.count else None

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "average": self.average,
            "distribution": {b: self.labels.get(b, 0) for b in BUCKETS},
            "shares": {b: self.share(b) for b in BUCKETS},
            "emotions": dict(self.emotions.most_common()),
            "average_rating": self.average_rating,
            "rating_count": self.rating_count,
            "flagged": self.flagged,
        }


def totals(docs, key=None) -> dict:
    """Totals of daily documents, all together (key None) or grouped by ``key(doc)``."""
    out: dict = defaultdict(Totals)
    for doc in docs:
        out[key(doc) if key else None].add(doc)
    return out


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def daily_documents(project_id, start: date | None = None, target_ids=None) -> list[dict]:
    """The project's daily aggregates from ``start`` (a UTC day) on, optionally of some targets.

    The query names only the fields of the (project_id, day) index; targets are picked here (the
    embedded server scans the collection for a query with any other predicate).
    """
    query: dict = {"project_id": project_id}
    if start is not None:
        query["day"] = {"$gte": datetime(start.year, start.month, start.day, tzinfo=UTC)}
    wanted = set(target_ids) if target_ids is not None else None
    docs = []
    for doc in collection(DAILY).find(query, DAILY_FIELDS):
        if doc.get("count") and (wanted is None or doc.get("target_id") in wanted):
            doc["day"] = _day(doc["day"])
            docs.append(doc)
    return docs


# --- time buckets -------------------------------------------------------------------------


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if granularity == "month":
        return day.replace(day=1)
    return day


def bucket_end(start: date, granularity: str) -> date:
    """The last day of the bucket that starts on ``start``."""
    if granularity == "week":
        return start + timedelta(days=6)
    if granularity == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def bucket_starts(first: date, last: date, granularity: str) -> list[date]:
    """Every bucket from the one holding ``first`` to the one holding ``last`` (empty ones too)."""
    out, current = [], bucket_start(first, granularity)
    while current <= last:
        out.append(current)
        current = bucket_end(current, granularity) + timedelta(days=1)
    return out


def choose_granularity(first: date, last: date, wanted: str) -> str:
    if wanted != "auto":
        return wanted
    span = (last - first).days
    return "day" if span <= 62 else "week" if span <= 365 else "month"


def bucket_label(start: date, granularity: str) -> str:
    if granularity == "month":
        return start.strftime("%b %Y")
    if granularity == "week":
        return f"Week of {start.isoformat()}"
    return start.isoformat()


# --- links --------------------------------------------------------------------------------


def explorer_url(project, **filters) -> str:
    """The explorer of ``project`` filtered by ``filters`` (FilterState attributes)."""
    state = replace(FilterState(), **filters)
    query = state.query_string()
    base = reverse("analysis:explorer", args=[project.pk])
    return f"{base}?{query}" if query else base


def _period_filters(period: tuple[date, date] | None) -> dict:
    if period is None:
        return {}
    return {"date_field": "content", "date_from": period[0], "date_to": period[1], "tz": "UTC"}


# --- charts ---------------------------------------------------------------------------------


def _chart(
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


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _series_color(i: int) -> str:
    return f"series-{i % MAX_SERIES}"


def _distribution_chart(project, total: Totals, period) -> dict:
    labels = [LABEL_OF_BUCKET[b] for b in BUCKETS]
    data = [total.labels.get(b, 0) for b in BUCKETS]
    links = [
        explorer_url(project, sentiments=LABELS_IN_BUCKET[b], **_period_filters(period)) for b in BUCKETS
    ]
    summary = (
        ", ".join(f"{LABEL_OF_BUCKET[b]} {_pct(total.share(b))} ({total.labels.get(b, 0)})" for b in BUCKETS)
        if total.count
        else "No analysed results yet."
    )
    return _chart(
        "distribution",
        "doughnut",
        "Sentiment distribution",
        labels,
        [{"label": "Results", "data": data, "links": links, "colors": list(BUCKETS)}],
        summary=summary,
    )


def _grouped_bar(chart_id, title, project, groups: list[tuple[str, str, Totals, dict]], period) -> dict:
    """Results per group (platform or target), stacked by sentiment bucket."""
    labels = [label for _, label, _, _ in groups]
    datasets = []
    for b in BUCKETS:
        datasets.append(
            {
                "label": LABEL_OF_BUCKET[b],
                "data": [t.labels.get(b, 0) for _, _, t, _ in groups],
                "links": [
                    explorer_url(project, sentiments=LABELS_IN_BUCKET[b], **f, **_period_filters(period))
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
    return _chart(
        chart_id,
        "bar",
        title,
        labels,
        datasets,
        summary=summary,
        columns=columns,
        rows=rows,
        row_links=[explorer_url(project, **f, **_period_filters(period)) for *_, f in groups],
        options={"stacked": True, "index_axis": "y"},
    )


def _emotion_chart(project, total: Totals, period) -> dict:
    emotions = total.emotions.most_common()
    labels = [e.capitalize() for e, _ in emotions]
    data = [n for _, n in emotions]
    links = [explorer_url(project, emotions=[e], **_period_filters(period)) for e, _ in emotions]
    summary = (
        "Most frequent primary emotions: " + ", ".join(f"{e} ({n})" for e, n in emotions[:3]) + "."
        if emotions
        else "No emotions analysed: turn on emotions in the project's analysis settings."
    )
    return _chart(
        "emotions",
        "bar",
        "Primary emotions",
        labels,
        [{"label": "Results", "data": data, "links": links, "colors": ["series-1"]}],
        summary=summary,
        options={"index_axis": "y"},
    )


def _over_time_chart(project, docs, granularity, group_by, target_labels, *, period, first, last) -> dict:
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
                **_period_filters((max(s, first), min(bucket_end(s, granularity), last))),
            )
            for s in starts
        ]
        datasets.append(
            {
                "label": names.get(group, group),
                "data": [t.average for t in series],
                "counts": [t.count for t in series],
                "links": links,
                "colors": [_series_color(i)],
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
            f"{len(starts)} {granularity}s from {first.isoformat()} to {last.isoformat()}; "
            f"average sentiment of {datasets[0]['label']} moved from {_signed(averages[0])} to {_signed(averages[-1])}."
        )
    else:
        summary = "No analysed results in this period."
    return _chart(
        "over_time",
        "line",
        f"Average sentiment per {granularity}",
        labels,
        datasets,
        summary=summary,
        columns=columns,
        rows=table_rows,
        row_links=[
            explorer_url(project, **_period_filters((max(s, first), min(bucket_end(s, granularity), last))))
            for s in starts
        ],
        options={"y_min": -1, "y_max": 1, "y_title": "Average sentiment (-1 to 1)"},
    )


def _rating_chart(project, per_target: dict, target_labels, period) -> dict:
    points, links, names = [], [], []
    rows, row_links = [], []
    for target_id, t in per_target.items():
        name = target_labels.get(target_id, target_id)
        rows.append([name, t.average_rating, t.average, t.rating_count, t.flagged])
        row_links.append(explorer_url(project, targets=[target_id], **_period_filters(period)))
        if t.average_rating is None or t.average is None:
            continue
        points.append({"x": t.average_rating, "y": t.average})
        links.append(explorer_url(project, targets=[target_id], **_period_filters(period)))
        names.append(name)
    flagged = sum(t.flagged for t in per_target.values())
    summary = (
        f"{len(points)} targets with ratings; {flagged} results where the rating and the text disagree."
        if points
        else "No rated results: ratings come from platforms that have stars (Amazon, App Store, Google, Trustpilot, Steam)."
    )
    return _chart(
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


def _topics_chart(project, summary: dict) -> dict:
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
    sample = (summary.get("sample") or {}).get("results", summary.get("total_results") or 0)
    return _chart(
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
            f"From the latest {sample} analysed results. Most discussed: "
            + ", ".join(f"{t['topic']} ({t['count']}, {_signed(t['mean_sentiment'])})" for t in topics[:3])
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


# --- the dashboard ----------------------------------------------------------------------------


def _periods(days: int | None, today: date) -> tuple[tuple[date, date] | None, tuple[date, date]]:
    """(current period or None for all time, the period the change compares it with... and its own)."""
    window = days or CHANGE_WINDOW_DAYS
    current = (today - timedelta(days=window - 1), today)
    previous = (current[0] - timedelta(days=window), current[0] - timedelta(days=1))
    return current, previous


def _in(doc, period: tuple[date, date] | None) -> bool:
    return period is None or period[0] <= doc["day"] <= period[1]


def project_dashboard(
    project, options: DashboardOptions, *, targets: dict | None = None, today: date | None = None
) -> dict:
    """Everything the dashboard page shows, from statistics and daily aggregates only.

    ``targets`` maps target ids (str) to Target objects (loaded once by the caller, or here).
    """
    today = today or datetime.now(UTC).date()
    if targets is None:
        targets = {str(t.pk): t for t in project.targets.all()}
    target_labels = {tid: str(t) for tid, t in targets.items()}
    change_current, change_previous = _periods(options.days, today)
    period = change_current if options.days else None
    start = None if options.days is None else change_previous[0]
    docs = daily_documents(project.pk, start)
    current_docs = [d for d in docs if _in(d, period)]
    total = totals(current_docs)[None]
    now_t = totals(d for d in docs if _in(d, change_current))[None]
    before_t = totals(d for d in docs if _in(d, change_previous))[None]
    change = (
        round(now_t.average - before_t.average, 4)
        if now_t.average is not None and before_t.average is not None
        else None
    )
    per_platform = totals(current_docs, key=lambda d: d.get("platform") or "")
    per_target = totals(current_docs, key=lambda d: str(d["target_id"]))
    stats = project.stats
    kpis = {
        "total_results": stats.total_results,
        "analysed": total.count,
        "average": total.average,
        "change": change,
        "change_days": options.days or CHANGE_WINDOW_DAYS,
        "shares": {b: total.share(b) for b in BUCKETS},
        "distribution": {b: total.labels.get(b, 0) for b in BUCKETS},
        "flagged": total.flagged,
        "average_rating": total.average_rating,
        "last_scrape_at": stats.last_scrape_at,
        "last_analysis_at": stats.last_analysis_at,
        # Left unanalysed (no local model for their language): never in the figures above.
        "unsupported_language": stats.unsupported_language_count,
    }
    if current_docs:
        first = min(d["day"] for d in current_docs) if period is None else period[0]
        last = max(d["day"] for d in current_docs) if period is None else period[1]
    else:
        first = last = today
    granularity = choose_granularity(first, last, options.granularity)
    platform_names = dict(Platform.choices)
    platform_groups = [
        (p, platform_names.get(p, p), t, {"platforms": [p]})
        for p, t in sorted(per_platform.items(), key=lambda i: -i[1].count)
    ]
    target_groups = [
        (tid, target_labels.get(tid, tid), t, {"targets": [tid]})
        for tid, t in sorted(per_target.items(), key=lambda i: -i[1].count)
        if tid in target_labels
    ]
    insights = insights_cache.get_insights(project.pk)
    summary = insights["summary"]
    charts = [
        _distribution_chart(project, total, period),
        _over_time_chart(
            project,
            current_docs,
            granularity,
            options.group_by,
            target_labels,
            period=period,
            first=first,
            last=last,
        ),
        _grouped_bar("per_platform", "Results per platform", project, platform_groups, period),
        _grouped_bar("per_target", "Results per target", project, target_groups, period),
        _emotion_chart(project, total, period),
        _topics_chart(project, summary),
        _rating_chart(
            project, {tid: t for tid, t in per_target.items() if tid in target_labels}, target_labels, period
        ),
    ]
    return {
        "options": options,
        "period": period,
        "granularity": granularity,
        "kpis": kpis,
        "totals": total.as_dict(),
        "per_platform": {p: t.as_dict() for p, t in per_platform.items()},
        "per_target": {tid: t.as_dict() for tid, t in per_target.items()},
        "charts": charts,
        "insights": insights,
        **aspect_rows(project, summary),
        "links": {
            "flagged": explorer_url(project, flagged=True, **_period_filters(period)),
            "all": explorer_url(project, **_period_filters(period)),
            **{
                b: explorer_url(project, sentiments=LABELS_IN_BUCKET[b], **_period_filters(period))
                for b in BUCKETS
            },
        },
    }


# --- comparison -------------------------------------------------------------------------------


def compare_targets(project, options: DashboardOptions, *, targets: dict, today: date | None = None) -> dict:
    """Two or more targets side by side: figures, sentiment over time, emotions, what people say.

    ``targets`` maps the project's target ids (str) to Target objects; ``options.targets``
    picks which to compare (the caller has checked they belong to the project).
    """
    today = today or datetime.now(UTC).date()
    chosen = [tid for tid in options.targets if tid in targets]
    target_labels = {tid: str(targets[tid]) for tid in chosen}
    change_current, _ = _periods(options.days, today)
    period = change_current if options.days else None
    object_ids = [targets[tid].pk for tid in chosen]
    docs = [
        d for d in daily_documents(project.pk, period[0] if period else None, object_ids) if _in(d, period)
    ]
    per_target = totals(docs, key=lambda d: str(d["target_id"]))
    columns = []
    for tid in chosen:
        t = per_target.get(tid, Totals())
        found = insights_cache.get_insights(project.pk, targets[tid].pk)
        insight = found["summary"]
        linked = aspect_rows(project, insight, tid)
        columns.append(
            {
                "id": tid,
                "target": targets[tid],
                "label": target_labels[tid],
                "totals": t.as_dict(),
                "top_emotion": t.emotions.most_common(1)[0][0] if t.emotions else None,
                "topics": linked["topics"][:5],
                "pros": linked["pros"][:5],
                "cons": linked["cons"][:5],
                "sample_size": found.get("sample_size") or 0,
                "abstract": insight.get("abstract"),
                "link": explorer_url(project, targets=[tid], **_period_filters(period)),
            }
        )
    labels = [c["label"] for c in columns]
    shares = _chart(
        "compare_shares",
        "bar",
        "Sentiment shares per target",
        labels,
        [
            {
                "label": LABEL_OF_BUCKET[b],
                "data": [round((per_target.get(tid, Totals()).share(b) or 0) * 100, 1) for tid in chosen],
                "links": [
                    explorer_url(
                        project, targets=[tid], sentiments=LABELS_IN_BUCKET[b], **_period_filters(period)
                    )
                    for tid in chosen
                ],
                "colors": [b],
            }
            for b in BUCKETS
        ],
        summary="; ".join(
            f"{target_labels[tid]}: {_pct(per_target.get(tid, Totals()).share('positive'))} positive, "
            f"average {_signed(per_target.get(tid, Totals()).average)}"
            for tid in chosen
        )
        or "Choose at least two targets.",
        options={"stacked": True, "index_axis": "y", "x_max": 100, "x_title": "% of analysed results"},
    )
    if docs:
        first = period[0] if period else min(d["day"] for d in docs)
        last = period[1] if period else max(d["day"] for d in docs)
    else:
        first = last = today
    granularity = choose_granularity(first, last, options.granularity)
    over_time = _over_time_chart(
        project, docs, granularity, "target", target_labels, period=period, first=first, last=last
    )
    emotions = Counter()
    for tid in chosen:
        emotions.update(per_target.get(tid, Totals()).emotions)
    top_emotions = [e for e, _ in emotions.most_common(6)]
    emotion_chart = _chart(
        "compare_emotions",
        "bar",
        "Primary emotions per target (share of its results)",
        [e.capitalize() for e in top_emotions],
        [
            {
                "label": target_labels[tid],
                "data": [
                    round(
                        100
                        * per_target.get(tid, Totals()).emotions.get(e, 0)
                        / (per_target.get(tid, Totals()).count or 1),
                        1,
                    )
                    for e in top_emotions
                ],
                "links": [
                    explorer_url(project, targets=[tid], emotions=[e], **_period_filters(period))
                    for e in top_emotions
                ],
                "colors": [_series_color(i)],
            }
            for i, tid in enumerate(chosen)
        ],
        summary=(
            "Emotions compared: " + ", ".join(top_emotions) + "."
            if top_emotions
            else "No emotions analysed for these targets."
        ),
        options={"y_title": "% of the target's results"},
    )
    return {
        "options": options,
        "period": period,
        "granularity": granularity,
        "columns": columns,
        "with_abstracts": any(c["abstract"] for c in columns),
        "charts": [shares, over_time, emotion_chart],
    }
