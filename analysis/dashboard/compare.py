"""The comparison of targets side by side."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from analysis import insights_cache, markers
from analysis.dashboard.buckets import choose_granularity
from analysis.dashboard.charts import (
    aspect_rows,
    explorer_url,
    make_chart,
    over_time_chart,
    percent_text,
    period_filters,
    series_color,
    signed_text,
)
from analysis.dashboard.options import LABEL_OF_BUCKET, LABELS_IN_BUCKET, DashboardOptions
from analysis.dashboard.page import counted_documents
from analysis.dashboard.sums import Totals, totals
from analysis.stats import BUCKETS


def compare_targets(project, options: DashboardOptions, *, targets: dict, today: date | None = None) -> dict:
    """Two or more targets side by side: figures, sentiment over time, emotions, what people say.

    ``targets`` maps the project's target ids (str) to Target objects; ``options.targets``
    picks which to compare (the caller has checked they belong to the project).
    """
    today = today or datetime.now(UTC).date()
    chosen = [tid for tid in options.targets if tid in targets]
    target_labels = {tid: str(targets[tid]) for tid in chosen}
    object_ids = [targets[tid].pk for tid in chosen]
    period, docs, _ = counted_documents(project.pk, options.days, today, object_ids)
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
                "sample": insights_cache.sample_of(found),
                "abstract": insight.get("abstract"),
                "link": explorer_url(project, targets=[tid], **period_filters(period)),
            }
        )
    labels = [c["label"] for c in columns]
    shares = make_chart(
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
                        project, targets=[tid], sentiments=LABELS_IN_BUCKET[b], **period_filters(period)
                    )
                    for tid in chosen
                ],
                "colors": [b],
            }
            for b in BUCKETS
        ],
        summary="; ".join(
            f"{target_labels[tid]}: {percent_text(per_target.get(tid, Totals()).share('positive'))} positive, "
            f"average {signed_text(per_target.get(tid, Totals()).average)}"
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
    over_time = over_time_chart(
        project,
        docs,
        granularity,
        "target",
        target_labels,
        period=period,
        first=first,
        last=last,
        markers=markers.markers_for(project, first, last),
    )
    emotions = Counter()
    for tid in chosen:
        emotions.update(per_target.get(tid, Totals()).emotions)
    top_emotions = [e for e, _ in emotions.most_common(6)]
    emotion_chart = make_chart(
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
                    explorer_url(project, targets=[tid], emotions=[e], **period_filters(period))
                    for e in top_emotions
                ],
                "colors": [series_color(i)],
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
