"""The project dashboard: every chart and figure of a project for one set of options."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from analysis import insights_cache, markers
from analysis.dashboard import playtime
from analysis.dashboard.buckets import choose_granularity
from analysis.dashboard.charts import (
    aspect_rows,
    distribution_chart,
    emotion_chart,
    explorer_url,
    grouped_bar,
    over_time_chart,
    period_filters,
    rating_chart,
    topics_chart,
)
from analysis.dashboard.options import CHANGE_WINDOW_DAYS, LABELS_IN_BUCKET, DashboardOptions
from analysis.dashboard.sums import daily_documents, totals
from analysis.stats import BUCKETS
from projects import capabilities
from projects.platforms import Platform


def period_bounds(days: int | None, today: date) -> tuple[tuple[date, date] | None, tuple[date, date]]:
    """(current period or None for all time, the period the change compares it with... and its own)."""
    window = days or CHANGE_WINDOW_DAYS
    current = (today - timedelta(days=window - 1), today)
    previous = (current[0] - timedelta(days=window), current[0] - timedelta(days=1))
    return current, previous


def in_period(doc, period: tuple[date, date] | None) -> bool:
    return period is None or period[0] <= doc["day"] <= period[1]


def counted_documents(
    project_id,
    days: int | None,
    today: date,
    target_ids=None,
    *,
    since: date | None = None,
    scope=None,
) -> tuple[tuple[date, date] | None, list[dict], list[dict]]:
    """``(period, documents in it, documents read)``: the daily aggregates the dashboard and the
    comparison count, so both pages' counts for the same targets and period are the same sums.

    ``days`` None is all time; ``since`` reads from an earlier day too (the dashboard's change
    against the period before), returned in the third list only.
    """
    period = period_bounds(days, today)[0] if days else None
    start = since if since is not None else (period[0] if period else None)
    read = daily_documents(project_id, start, target_ids)
    if scope is not None:
        read = [d for d in read if scope.admits(d)]
    return period, [d for d in read if in_period(d, period)], read


def project_dashboard(
    project,
    options: DashboardOptions,
    *,
    targets: dict | None = None,
    today: date | None = None,
    scope=None,
) -> dict:
    """Everything the dashboard page shows, from statistics and daily aggregates only.

    ``targets`` maps target ids (str) to Target objects (loaded once by the caller, or here).
    ``scope`` (a saved view's :class:`~analysis.saved_views.DashboardScope`) keeps the daily
    aggregates of its targets, platforms and days.
    """
    today = today or datetime.now(UTC).date()
    if targets is None:
        targets = {str(t.pk): t for t in project.targets.all()}
    target_labels = {tid: str(t) for tid, t in targets.items()}
    change_current, change_previous = period_bounds(options.days, today)
    period, current_docs, docs = counted_documents(
        project.pk,
        options.days,
        today,
        since=None if options.days is None else change_previous[0],
        scope=scope,
    )
    total = totals(current_docs)[None]
    now_t = totals(d for d in docs if in_period(d, change_current))[None]
    before_t = totals(d for d in docs if in_period(d, change_previous))[None]
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
    parts = capabilities.for_project(project)
    insights = insights_cache.get_insights(project.pk)
    summary = insights["summary"]
    # Every marker of the project: the chart draws those of its days, the page lists them all.
    project_markers = markers.markers_for(project)
    sample = insights_cache.sample_of(insights)
    charts = [
        distribution_chart(project, total, period),
        over_time_chart(
            project,
            current_docs,
            granularity,
            options.group_by,
            target_labels,
            period=period,
            first=first,
            last=last,
            markers=project_markers,
        ),
        grouped_bar("per_platform", "Results per platform", project, platform_groups, period),
        grouped_bar("per_target", "Results per target", project, target_groups, period),
        emotion_chart(project, total, period, capabilities.part(parts, "Emotions")),
        topics_chart(project, summary, sample),
        rating_chart(
            project, {tid: t for tid, t in per_target.items() if tid in target_labels}, target_labels, period
        ),
        *playtime.charts(project, insights),
    ]
    return {
        "options": options,
        "scope": scope,
        "period": period,
        "granularity": granularity,
        "kpis": kpis,
        "totals": total.as_dict(),
        "per_platform": {p: t.as_dict() for p, t in per_platform.items()},
        "per_target": {tid: t.as_dict() for tid, t in per_target.items()},
        "charts": charts,
        "markers": project_markers,
        "insights": insights,
        # What people say comes from a sample: the page says which (see insights_cache.sample_of).
        "sample": sample,
        "capabilities": parts,
        "capabilities_missing": sum(1 for c in parts if not c.available),
        **aspect_rows(project, summary),
        "links": {
            "flagged": explorer_url(project, flagged=True, **period_filters(period)),
            "all": explorer_url(project, **period_filters(period)),
            **{
                b: explorer_url(project, sentiments=LABELS_IN_BUCKET[b], **period_filters(period))
                for b in BUCKETS
            },
        },
    }
