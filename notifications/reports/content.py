"""What a scheduled report says about one period of a project.

Figures come from the daily aggregates the dashboard sums (:mod:`analysis.dashboard.sums`),
never from the results; the daily aggregates are UTC days, so a period's local days are read as
the UTC days of the same dates. Quotes and the topics sample are read through the results store,
with the period's exact local bounds. Everything is built from ``now``-independent inputs (the
period), so a preview, a test mail and the scheduled mail of one period say the same.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from django.conf import settings
from django.http import QueryDict

from analysis.dashboard.charts import explorer_url
from analysis.dashboard.options import LABELS_IN_BUCKET
from analysis.dashboard.sums import Totals, daily_documents, totals
from analysis.engine.project_insights import compare_insights, summarize_results
from analysis.exports import csv_safe
from analysis.insights_cache import SAMPLE_FIELDS, sample_rows
from analysis.results_store import reads
from analysis.results_store.state import FilterState
from analysis.stats import BUCKETS
from notifications import payloads
from notifications.models import Alert
from notifications.reports.periods import Period

QUOTES = 3
# Results read per period for the rising topics: enough for the aspects to settle, small
# enough that a report of a large project costs a bounded read.
TOPIC_SAMPLE = 300
RISING_TOPICS = 5
MAX_ALERTS = 20
QUOTE_CHARS = 400

DAILY_COLUMNS = ("day", "results", "positive", "neutral", "negative", "avg_sentiment", "avg_rating")
TARGET_COLUMNS = ("target", "platform", *DAILY_COLUMNS[1:])


def _change(now: float | None, before: float | None, digits: int) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, digits)


def _shown(value: float | None, kind: str, *, signed: bool = False) -> str:
    """A figure as the report writes it: shares in percent (changes in points), none as a dash."""
    if value is None:
        return "—"
    if kind == "share":
        text = f"{value * 100:+.1f} pts" if signed else f"{value * 100:.1f}%"
    elif kind == "count":
        text = f"{value:+,}" if signed else f"{value:,}"
    else:
        text = f"{value:+.2f}" if signed else f"{value:.2f}"
    return text


def key_numbers(current: Totals, previous: Totals) -> list[dict]:
    """The period's headline figures, each with its change against the previous period."""
    rows = [
        ("Results", "count", current.count, previous.count, 0),
        ("Average sentiment", "score", current.average, previous.average, 4),
        ("Negative share", "share", current.share("negative"), previous.share("negative"), 4),
        ("Average rating", "rating", current.average_rating, previous.average_rating, 2),
    ]
    numbers = []
    for label, kind, now, before, digits in rows:
        change = _change(now, before, digits)
        numbers.append(
            {
                "label": label,
                "value": now,
                "previous": before,
                "change": change,
                "shown": _shown(now, kind),
                "previous_shown": _shown(before, kind),
                "change_shown": _shown(change, kind, signed=True),
            }
        )
    return numbers


def _figures(total: Totals) -> dict:
    return {
        "results": total.count,
        **{b: total.labels.get(b, 0) for b in BUCKETS},
        "avg_sentiment": total.average,
        "avg_rating": total.average_rating,
    }


def _selection(schedule, period: Period, **filters):
    state = replace(
        FilterState(),
        date_field="content",
        date_from=period.first,
        date_to=period.last,
        tz=period.zone.key,
        **filters,
    )
    return reads.select(schedule.user, schedule.project, QueryDict(state.query_string()))


def quotes(schedule, period: Period, bucket: str) -> list[dict]:
    """The most positive (or negative) results dated in the period, through the results store."""
    sort = "score_desc" if bucket == "positive" else "score_asc"
    selection = _selection(schedule, period, sentiments=LABELS_IN_BUCKET[bucket], sort=sort)
    found = []
    for result in reads.page(selection, QUOTES).object_list:
        text = result.content.text or ""
        found.append(
            {
                "text": text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…",
                "author": result.content.author,
                "score": result.analysis.sentiment.score if result.analysis.sentiment else None,
                "platform": result.platform,
                "url": payloads.absolute_url(
                    "analysis:result",
                    f"/projects/{schedule.project_id}/results/{result.pk}/",
                    project_id=schedule.project_id,
                    result_id=result.pk,
                ),
            }
        )
    return found


def topic_sample(schedule, period: Period) -> list[dict]:
    """The newest analysed results posted in the period (at most :data:`TOPIC_SAMPLE`)."""
    selection = _selection(schedule, period, sort="newest")
    found: list[dict] = []
    for batch in reads.export_batches(selection, SAMPLE_FIELDS, batch_size=TOPIC_SAMPLE):
        found += [d for d in batch if (d.get("analysis") or {}).get("sentiment")]
        if len(found) >= TOPIC_SAMPLE:
            break
    return found[:TOPIC_SAMPLE]


def rising_topics(schedule, period: Period, previous: Period) -> list[dict]:
    """Aspects that appeared or grew in the period against the one before, each period's aspects
    summarised from its own sample the way the dashboard's are."""
    now = summarize_results(sample_rows(topic_sample(schedule, period)))
    before = summarize_results(sample_rows(topic_sample(schedule, previous)))
    changed = compare_insights(before, now)["topics"]
    rising = [
        {"topic": t["topic"], "count": t["current_count"], "previous": t["previous_count"], "new": False}
        for t in changed["rose"]
    ]
    rising += [
        {"topic": t["topic"], "count": t["count"], "previous": 0, "new": True} for t in changed["appeared"]
    ]
    # The biggest movers first: new aspects by how many mention them, risers by their growth.
    rising.sort(key=lambda t: (-(t["count"] - t["previous"]), t["topic"]))
    return rising[:RISING_TOPICS]


def period_alerts(schedule, period: Period) -> list[Alert]:
    return list(
        Alert.objects.filter(
            project_id=schedule.project_id, created_at__gte=period.start, created_at__lt=period.end
        ).order_by("-created_at")[:MAX_ALERTS]
    )


def build(schedule, period: Period, previous: Period, *, targets: dict | None = None) -> dict:
    """Everything the report of ``period`` shows and attaches (see the module docstring)."""
    project = schedule.project
    docs = daily_documents(project.pk, previous.first)
    current_docs = [d for d in docs if period.first <= d["day"] <= period.last]
    current = totals(current_docs)[None]
    before = totals(d for d in docs if previous.first <= d["day"] <= previous.last)[None]
    per_day = totals(current_docs, key=lambda d: d["day"])
    if targets is None:
        targets = {t.pk: t for t in project.targets.all()}
    per_target = totals(current_docs, key=lambda d: d["target_id"])
    daily = [{"day": day.isoformat(), **_figures(per_day.get(day, Totals()))} for day in period.days]
    by_target = sorted(
        (
            {"target": str(targets[tid]), "platform": targets[tid].platform, **_figures(t)}
            for tid, t in per_target.items()
            if tid in targets
        ),
        key=lambda row: (-row["results"], row["target"]),
    )
    dashboard = payloads.absolute_url(
        "analysis:dashboard", f"/projects/{project.pk}/dashboard/", project_id=project.pk
    )
    explorer = explorer_url(
        project, date_field="content", date_from=period.first, date_to=period.last, tz=period.zone.key
    )
    return {
        "project": project,
        "schedule": schedule,
        "period": period,
        "previous": previous,
        "numbers": key_numbers(current, before),
        "distribution": {b: current.labels.get(b, 0) for b in BUCKETS},
        "daily": daily,
        "targets": by_target,
        "alerts": period_alerts(schedule, period),
        "positive": quotes(schedule, period, "positive"),
        "negative": quotes(schedule, period, "negative"),
        "topics": rising_topics(schedule, period, previous),
        "links": {
            "dashboard": dashboard,
            "explorer": settings.SITE_URL + explorer,
            "project": payloads.project_url(project.pk),
        },
    }


def csv_text(columns: tuple[str, ...], rows: list[dict]) -> str:
    """Rows as CSV (numbers as written, empty for none; text a spreadsheet would run as a
    formula, such as a target's label, is defused as the exports do)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else csv_safe(row.get(c)) for c in columns})
    return out.getvalue()
