"""A user's alerts as the bell, the alerts page and the API read them: the history, the unread
count, opening (marks read), acknowledging, and the evidence behind one alert.

Every read starts from the user, so another user's alert is never found. Updates are single
conditional writes: opening an alert twice, or two tabs acknowledging at once, write the first
time only. The alerts are read with plain MongoDB filters on their indexes (see the notes below).
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
from notifications.models import Alert, AlertKind, AlertRule
from projects.models import Project
from sentimatrix.mongo import collection

# The evidence an alert page lists (an alert keeps at most the ids detection stored).
EVIDENCE_LIMIT = 50
NEGATIVE_LABELS = ("negative", "very_negative")


def _selector(user: User, project_id: ObjectId | None, unread: bool) -> dict:
    # Raw conditions on the (user, read_at) and (user, created_at) indexes: the ORM writes
    # ``read_at=None`` as "$or: missing or null", which the embedded server answers by reading
    # every alert instead of the index range.
    selector: dict = {"user_id": user.pk}
    if project_id is not None:
        selector["project_id"] = project_id
    if unread:
        selector["read_at"] = None
    return selector


def with_rules_and_projects(alerts: list[Alert]) -> list[Alert]:
    """``alerts`` with their rule and project attached, two queries for the lot.

    ``select_related`` would join before it filters (a $lookup of every alert in the collection
    on the embedded server): a page joins its own 25 alerts instead.
    """
    rules = AlertRule.objects.in_bulk({a.rule_id for a in alerts})
    projects = Project.objects.in_bulk({a.project_id for a in alerts})
    for alert in alerts:
        alert.rule, alert.project = rules[alert.rule_id], projects[alert.project_id]
    return alerts


class AlertSelection:
    """The user's alerts (one project's, unread ones), newest first, as a ``Paginator`` reads
    them: counted on the server, and each page read by id with its rules and projects."""

    def __init__(self, user: User, *, project_id: ObjectId | None = None, unread: bool = False):
        self.selector = _selector(user, project_id, unread)

    def count(self) -> int:
        return collection(Alert._meta.db_table).count_documents(self.selector)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Alert]:
        start, stop = index.start or 0, index.stop
        cursor = (
            collection(Alert._meta.db_table)
            .find(self.selector, {"_id": 1})
            .sort([("created_at", -1), ("_id", -1)])
            .skip(start)
        )
        if stop is not None:
            cursor = cursor.limit(max(0, stop - start))
        ids = [doc["_id"] for doc in cursor]
        by_id = Alert.objects.in_bulk(ids)
        return with_rules_and_projects([by_id[i] for i in ids if i in by_id])


def alert_of(user: User, alert_id) -> Alert:
    """The user's alert ``alert_id`` with its rule and project (``Alert.DoesNotExist`` for any
    other id). Read by id alone and checked here: on the embedded server a query on the id and
    the user would read every alert."""
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None or alert.user_id != user.pk:
        raise Alert.DoesNotExist(alert_id)
    return with_rules_and_projects([alert])[0]


def alerts_of(user: User, *, project_id: ObjectId | None = None, unread: bool = False) -> QuerySet[Alert]:
    """The user's alerts as a queryset (the API's keyset pages), newest first; only one
    project's, only unread ones. Pages use :class:`AlertSelection`."""
    alerts = Alert.objects.filter(user_id=user.pk)
    if project_id is not None:
        alerts = alerts.filter(project_id=project_id)
    if unread:
        alerts = alerts.filter(read_at=None)
    return alerts.order_by("-created_at", "-pk")


def unread_count(user: User) -> int:
    """How many of the user's alerts nobody opened yet: one count on the (user, read_at) index."""
    return collection(Alert._meta.db_table).count_documents({"user_id": user.pk, "read_at": None})


def mark_read(alert: Alert, *, now: datetime | None = None) -> Alert:
    """Mark an alert read (opening it does); an alert read before keeps its first time."""
    if alert.read_at is None:
        alert.read_at = now or timezone.now()
        collection(Alert._meta.db_table).update_one(
            {"_id": alert.pk, "read_at": None}, {"$set": {"read_at": alert.read_at}}
        )
    return alert


def acknowledge(alert: Alert, *, now: datetime | None = None) -> Alert:
    """Acknowledge an alert (it is read too); acknowledging again changes nothing."""
    now = now or timezone.now()
    mark_read(alert, now=now)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        collection(Alert._meta.db_table).update_one(
            {"_id": alert.pk, "acknowledged_at": None}, {"$set": {"acknowledged_at": now}}
        )
    return alert


def acknowledge_all(user: User, *, project_id: ObjectId | None = None, now: datetime | None = None) -> int:
    """Acknowledge every open alert of the user (of one project); how many were open."""
    now = now or timezone.now()
    alerts = collection(Alert._meta.db_table)
    alerts.update_many(_selector(user, project_id, unread=True), {"$set": {"read_at": now}})
    selector = {**_selector(user, project_id, unread=False), "acknowledged_at": None}
    return alerts.update_many(selector, {"$set": {"acknowledged_at": now}}).modified_count


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
