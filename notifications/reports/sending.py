"""Sending scheduled reports: beat's hourly look for due schedules, one task per schedule, and
the mail itself (HTML with a plain-text part and CSV attachments, one message per recipient).

What is guaranteed:

- *One sender at a time.* A task claims the due period with a conditional single-document
  update (a token and ``claimed_at``) before building anything; a second task (a retry, two
  beats) finds the claim held and sends nothing. A claim older than the lease
  (:func:`notifications.leases.lease`, the rule of the delivery sweeps too: the task time limit
  plus a margin, so no live task is that old) was left by a worker that died, and the next run
  takes it over.
- *Each recipient once.* The progress of the period is written as each message goes: the
  address is added (``$addToSet``) to ``sent_to`` as soon as the mail server accepted it, or
  to ``refused`` with the server's answer when it refused the address for good (5xx). A
  retry, or the run that takes over a dead worker's claim, mails only the active recipients
  in neither list. The only double send left is the narrow window between the server
  accepting a message and that ``$addToSet``: a worker killed right there mails that one
  recipient again (at least once, not exactly once, for that one address).
- *Nothing lost.* A mail server error gives the claim back (the progress stays) and beat's
  next hourly look queues the schedule again, since its period is not done; a worker killed
  mid-job leaves a claim that goes stale, and beat queues the schedule once it has. A period
  is done (``last_period_end``) when every active recipient was sent it or refused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from smtplib import SMTPRecipientsRefused
from uuid import uuid4

from bson import ObjectId
from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone
from pymongo import ReturnDocument

from notifications.leases import lease
from notifications.models import ReportSchedule
from notifications.reports import content, unsubscribe
from notifications.reports.periods import Period, due_period, last_full_period, zone_of
from sentimatrix.mongo import collection
from sentimatrix.when import format_day

logger = logging.getLogger(__name__)
SUBJECT_PREFIX = "[Sentimatrix Studio]"
REASON_LENGTH = 500  # RefusedRecipient.reason

# What a sender does with each recipient's outcome: (address, the refusal or None when the
# server accepted it) -> whether to go on with the next recipient.
Record = Callable[[str, str | None], bool]


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


def permanent_refusal(error: SMTPRecipientsRefused) -> str | None:
    """The server's answer when it refused the address for good (5xx), else None: a 4xx
    (mailbox busy, greylisting) is temporary, and the retry tries the address again."""
    answers = list(error.recipients.values())
    if not answers or any(code < 500 for code, _ in answers):
        return None
    code, text = answers[0]
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}"[:REASON_LENGTH]


def send(
    schedule: ReportSchedule,
    period: Period,
    recipients: list[str],
    *,
    test: bool = False,
    record: Record | None = None,
) -> int:
    """Build the report of ``period`` once and mail it to each recipient in turn; returns how
    many the server accepted. ``record`` hears each outcome as it comes (a recipient refused
    for good is then skipped, not raised) and may stop the sending. A test says so in its
    subject and has no unsubscribe link (it goes to the owner)."""
    if not recipients:
        return 0
    data = report_for(schedule, period)
    sent = 0
    with get_connection() as connection:
        for address in recipients:
            link = None if test else unsubscribe.link(schedule.pk, address)
            mail = message(data, address, link, connection, test=test)
            try:
                accepted = connection.send_messages([mail]) or 0
            except SMTPRecipientsRefused as error:
                reason = permanent_refusal(error)
                if record is None or reason is None:
                    raise
                if not record(address, reason):
                    break
                continue
            sent += accepted
            if record is not None and not record(address, None):
                break
    return sent


def claim_is_fresh(schedule: ReportSchedule, now: datetime) -> bool:
    """Whether someone holds the schedule's claim at ``now`` (taken within the lease)."""
    return schedule.claimed_at is not None and schedule.claimed_at >= now - lease()


def claim(schedule: ReportSchedule, period: Period, now: datetime) -> tuple[str, set[str]] | None:
    """Take the period for this run: its token and the recipients already done (sent or
    refused) if it got it, None if the period is done or a fresh claim holds it. One caller
    at a time gets it: a conditional single-document update."""
    token = uuid4().hex
    reports = collection("report_schedules")
    held = reports.find_one_and_update(
        {
            "_id": schedule.pk,
            "$and": [
                {"$or": [{"last_period_end": None}, {"last_period_end": {"$lt": period.end}}]},
                {"$or": [{"claimed_at": None}, {"claimed_at": {"$lt": now - lease()}}]},
            ],
        },
        {"$set": {"claimed_by": token, "claimed_at": now}},
        projection={"sending_period_end": 1, "sent_to": 1, "refused": 1},
        return_document=ReturnDocument.AFTER,
    )
    if held is None:
        return None
    if held.get("sending_period_end") != period.end:  # a new period: nobody has it yet
        reports.update_one(
            {"_id": schedule.pk, "claimed_by": token},
            {"$set": {"sending_period_end": period.end, "sent_to": [], "refused": []}},
        )
        return token, set()
    done = set(held.get("sent_to") or []) | {r["address"] for r in held.get("refused") or []}
    return token, done


def release(schedule: ReportSchedule, token: str) -> None:
    """Give the claim back (the send failed); the period's progress stays for the retry."""
    collection("report_schedules").update_one(
        {"_id": schedule.pk, "claimed_by": token}, {"$set": {"claimed_by": "", "claimed_at": None}}
    )


def recorder(schedule: ReportSchedule, period: Period, token: str) -> Record:
    """Write each recipient's outcome to the period's progress as it comes (one single-document
    update). Should the claim have been taken over meanwhile, the outcome is still written and
    the sending stops: the run that holds the claim now sends the rest."""
    reports = collection("report_schedules")

    def record(address: str, refused: str | None) -> bool:
        if refused is None:
            update = {"$addToSet": {"sent_to": address}}
        else:
            update = {"$addToSet": {"refused": {"address": address, "reason": refused}}}
        if reports.update_one({"_id": schedule.pk, "claimed_by": token}, update).matched_count:
            return True
        reports.update_one({"_id": schedule.pk, "sending_period_end": period.end}, update)
        logger.warning("Report %s: its claim was taken over; stopping after %s", schedule.pk, address)
        return False

    return record


def finish(schedule: ReportSchedule, period: Period, token: str, now: datetime, sent: int) -> None:
    """Give the claim back, the period done if every active recipient (as the schedule reads
    now: an edit may have added one meanwhile) was sent it or refused it."""
    schedule.refresh_from_db(fields=["recipients", "unsubscribed", "sent_to", "refused"])
    done = set(schedule.sent_to) | {r.address for r in schedule.refused}
    update = {"claimed_by": "", "claimed_at": None}
    if all(address in done for address in schedule.active_recipients()):
        update["last_period_end"] = period.end
    if sent:  # everyone may have unsubscribed: the period is done, but nothing was sent
        update["last_sent_at"] = now
    collection("report_schedules").update_one({"_id": schedule.pk, "claimed_by": token}, {"$set": update})


def send_due(schedule_id, now: datetime) -> int:
    """Send the schedule's due report to the recipients who do not have it yet, if one is due
    and not claimed; returns the mails sent by this run."""
    schedule = (
        ReportSchedule.objects.filter(pk=ObjectId(str(schedule_id))).select_related("project", "user").first()
    )
    if schedule is None:
        return 0
    period = due_period(schedule, now)
    held = claim(schedule, period, now) if period is not None else None
    if held is None:
        return 0
    token, done = held
    pending = [address for address in schedule.active_recipients() if address not in done]
    try:
        sent = send(schedule, period, pending, record=recorder(schedule, period, token))
    except Exception:
        release(schedule, token)
        raise
    finish(schedule, period, token, now, sent)
    logger.info("Report %s for %s to %s sent to %d recipients", schedule.pk, period.first, period.last, sent)
    return sent


def due_schedules(now: datetime) -> list[ReportSchedule]:
    """The enabled schedules with a report due at ``now``: not sent yet, or left part-way
    (a failed send, or a claim gone stale because its worker died), and nobody sending it."""
    found = []
    for schedule in ReportSchedule.objects.filter(enabled=True).select_related("project", "user"):
        schedule.project.user = schedule.user  # the time zone may be the owner's
        if due_period(schedule, now) is not None and not claim_is_fresh(schedule, now):
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
    """Fired by beat every hour: queue the reports whose local send time has come, and those
    a failed send or a dead worker left part-way."""
    return queue_due(timezone.now())
