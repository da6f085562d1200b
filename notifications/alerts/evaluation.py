"""Evaluating a project's alert rules: after each analysis batch, and for closed periods.

**After a batch** (:func:`evaluate_batch`, queued by the receiver of analysis's
``batch_analysed``): the batch's results are read by id (at most a batch), which tells the
periods and targets it touched. Each enabled rule whose scope the batch touched is judged on
those periods, if recent (:data:`RECENT`: results posted long ago, as a first scrape brings,
never alert), against the aggregates of its scope (:mod:`notifications.alerts.aggregates`): one
indexed read of the project's daily (or hourly) documents of those periods and their baseline,
so the cost follows the batch and the baseline's length, not the project's size.

- volume, negative share, sentiment and rating rules: the period's counters against its baseline
  (:mod:`notifications.alerts.detection`); days are posted days (as on the dashboard), hours are
  hours of collection (``hourly_stats``; hour windows exist for volume and keyword rules only);
- topic rules: each topic the batch's results mention (or only the rule's ``query`` topic), its
  results per day against its baseline; the most significant topic of a day makes the alert;
- keyword rules: the batch's results matching the rule's query (the explorer's search syntax,
  :func:`analysis.results_store.search.pattern_check`), optionally only negative ones, are added
  to their arrival period's tally (``alert_windows``, one document per rule and period, an
  ``$addToSet`` of ids, so a batch counted twice counts once); the rule fires when the tally
  reaches ``min_count``, with exactly those results.

**Closed periods** (:func:`evaluate_closed`, sent by beat): the day (or hour) that just ended is
judged again for volume, negative share, sentiment and rating rules, with all its results in.

An alert is stored once per (rule, window): its ``key`` is unique. Firing first claims the rule
with a conditional update of ``last_triggered_at`` (the cooldown), so two evaluations running at
once do not both alert. The alert is then handed to delivery by name
(``notifications.deliver_alert``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from celery import current_app
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone
from pymongo import ReturnDocument

from analysis import stats
from analysis.results_store import reads, search
from notifications.alerts import detection
from notifications.alerts.aggregates import STEP, Aggregates, Scope
from notifications.models import HOURLY_KINDS, Alert, AlertKind, AlertPeriod, AlertRule
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

#: How many periods back (the current one included) a batch's results may alert on.
RECENT = {"day": 2, "hour": 2}
#: Result ids kept as an alert's evidence.
EVIDENCE_CAP = 200
#: A rating drop's evidence: results rated at most this.
LOW_RATING = 2
#: Tallies of keyword rules, one document per (rule, period).
WINDOWS = "alert_windows"
#: Kinds judged on the aggregates of a period (the closed-period evaluation judges these).
COUNTED_KINDS = (
    AlertKind.VOLUME_SPIKE,
    AlertKind.NEGATIVE_SHARE,
    AlertKind.SENTIMENT_DROP,
    AlertKind.RATING_DROP,
)
NEGATIVE_LABELS = ("negative", "very_negative")
BATCH_FIELDS = {
    "project_id": 1, "target_id": 1, "platform": 1, "created_at": 1, "content.date": 1, "content.text": 1,
    "content.title": 1, "content.rating": 1, "analysis.sentiment": 1, "analysis.insights.topics": 1,
    "analysis.emotions.primary": 1, "analysis.unsupported_language": 1, "excluded": 1, "flags": 1,
}  # fmt: skip


@dataclass
class Touched:
    """One batch result as the rules see it: its document and its contribution to the aggregates."""

    doc: dict
    contribution: stats.Contribution
    topics: dict = field(default_factory=dict)  # topic key -> the form written in the result

    def window(self, period: str) -> datetime:
        """The posted day (or the hour of collection) it counts in."""
        return self.contribution.day if period == AlertPeriod.DAY else self.contribution.hour


def period_start(when: datetime, period: str) -> datetime:
    """The start (UTC) of the day or hour ``when`` falls in."""
    when = when.astimezone(UTC)
    if period == AlertPeriod.HOUR:
        return when.replace(minute=0, second=0, microsecond=0)
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def recent(window: datetime, period: str, now: datetime) -> bool:
    """Whether a window is one of the last :data:`RECENT` periods (the current one included)."""
    current = period_start(now, period)
    return current - STEP[period] * (RECENT[period] - 1) <= window <= current


def _quiet(rule: AlertRule, now: datetime) -> str | None:
    return detection.quiet_reason(
        enabled=rule.enabled,
        muted_until=rule.muted_until,
        last_triggered_at=rule.last_triggered_at,
        cooldown_hours=rule.cooldown_hours,
        now=now,
    )


def _rules(project_id: ObjectId, now: datetime, period: str | None = None) -> list[AlertRule]:
    rules = AlertRule.objects.filter(project_id=project_id, enabled=True).select_related("project__user")
    if period:
        rules = rules.filter(period=period)
    return [rule for rule in rules if not _quiet(rule, now) and _has_windows(rule)]


def _has_windows(rule: AlertRule) -> bool:
    # Hourly aggregates count arrivals only: an hour rule of another kind has nothing to judge.
    return rule.period == AlertPeriod.DAY or rule.kind in HOURLY_KINDS


def _touched(project_id: ObjectId, result_ids: Iterable) -> list[Touched]:
    """The batch's results that count in the statistics, with the topics they mention."""
    found = []
    for doc in reads.of_batch(project_id, list(result_ids), BATCH_FIELDS):
        c = stats.contribution(doc)
        if c is None or c.unsupported:
            continue  # not in the statistics: excluded, or not analysed
        stored = ((doc.get("analysis") or {}).get("insights") or {}).get("topics") or []
        topics = {}
        for t in stored:
            if isinstance(t, dict) and t.get("topic") and (key := stats.topic_field(t)):
                topics.setdefault(key, t["topic"])
        found.append(Touched(doc, c, topics))
    return found


def evaluate_batch(project_id: ObjectId, result_ids: Iterable, *, now: datetime | None = None) -> list[Alert]:
    """Judge the project's rules on what this batch of analysed results touched; the new alerts."""
    now = now or timezone.now()
    rules = _rules(project_id, now)
    if not rules:
        return []
    touched = _touched(project_id, result_ids)
    alerts: list[Alert] = []
    windows: dict[AlertRule, list[datetime]] = {}
    for rule in rules:
        scope = Scope.of(rule)
        mine = [t for t in touched if scope.holds(t.doc)]
        if rule.kind == AlertKind.KEYWORD:
            alerts.extend(_keyword(rule, scope, mine, now))
            continue
        windows[rule] = sorted(
            {w for t in mine if (w := t.window(rule.period)) and recent(w, rule.period, now)}
        )
    alerts.extend(_judge(windows, touched, now))
    _mark_evaluated(rules, now)
    return alerts


def evaluate_closed(project_id: ObjectId, period: str, *, now: datetime | None = None) -> list[Alert]:
    """Judge the project's counted rules of ``period`` on the period that ended last."""
    now = now or timezone.now()
    window = period_start(now, period) - STEP[period]
    rules = [r for r in _rules(project_id, now, period) if r.kind in COUNTED_KINDS]
    alerts = _judge({rule: [window] for rule in rules}, [], now)
    _mark_evaluated(rules, now)
    return alerts


def evaluate_all_closed(period: str, *, now: datetime | None = None) -> int:
    """:func:`evaluate_closed` for every project with an enabled rule of ``period``; alerts made."""
    project_ids = set(
        AlertRule.objects.filter(enabled=True, period=period).values_list("project_id", flat=True)
    )
    made = 0
    for project_id in project_ids:
        try:
            made += len(evaluate_closed(project_id, period, now=now))
        except Exception:  # one project's failure must not keep the others unjudged
            logger.exception("closed-period alert evaluation of project %s failed", project_id)
    return made


def _mark_evaluated(rules: list[AlertRule], now: datetime) -> None:
    if rules:
        AlertRule.objects.filter(pk__in=[r.pk for r in rules]).update(last_evaluated_at=now)


# --- rules judged on the aggregates --------------------------------------------------------


def _judge(windows: dict[AlertRule, list[datetime]], touched: list[Touched], now: datetime) -> list[Alert]:
    alerts = []
    for period in (AlertPeriod.DAY, AlertPeriod.HOUR):
        mine = {rule: ws for rule, ws in windows.items() if rule.period == period and ws}
        if not mine:
            continue
        first = min(min(ws) for ws in mine.values()) - STEP[period] * detection.BASELINE_SPAN[period]
        last = max(max(ws) for ws in mine.values())
        aggregates = Aggregates(next(iter(mine)).project_id, period, first, last)
        for rule, ws in mine.items():
            for window in ws:
                if rule.last_triggered_at and _quiet(rule, now):
                    break  # fired on an earlier window of this evaluation: cooling down
                alert = _judge_window(rule, aggregates, window, touched, now)
                if alert:
                    alerts.append(alert)
    return alerts


def _judge_window(
    rule: AlertRule, aggregates: Aggregates, window: datetime, touched: list[Touched], now: datetime
) -> Alert | None:
    scope, period = Scope.of(rule), rule.period
    span = detection.BASELINE_SPAN[period]
    history = aggregates.history(scope, window, span)
    current = aggregates.at(scope, window)
    loudness = {"significance": rule.significance, "min_count": rule.min_count}
    counts = [h["count"] for h in history]
    # Days before the scope's first data are no baseline (a new project, a new target).
    start = next((i for i, n in enumerate(counts) if n), len(counts))
    history, counts = history[start:], counts[start:]
    evidence: dict = {}
    topic = None
    if rule.kind == AlertKind.VOLUME_SPIKE:
        verdict = detection.volume_spike(counts, current["count"], period=period, **loudness)
    elif rule.kind == AlertKind.NEGATIVE_SHARE:
        verdict = detection.negative_share(
            sum(h["labels.negative"] for h in history), sum(counts),
            current["labels.negative"], current["count"], **loudness,
        )  # fmt: skip
        evidence = {"sentiment": list(NEGATIVE_LABELS)}
    elif rule.kind == AlertKind.SENTIMENT_DROP:
        daily = [(h["count"], h["sum"]) for h in history]
        verdict = detection.sentiment_drop(daily, current["count"], current["sum"], **loudness)
        evidence = {"sentiment": list(NEGATIVE_LABELS)}
    elif rule.kind == AlertKind.RATING_DROP:
        daily = [(h["rating_count"], h["rating_sum"]) for h in history]
        verdict = detection.rating_drop(daily, current["rating_count"], current["rating_sum"], **loudness)
        evidence = {"rating_max": str(LOW_RATING)}
    elif rule.kind == AlertKind.TOPIC:
        verdict, topic = _strongest_topic(rule, scope, history, current, window, touched=touched)
        if verdict is None:
            return None
        evidence = {"q": f'"{topic[1]}"'}
    else:
        return None
    if not verdict.fired:
        return None
    details = {
        **verdict.details,
        "test": verdict.test,
        "baseline_days" if period == AlertPeriod.DAY else "baseline_hours": len(history),
        "window_count": current["count"],
    }
    if topic:
        details["topic"] = topic[1]
    return _fire(
        rule, window, verdict, details, evidence=lambda: _evidence(rule, scope, window, evidence), now=now
    )


def _strongest_topic(
    rule: AlertRule,
    scope: Scope,
    history: list,
    current: Counter,
    window: datetime,
    *,
    touched: list[Touched],
) -> tuple:
    """The batch's topic of this window that is most significantly above its baseline, as
    (verdict, (key, written form)), or (None, None)."""
    wanted = stats.topic_field(rule.query) if rule.query.strip() else None
    forms: dict[str, str] = {}
    for t in touched:
        if scope.holds(t.doc) and t.window(rule.period) == window:
            for key, form in t.topics.items():
                if wanted is None or key == wanted:
                    forms.setdefault(key, form)
    best = None
    for key, form in sorted(forms.items()):
        field = f"topics.{key}"
        verdict = detection.topic_growth(
            [h[field] for h in history],
            current[field],
            significance=rule.significance,
            min_count=rule.min_count,
        )
        if verdict.fired and (best is None or verdict.p_value < best[0].p_value):
            best = (verdict, (key, form))
    return best if best else (None, None)


def _evidence(rule: AlertRule, scope: Scope, window: datetime, extra: dict) -> list[ObjectId]:
    """The ids of the window's results in scope that drove the alert (at most EVIDENCE_CAP), read
    by the results store with the explorer's filters."""
    if rule.period == AlertPeriod.HOUR:
        return _arrived(rule, scope, window)
    day = window.date().isoformat()
    params = {"date_from": day, "date_to": day, "tz": "UTC", **scope.as_params(), **extra}
    # Read as the project's owner: the results are theirs (a rule's author may be an admin).
    selection = reads.select(rule.project.user, rule.project, params)
    return [result.pk for result in reads.page(selection, EVIDENCE_CAP).object_list]


def _arrived(rule: AlertRule, scope: Scope, hour: datetime) -> list[ObjectId]:
    docs = reads.arrived(
        rule.project_id, hour, hour + STEP[AlertPeriod.HOUR], {"target_id": 1, "platform": 1}
    )
    return [doc["_id"] for doc in docs if scope.holds(doc)][:EVIDENCE_CAP]


# --- keyword rules ---------------------------------------------------------------------------------


def _keyword(rule: AlertRule, scope: Scope, touched: list[Touched], now: datetime) -> list[Alert]:
    parsed = search.parse_query(rule.query)
    if not parsed:
        return []
    check = search.pattern_check(parsed)
    per_window: dict[datetime, list[ObjectId]] = {}
    for t in touched:
        if rule.only_negative and t.contribution.label != "negative":
            continue
        window = period_start(t.doc.get("created_at") or now, rule.period)
        if recent(window, rule.period, now) and check(t.doc):
            per_window.setdefault(window, []).append(t.doc["_id"])
    alerts = []
    for window, ids in sorted(per_window.items()):
        key = window_key(rule, window)
        if Alert.objects.filter(key=key).exists():
            continue
        tally = collection(WINDOWS).find_one_and_update(
            {"_id": key},
            {
                "$addToSet": {"result_ids": {"$each": ids}},
                "$setOnInsert": {"created_at": now, "window": window},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        matching = tally["result_ids"]
        verdict = detection.keyword_count(len(matching), min_count=rule.min_count)
        if not verdict.fired:
            continue
        details = {"test": verdict.test, "query": rule.query, "only_negative": rule.only_negative}
        alert = _fire(rule, window, verdict, details, evidence=lambda m=matching: list(m), now=now)
        if alert:
            alerts.append(alert)
            break  # the cooldown starts now
    return alerts


# --- storing and handing over ---------------------------------------------------------------------


def window_key(rule: AlertRule, window: datetime) -> str:
    """The alert key of a rule's window: an evaluation that finds it stored alerts no more."""
    return f"{rule.pk}:{window.astimezone(UTC).isoformat()}"


def _fire(
    rule: AlertRule,
    window: datetime,
    verdict: detection.Verdict,
    details: dict,
    *,
    evidence: Callable[[], list],
    now: datetime,
) -> Alert | None:
    """Store the rule's alert of this window (once) and hand it to delivery; None when it
    exists already or the rule may not fire now."""
    key = window_key(rule, window)
    if Alert.objects.filter(key=key).exists():
        return None
    cooldown = now - timedelta(hours=rule.cooldown_hours)
    claimed = (
        AlertRule.objects.filter(pk=rule.pk, enabled=True)
        .filter(Q(last_triggered_at__isnull=True) | Q(last_triggered_at__lte=cooldown))
        .filter(Q(muted_until__isnull=True) | Q(muted_until__lte=now))
        .update(last_triggered_at=now)
    )
    if not claimed:
        return None  # another evaluation fired it meanwhile (or it was muted or disabled)
    rule.last_triggered_at = now
    alert = Alert(
        user_id=rule.user_id,
        project_id=rule.project_id,
        rule=rule,
        kind=rule.kind,
        key=key,
        title=title(rule, window, verdict, details)[:300],
        window_start=window,
        window_end=window + STEP[rule.period],
        baseline=float(verdict.expected or 0.0),
        observed=float(verdict.observed),
        statistic=verdict.statistic,
        p_value=verdict.p_value,
        details=details,
        result_ids=list(evidence())[:EVIDENCE_CAP],
        created_at=now,
    )
    try:
        alert.save()
    except IntegrityError:
        return None  # the same window stored by a concurrent evaluation
    current_app.send_task("notifications.deliver_alert", args=[str(alert.pk)])
    return alert


def title(rule: AlertRule, window: datetime, verdict: detection.Verdict, details: dict) -> str:
    """What the alert says in one line, with its numbers."""
    when = f"{window:%Y-%m-%d %H:00} UTC" if rule.period == AlertPeriod.HOUR else f"{window:%Y-%m-%d}"
    observed, expected = verdict.observed, verdict.expected or 0.0
    said = {
        AlertKind.VOLUME_SPIKE: f"{observed:g} results on {when} (expected {expected:.1f})",
        AlertKind.NEGATIVE_SHARE: f"{observed:.0%} negative on {when} (usually {expected:.0%})",
        AlertKind.SENTIMENT_DROP: f"average sentiment {observed:+.2f} on {when} (usually {expected:+.2f})",
        AlertKind.RATING_DROP: f"average rating {observed:.2f} on {when} (usually {expected:.2f})",
        AlertKind.KEYWORD: f'{observed:g} results matching "{rule.query}" on {when}',
        AlertKind.TOPIC: f'"{details.get("topic", "")}" in {observed:g} results on {when} (expected {expected:.1f})',
    }
    return f"{rule.name}: {said.get(rule.kind, '')}"
