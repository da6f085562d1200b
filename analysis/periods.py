"""Two periods of a project side by side: volume, sentiment, ratings and the topics that rose
and fell, each change with a link to the results behind it.

The periods are two ranges of UTC days (the dashboard's days: a result counts on the day it was
posted, see :mod:`analysis.stats`), given as dates (:class:`PeriodForm`) or as the days before
and after a release marker. The figures come from the daily aggregates (``daily_stats``), never
from a scan of the results; what people say comes from a sample of each period read through the
results store (:func:`analysis.results_store.reads.first_matches`): the newest
:data:`~analysis.insights_cache.SAMPLE_SIZE` analysed results posted in it, summarised as the
dashboard summarises its own sample (:func:`~analysis.engine.project_insights.summarize_results`)
and compared with :func:`~analysis.engine.project_insights.compare_insights`. The page says which
sample each period's topics come from. Which periods, and their form: :mod:`analysis.period_form`.

The comparison can be narrowed to some targets and platforms, as the dashboard's saved views
are: daily aggregates are kept per target and platform, so that costs nothing more.
"""

from __future__ import annotations

import hashlib
from datetime import date

from bson import ObjectId
from django.core.cache import cache

from analysis import insights_cache
from analysis import markers as marker_service
from analysis.dashboard.buckets import choose_granularity
from analysis.dashboard.charts import explorer_url, over_time_chart, period_filters
from analysis.dashboard.options import LABEL_OF_BUCKET, LABELS_IN_BUCKET
from analysis.dashboard.sums import daily_documents, totals
from analysis.engine.project_insights import compare_insights, summarize_results
from analysis.insights_cache import SAMPLE_FIELDS, SAMPLE_SIZE, sample_rows
from analysis.models import SentimentLabel
from analysis.period_form import (
    DATES,
    DEFAULT_DAYS,
    MARKER,
    MAX_DAYS,
    PERIOD_PARAMS,
    Period,
    PeriodForm,
    default_params,
    scope_query,
    with_defaults,
)
from analysis.results_store import reads
from analysis.stats import BUCKETS
from projects.models import Target

__all__ = [
    "DATES",
    "DEFAULT_DAYS",
    "MARKER",
    "MAX_DAYS",
    "PERIOD_PARAMS",
    "TOPIC_KINDS",
    "Period",
    "PeriodForm",
    "compare_periods",
    "default_params",
    "period_form",
    "scope_query",
]

#: Which way a sentiment share moving is good news.
BETTER = {"positive": "up", "negative": "down"}
#: How long a period's topic summary is kept (it is recomputed sooner when the statistics move).
SUMMARY_SECONDS = 3600
#: Topics listed per kind of change, and what the page calls each kind.
TOPICS_SHOWN = 10
TOPIC_KINDS = {
    "rose": "Rose",
    "fell": "Fell",
    "appeared": "New in period B",
    "disappeared": "Gone in period B",
}


# --- the form --------------------------------------------------------------------------------


def period_form(project, params, today: date) -> PeriodForm:
    """The comparison's form of ``project`` bound to ``params`` (a QueryDict), as the page and
    the API read it: the project's markers, targets and platforms are its choices, and without
    any period named (:data:`PERIOD_PARAMS`) it compares the 30 days to ``today`` with the 30
    before. Its ``target_labels`` name the targets for the charts."""
    found = list(Target.objects.filter(project=project).order_by("created_at"))
    return PeriodForm(
        with_defaults(params, today),
        project_markers=marker_service.markers_for(project),
        targets={str(t.pk): str(t) for t in found},
        platforms=sorted({t.platform for t in found}),
    )


# --- the comparison -------------------------------------------------------------------------


def _change(a: float | None, b: float | None, digits: int = 4) -> float | None:
    return None if a is None or b is None else round(b - a, digits)


def _direction(change: float | None) -> str:
    if not change:
        return ""
    return "up" if change > 0 else "down"


def _value_text(value, kind: str) -> str:
    if value is None:
        return "\u2013"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "signed":
        return f"{value:+.2f}"
    if kind == "count":
        return f"{value:,}"
    return f"{value:.2f}"


def _change_text(change, kind: str) -> str:
    if change is None:
        return "\u2013"
    if kind == "share":
        return f"{change * 100:+.1f} points"
    if kind == "count":
        return f"{change:+,}"
    return f"{change:+.2f}"


def _figure(
    key: str, name: str, a, b, links: tuple[str, str], *, kind: str = "number", better: str = ""
) -> dict:
    """One row of the side-by-side table: both values, the change, and where their results are.
    ``key`` names the row for machines (the API), ``name`` for people. ``better`` ("up" or "down") says which way is good news, for the rows where one is: the
    change is then marked ``tone`` "better" or "worse" (a volume's change is neither)."""
    change = _change(a, b) if kind != "count" else (b - a)
    direction = _direction(change)
    tone = "" if not better or not direction else ("better" if direction == better else "worse")
    return {
        "key": key,
        "name": name,
        "a": a,
        "b": b,
        "a_text": _value_text(a, kind),
        "b_text": _value_text(b, kind),
        "change_text": _change_text(change, kind),
        "change": change,
        "direction": direction,
        "tone": tone,
        "kind": kind,
        "link_a": links[0],
        "link_b": links[1],
    }


def _period_sample(user, project, period: Period, scope: dict) -> list[dict]:
    """The newest :data:`SAMPLE_SIZE` analysed results posted in ``period`` (in ``scope``)."""
    params = {
        "tz": ["UTC"],
        "date_field": ["content"],
        "date_from": [period.first.isoformat()],
        "date_to": [period.last.isoformat()],
        # Every label: only analysed results, as the statistics count.
        "sentiment": list(SentimentLabel.values),
        "target": list(scope.get("targets") or []),
        "platform": list(scope.get("platforms") or []),
        "sort": ["newest"],
    }
    selection = reads.select(user, project, params)
    return reads.first_matches(selection, SAMPLE_SIZE, SAMPLE_FIELDS)


def _period_summary(user, project, period: Period, scope: dict) -> tuple[dict, int]:
    """What people say in ``period`` (:func:`summarize_results` of its sample) and the sample's
    size, cached until the project's statistics move (any analysis, re-analysis or triage moves
    the stamp of :func:`analysis.insights_cache.stamp`): reading and summarising two samples of
    :data:`SAMPLE_SIZE` takes seconds, and a person compares the same periods again and again."""
    stamp = insights_cache.stamp(project.pk)
    parts = ":".join(
        [
            str(project.pk),
            period.first.isoformat(),
            period.last.isoformat(),
            ",".join(sorted(scope.get("targets") or [])),
            ",".join(sorted(scope.get("platforms") or [])),
            str(stamp.get("last_analysis_at")),
            str(stamp.get("sentiment_count")),
            str(stamp.get("version")),
            str(SAMPLE_SIZE),
        ]
    )
    # Hashed: a stamp's date has spaces, which some cache backends refuse in a key.
    key = "periods:" + hashlib.sha256(parts.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        sample = _period_sample(user, project, period, scope)
        found = (summarize_results(sample_rows(sample)), len(sample))
        cache.set(key, found, SUMMARY_SECONDS)
    return found


def _filters(period: Period, scope: dict) -> dict:
    """The explorer's filters for the results of ``period`` in ``scope``."""
    return {**period_filters(period.as_tuple()), **{k: list(v) for k, v in scope.items() if v}}


def _sample_text(size: int, population: int, period_name: str) -> str:
    if population > size:
        return f"the newest {size:,} of the {population:,} analysed results posted in period {period_name}"
    return f"all {size:,} analysed result{'' if size == 1 else 's'} posted in period {period_name}"


def compare_periods(
    user,
    project,
    a: Period,
    b: Period,
    *,
    targets: list[str] | None = None,
    platforms: list[str] | None = None,
    target_labels: dict[str, str] | None = None,
) -> dict:
    """Periods ``a`` and ``b`` of ``project`` side by side (see the module docstring).

    ``targets`` (string ids of the project's targets) and ``platforms`` narrow both periods.
    Returns ``figures`` (rows: name, a, b, change, direction and links to each period's results),
    ``ratings`` (rated results per whole rating, both periods), ``topics`` (``rose``, ``fell``,
    ``appeared``, ``disappeared``, each entry with links to its results in A and in B), the
    samples the topics come from, and an over-time chart across both periods with the markers.
    """
    targets, platforms = list(targets or []), list(platforms or [])
    scope = {"targets": targets, "platforms": platforms}
    first, last = min(a.first, b.first), max(a.last, b.last)
    object_ids = [ObjectId(t) for t in targets] if targets else None
    docs = [
        d
        for d in daily_documents(project.pk, first, object_ids)
        if d["day"] <= last and (not platforms or d.get("platform") in platforms)
    ]
    in_a = [d for d in docs if a.first <= d["day"] <= a.last]
    in_b = [d for d in docs if b.first <= d["day"] <= b.last]
    ta, tb = totals(in_a)[None], totals(in_b)[None]

    def links(**extra) -> tuple[str, str]:
        # Only analysed results, as the figures count (a sentiment filter narrows further).
        extra.setdefault("sentiments", list(SentimentLabel.values))
        return (
            explorer_url(project, **_filters(a, scope), **extra),
            explorer_url(project, **_filters(b, scope), **extra),
        )

    figures = [
        _figure("count", "Analysed results", ta.count, tb.count, links(), kind="count"),
        _figure(
            "per_day", "Results per day", round(ta.count / a.days, 2), round(tb.count / b.days, 2), links()
        ),
        _figure("average", "Average sentiment", ta.average, tb.average, links(), kind="signed", better="up"),
        *[
            _figure(
                f"{bucket}_share",
                f"{LABEL_OF_BUCKET[bucket]} share",
                ta.share(bucket),
                tb.share(bucket),
                links(sentiments=LABELS_IN_BUCKET[bucket]),
                kind="share",
                better=BETTER.get(bucket, ""),
            )
            for bucket in BUCKETS
        ],
        _figure(
            "average_rating",
            "Average rating",
            ta.average_rating,
            tb.average_rating,
            links(rating_min=0.0),
            kind="rating",
            better="up",
        ),
        _figure(
            "rating_count",
            "Rated results",
            ta.rating_count,
            tb.rating_count,
            links(rating_min=0.0),
            kind="count",
        ),
    ]
    stars = sorted({*ta.ratings, *tb.ratings}, key=int)
    ratings = [
        {
            "star": int(star),
            "a": ta.ratings.get(star, 0),
            "b": tb.ratings.get(star, 0),
            "a_share": round(ta.ratings.get(star, 0) / ta.rating_count, 4) if ta.rating_count else None,
            "b_share": round(tb.ratings.get(star, 0) / tb.rating_count, 4) if tb.rating_count else None,
            "link_a": links(rating_min=float(star), rating_max=float(star))[0],
            "link_b": links(rating_min=float(star), rating_max=float(star))[1],
        }
        for star in stars
    ]
    summary_a, size_a = _period_summary(user, project, a, scope)
    summary_b, size_b = _period_summary(user, project, b, scope)
    changed = compare_insights(summary_a, summary_b)["topics"]
    search = {t["topic"]: t.get("search") or t["topic"] for t in [*summary_a["topics"], *summary_b["topics"]]}

    def linked(entries: list[dict]) -> list[dict]:
        out = []
        for entry in entries[:TOPICS_SHOWN]:
            term = search.get(entry["topic"], entry["topic"])
            link_a, link_b = links(q=term)
            share = entry.get("share_change")
            share_text = f"{share * 100:+.0f} points of its period's sample" if share is not None else ""
            out.append(
                {**entry, "search": term, "link_a": link_a, "link_b": link_b, "share_text": share_text}
            )
        return out

    topics = {kind: linked(changed[kind]) for kind in TOPIC_KINDS}
    granularity = choose_granularity(first, last, "auto")
    chart = over_time_chart(
        project,
        docs,
        granularity,
        "all",
        target_labels or {},
        period=(first, last),
        first=first,
        last=last,
        markers=marker_service.markers_for(project, first, last),
    )
    return {
        "a": a,
        "b": b,
        "totals": {"a": ta.as_dict(), "b": tb.as_dict()},
        "figures": figures,
        "ratings": ratings,
        "topics": topics,
        "samples": {
            "a": {
                "size": size_a,
                "population": ta.count,
                "text": _sample_text(size_a, ta.count, "A"),
            },
            "b": {
                "size": size_b,
                "population": tb.count,
                "text": _sample_text(size_b, tb.count, "B"),
            },
        },
        "links": {"a": links()[0], "b": links()[1]},
        "charts": [chart],
    }
