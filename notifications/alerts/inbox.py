"""A user's alerts as the bell, the alerts page and the API read them: the history, the unread
count, opening (marks read), acknowledging, and the evidence behind one alert.

Every read starts from the user (or from a project the caller checked is theirs), and an alert
read by id is checked against its owner, so another user's alert is never found. Updates are
single conditional writes: opening an alert twice, or two tabs acknowledging at once, write the
first time only. Reads are plain MongoDB filters on one index each (:class:`AlertSelection`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bson import ObjectId
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
    # Raw conditions: the ORM writes ``read_at=None`` as "$or: missing or null", which the
    # embedded server answers by reading every alert.
    selector: dict = {"user_id": user.pk}
    if project_id is not None:
        selector["project_id"] = project_id
    if unread:
        selector["read_at"] = None
    return selector


def with_rules_and_projects(alerts: list[Alert]) -> list[Alert]:
    """``alerts`` with their rule and project attached, two queries for the lot; an alert whose
    rule or project is being deleted (the cascade runs after them) is left out.

    ``select_related`` would join before it filters (a $lookup of every alert in the collection
    on the embedded server): a page joins its own 25 alerts instead.
    """
    rules = AlertRule.objects.in_bulk({a.rule_id for a in alerts})
    projects = Project.objects.in_bulk({a.project_id for a in alerts})
    kept = []
    for alert in alerts:
        if alert.rule_id in rules and alert.project_id in projects:
            alert.rule, alert.project = rules[alert.rule_id], projects[alert.project_id]
            kept.append(alert)
    return kept


class AlertSelection:
    """The user's alerts (one project's, unread ones), newest first, for the alerts page (a
    ``Paginator`` counts and slices it) and the API (pages after a cursor).

    Each filter reads one index range, because the embedded server uses an index only when
    every condition is on its fields: all alerts on (user, created_at); one project's on
    (project, created_at), the caller having checked the project is the user's; unread ones on
    (user, read_at), where that range is ordered (and a project picked) here. A page's alerts
    are then read by id with their rules and projects.
    """

    def __init__(self, user: User, *, project_id: ObjectId | None = None, unread: bool = False):
        self.user, self.project_id, self.unread = user, project_id, unread

    @property
    def _alerts(self):
        return collection(Alert._meta.db_table)

    def _selector(self) -> dict:
        if self.unread:
            return {"user_id": self.user.pk, "read_at": None}
        if self.project_id is not None:
            return {"project_id": self.project_id}
        return {"user_id": self.user.pk}

    def _unread_keys(self) -> list[tuple]:
        """(created_at, id) of the unread range, newest first (of the project, when one is chosen)."""
        docs = self._alerts.find(self._selector(), {"_id": 1, "created_at": 1, "project_id": 1})
        keys = [
            (d["created_at"], d["_id"])
            for d in docs
            if self.project_id is None or d.get("project_id") == self.project_id
        ]
        return sorted(keys, reverse=True)

    def count(self) -> int:
        if self.unread and self.project_id is not None:
            return len(self._unread_keys())
        return self._alerts.count_documents(self._selector())

    def __len__(self) -> int:
        return self.count()

    def ids(self, *, after: tuple | None = None, offset: int = 0, limit: int | None = None) -> list[ObjectId]:
        """The ids in order: after ``(created_at, id)`` when given, from ``offset``, at most ``limit``."""
        stop = None if limit is None else offset + limit
        if self.unread:
            keys = self._unread_keys()
            if after is not None:
                keys = [k for k in keys if k < after]
            return [pk for _, pk in keys[offset:stop]]
        selector, order = self._selector(), [("created_at", -1), ("_id", -1)]
        keys: list[tuple] = []
        if after is not None:
            # Two reads on the index range: the cursor's instant (ties, few), then what is older.
            ties = self._alerts.find({**selector, "created_at": after[0]}, {"_id": 1})
            keys = sorted(((after[0], d["_id"]) for d in ties if d["_id"] < after[1]), reverse=True)
            selector["created_at"] = {"$lt": after[0]}
        wanted = None if stop is None else max(0, stop - len(keys))
        cursor = self._alerts.find(selector, {"_id": 1, "created_at": 1}).sort(order)
        if wanted is not None:
            cursor = cursor.limit(wanted) if wanted else []
        keys += [(d["created_at"], d["_id"]) for d in cursor]
        return [pk for _, pk in keys[offset:stop]]

    def read(self, ids: list[ObjectId]) -> list[Alert]:
        """The alerts of ``ids`` in that order, the user's only, with rules and projects."""
        by_id = Alert.objects.in_bulk(ids)
        return with_rules_and_projects(
            [by_id[i] for i in ids if i in by_id and by_id[i].user_id == self.user.pk]
        )

    def __getitem__(self, index: slice) -> list[Alert]:
        start = index.start or 0
        return self.read(self.ids(offset=start, limit=None if index.stop is None else index.stop - start))


def alert_of(user: User, alert_id) -> Alert:
    """The user's alert ``alert_id`` with its rule and project (``Alert.DoesNotExist`` for any
    other id). Read by id alone and checked here: on the embedded server a query on the id and
    the user would read every alert."""
    alert = Alert.objects.filter(pk=alert_id).first()
    found = with_rules_and_projects([alert]) if alert is not None and alert.user_id == user.pk else []
    if not found:
        raise Alert.DoesNotExist(alert_id)
    return found[0]


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
