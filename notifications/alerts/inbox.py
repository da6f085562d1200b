"""A user's alerts as the bell, the alerts page and the API read them: the history, the unread
count, opening (marks read), acknowledging, and the evidence behind one alert.

Every read starts from the user (or a project already checked to be theirs), so another user's
alert is never found. Updates are single conditional writes: opening an alert twice, or two
tabs acknowledging at once, write the first time only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bson import ObjectId
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analysis.models import Result
from analysis.results_store.reads import results_in_order
from notifications.models import Alert, AlertKind
from projects.models import Project

# The evidence an alert page lists (an alert keeps at most the ids detection stored).
EVIDENCE_LIMIT = 50
NEGATIVE_LABELS = ("negative", "very_negative")


def alerts_of(user: User, *, project_id: ObjectId | None = None, unread: bool = False) -> QuerySet[Alert]:
    """The user's alerts, newest first; only one project's, only unread ones."""
    alerts = Alert.objects.filter(user_id=user.pk)
    if project_id is not None:
        alerts = alerts.filter(project_id=project_id)
    if unread:
        alerts = alerts.filter(read_at=None)
    return alerts.select_related("rule", "project").order_by("-created_at", "-pk")


def unread_count(user: User) -> int:
    """How many of the user's alerts nobody opened yet: one count on the (user, read_at) index."""
    return Alert.objects.filter(user_id=user.pk, read_at=None).count()


def mark_read(alert: Alert, *, now: datetime | None = None) -> Alert:
    """Mark an alert read (opening it does); an alert read before keeps its first time."""
    if alert.read_at is None:
        alert.read_at = now or timezone.now()
        Alert.objects.filter(pk=alert.pk, read_at=None).update(read_at=alert.read_at)
    return alert


def acknowledge(alert: Alert, *, now: datetime | None = None) -> Alert:
    """Acknowledge an alert (it is read too); acknowledging again changes nothing."""
    now = now or timezone.now()
    mark_read(alert, now=now)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        Alert.objects.filter(pk=alert.pk, acknowledged_at=None).update(acknowledged_at=now)
    return alert


def acknowledge_all(user: User, *, project_id: ObjectId | None = None, now: datetime | None = None) -> int:
    """Acknowledge every open alert of the user (of one project); how many were open."""
    now = now or timezone.now()
    alerts = Alert.objects.filter(user_id=user.pk)
    if project_id is not None:
        alerts = alerts.filter(project_id=project_id)
    alerts.filter(read_at=None).update(read_at=now)
    return alerts.filter(acknowledged_at=None).update(acknowledged_at=now)


def evidence(alert: Alert, limit: int = EVIDENCE_LIMIT) -> list[Result]:
    """The results that triggered the alert, read by id and kept only when they are still in the
    alert's project (a result removed since is left out)."""
    ids = list(alert.result_ids)[:limit]
    return [r for r in results_in_order(ids) if r.project_id == alert.project_id]


def explorer_url(alert: Alert, project: Project) -> str:
    """The explorer over the alert's window and the rule's scope (and search, for keywords)."""
    rule = alert.rule
    params: list[tuple[str, str]] = [
        ("date_field", "collected"),
        ("date_from", _utc_day(alert.window_start)),
        ("date_to", _utc_day(alert.window_end, end=True)),
        ("tz", "UTC"),
    ]
    params += [("target", str(t)) for t in rule.target_ids]
    params += [("platform", p) for p in rule.platforms]
    if alert.kind == AlertKind.KEYWORD and rule.query:
        params.append(("q", rule.query))
    if alert.kind == AlertKind.NEGATIVE_SHARE or (alert.kind == AlertKind.KEYWORD and rule.only_negative):
        params += [("sentiment", label) for label in NEGATIVE_LABELS]
    return f"{reverse('analysis:explorer', args=[project.pk])}?{urlencode(params)}"


def _utc_day(moment: datetime, *, end: bool = False) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    # A window ends at the first instant after it: midnight belongs to the day before.
    if end and moment.time() == datetime.min.time():
        moment = moment - timedelta(microseconds=1)
    return moment.date().isoformat()
