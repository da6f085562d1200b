"""Signed unsubscribe links of scheduled reports.

A recipient has no account, so the link itself is the proof: the schedule id and the address,
signed with the project's secret key under :data:`SALT` (a token of another feature never
passes here). Tokens do not expire: a link in a mail from last year still unsubscribes.
"""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId
from django.core import signing

from notifications.models import ReportSchedule
from notifications.payloads import absolute_url
from sentimatrix.mongo import collection

SALT = "notifications.reports.unsubscribe"


def make_token(schedule_id, email: str) -> str:
    """The token of one recipient of one schedule (ids as strings: the signer writes JSON)."""
    return signing.dumps({"s": str(schedule_id), "e": email.lower()}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[ObjectId, str] | None:
    """The (schedule id, address) a token names, or None when it was not signed here."""
    try:
        data = signing.loads(token, salt=SALT)
        return ObjectId(data["s"]), str(data["e"])
    except (signing.BadSignature, InvalidId, KeyError, TypeError, ValueError):
        return None


def link(schedule_id, email: str) -> str:
    """The absolute address of the recipient's unsubscribe page."""
    token = make_token(schedule_id, email)
    return absolute_url("reports_unsubscribe:unsubscribe", f"/reports/unsubscribe/{token}/", token=token)


def schedule_of(token: str) -> tuple[ReportSchedule, str] | None:
    """The schedule and address of a valid token (None: bad token or the schedule is gone)."""
    found = read_token(token)
    if found is None:
        return None
    schedule = ReportSchedule.objects.filter(pk=found[0]).select_related("project").first()
    return (schedule, found[1]) if schedule is not None else None


def unsubscribe(schedule: ReportSchedule, email: str) -> None:
    """Stop sending the schedule's reports to ``email`` (one atomic update; repeating it is harmless)."""
    collection("report_schedules").update_one({"_id": schedule.pk}, {"$addToSet": {"unsubscribed": email}})
