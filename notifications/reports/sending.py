"""Sending scheduled reports: beat's hourly look for due schedules, one task per schedule, and
the mail itself (HTML with a plain-text part and CSV attachments, one message per recipient).

A period is sent once: the task claims it with a conditional single-document update of
``last_period_end`` before building anything, so a task run twice (a retry, two beats) finds
the claim taken and sends nothing. A send that fails gives the claim back for the next try.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bson import ObjectId
from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import ReportSchedule
from notifications.reports import content, unsubscribe
from notifications.reports.periods import Period, due_period, last_full_period, zone_of
from sentimatrix.mongo import collection
from sentimatrix.when import format_day

logger = logging.getLogger(__name__)
SUBJECT_PREFIX = "[Sentimatrix Studio]"


def subject(data: dict) -> str:
    period = data["period"]
    first, last = format_day(period.first), format_day(period.last)
    return f"{SUBJECT_PREFIX} {data['project'].name}: report for {first} to {last}"


def report_for(schedule: ReportSchedule, period: Period) -> dict:
    """The report's data for ``period`` (and the period before it, which the changes compare with)."""
    return content.build(schedule, period, period.previous(schedule.frequency))


def render_html(data: dict, unsubscribe_url: str | None) -> str:
    return render_to_string("notifications/email/report.html", {**data, "unsubscribe_url": unsubscribe_url})


def message(
    data: dict, recipient: str, unsubscribe_url: str | None, connection=None, *, test: bool = False
) -> EmailMultiAlternatives:
    """One recipient's mail: text and HTML, the CSV files, and the unsubscribe headers."""
    context = {**data, "unsubscribe_url": unsubscribe_url}
    headers = {}
    if unsubscribe_url:
        # RFC 2369 and RFC 8058: mail clients offer "unsubscribe" and may POST it in one click.
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    mail = EmailMultiAlternatives(
        ("Test: " if test else "") + subject(data),
        render_to_string("notifications/email/report.txt", context),
        None,
        [recipient],
        headers=headers,
        connection=connection,
    )
    mail.attach_alternative(render_html(data, unsubscribe_url), "text/html")
    first = data["period"].first.isoformat()
    mail.attach(f"daily-{first}.csv", content.csv_text(content.DAILY_COLUMNS, data["daily"]), "text/csv")
    mail.attach(f"targets-{first}.csv", content.csv_text(content.TARGET_COLUMNS, data["targets"]), "text/csv")
    return mail


def send(schedule: ReportSchedule, period: Period, recipients: list[str], *, test: bool = False) -> int:
    """Build the report of ``period`` once and mail it to each recipient; returns how many. A
    test says so in its subject and has no unsubscribe link (it goes to the owner)."""
    if not recipients:
        return 0
    data = report_for(schedule, period)
    with get_connection() as connection:
        mails = [
            message(
                data,
                address,
                None if test else unsubscribe.link(schedule.pk, address),
                connection,
                test=test,
            )
            for address in recipients
        ]
        return connection.send_messages(mails) or 0


def claim(schedule: ReportSchedule, period: Period) -> bool:
    """Take the period for this sender: True for exactly one caller per (schedule, period)."""
    taken = collection("report_schedules").update_one(
        {
            "_id": schedule.pk,
            "$or": [{"last_period_end": None}, {"last_period_end": {"$lt": period.end}}],
        },
        {"$set": {"last_period_end": period.end}},
    )
    return taken.modified_count == 1


def release(schedule: ReportSchedule, period: Period, previous_end: datetime | None) -> None:
    """Give a claimed period back (the send failed), unless a later one was claimed since."""
    collection("report_schedules").update_one(
        {"_id": schedule.pk, "last_period_end": period.end}, {"$set": {"last_period_end": previous_end}}
    )


def send_due(schedule_id, now: datetime) -> int:
    """Send the schedule's due report, if one is due and not claimed; returns the mails sent."""
    schedule = (
        ReportSchedule.objects.filter(pk=ObjectId(str(schedule_id))).select_related("project", "user").first()
    )
    if schedule is None:
        return 0
    period = due_period(schedule, now)
    if period is None or not claim(schedule, period):
        return 0
    try:
        sent = send(schedule, period, schedule.active_recipients())
    except Exception:
        release(schedule, period, schedule.last_period_end)
        raise
    if sent:  # everyone may have unsubscribed: the period is done, but nothing was sent
        collection("report_schedules").update_one({"_id": schedule.pk}, {"$set": {"last_sent_at": now}})
    logger.info("Report %s for %s to %s sent to %d recipients", schedule.pk, period.first, period.last, sent)
    return sent


def due_schedules(now: datetime) -> list[ReportSchedule]:
    """The enabled schedules with a report due at ``now``."""
    found = []
    for schedule in ReportSchedule.objects.filter(enabled=True).select_related("project", "user"):
        schedule.project.user = schedule.user  # the time zone may be the owner's
        if due_period(schedule, now) is not None:
            found.append(schedule)
    return found


def queue_due(now: datetime) -> int:
    """Queue one sending task per due schedule; returns how many."""
    due = due_schedules(now)
    for schedule in due:
        send_scheduled_report.delay(str(schedule.pk))
    return len(due)


def send_test(schedule: ReportSchedule, now: datetime) -> int:
    """The report of the last full period, to the owner alone, now (no claim: a test never
    takes the scheduled mail's place)."""
    period = last_full_period(schedule, zone_of(schedule.project), now)
    return send(schedule, period, [schedule.user.email], test=True)


# --- tasks (``webhooks`` queue, beside the other mail) -------------------------------------


@shared_task(name="webhooks.send_scheduled_report")
def send_scheduled_report(schedule_id: str) -> int:
    return send_due(schedule_id, timezone.now())


@shared_task(name="webhooks.queue_scheduled_reports")
def queue_scheduled_reports() -> int:
    """Fired by beat every hour: queue the reports whose local send time has come."""
    return queue_due(timezone.now())
