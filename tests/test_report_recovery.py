"""Scheduled reports reach each recipient once when the mail server fails part-way, refuses an
address, or the worker dies after claiming a period; and never twice when two tasks run."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected

import pytest
import time_machine
from django.db import connections

from notifications.leases import lease
from notifications.models import ReportSchedule
from notifications.reports import sending, services
from notifications.reports.periods import due_period
from sentimatrix.mongo import collection
from tests.api_helpers import api_client, make_token
from tests.factories import make_project, make_user
from tests.mail_backends import FlakyEmailBackend
from tests.smtp_server import smtp_server

pytestmark = pytest.mark.django_db
# Monday 15 July 2030, 08:00 UTC: the weekly report of 8-14 July is due (the project is in UTC).
DUE = datetime(2030, 7, 15, 8, 0, tzinfo=UTC)
FOUR = ["ana@example.com", "bo@example.com", "cy@example.com", "di@example.com"]


@pytest.fixture
def flaky_mail(settings, mailoutbox):
    """Mail goes through :class:`FlakyEmailBackend` (into ``mailoutbox``); configure it per test."""
    settings.EMAIL_BACKEND = "tests.mail_backends.FlakyEmailBackend"
    FlakyEmailBackend.configure()
    yield FlakyEmailBackend
    FlakyEmailBackend.configure()


@pytest.fixture
def schedule(fast_passwords) -> ReportSchedule:
    owner = make_user(email="owner@example.com")
    schedule = ReportSchedule(
        user=owner,
        project=make_project(owner),
        name="Team weekly",
        recipients=FOUR,
        weekday=0,
        hour=8,
        created_at=DUE - timedelta(days=90),
    )
    schedule.full_clean()
    schedule.save()
    return schedule


def _beat(at: datetime) -> int:
    """Beat's hourly look at ``at``, its tasks run inline with the clock standing there."""
    with time_machine.travel(at, tick=False):
        return sending.queue_due(at)


def _stored(schedule: ReportSchedule) -> ReportSchedule:
    return ReportSchedule.objects.get(pk=schedule.pk)


def _received(mailoutbox) -> Counter:
    return Counter(address for mail in mailoutbox for address in mail.to)


def test_a_mail_server_failure_after_two_of_four_sends_only_the_other_two_on_the_retry(
    schedule, flaky_mail, mailoutbox, eager
):
    flaky_mail.configure(fail_on=3)  # the server drops the connection on the third message
    with pytest.raises(SMTPServerDisconnected):
        _beat(DUE)
    assert _received(mailoutbox) == Counter(FOUR[:2])
    stored = _stored(schedule)
    period = due_period(stored, DUE)
    # The two sent stay sent; the claim is given back and the period is still due.
    assert stored.sent_to == FOUR[:2] and stored.sending_period_end == period.end
    assert (stored.claimed_by, stored.claimed_at, stored.last_period_end) == ("", None, None)
    assert stored.progress() == {"sent": 2, "total": 4, "refused": [], "done": False}

    # Beat's next hourly look queues it again: the retry mails the other two only.
    assert _beat(DUE + timedelta(hours=1)) == 1
    assert _received(mailoutbox) == Counter(FOUR)  # each recipient exactly once
    stored = _stored(schedule)
    assert stored.last_period_end == period.end and stored.sent_to == FOUR
    assert stored.last_sent_at == DUE + timedelta(hours=1)
    assert stored.progress()["done"] is True
    # Done: neither beat nor another task sends it again.
    assert _beat(DUE + timedelta(hours=2)) == 0
    assert sending.send_due(schedule.pk, DUE + timedelta(hours=2)) == 0
    assert len(mailoutbox) == 4


def test_running_the_task_twice_sends_the_period_once(schedule, flaky_mail, mailoutbox, eager):
    with time_machine.travel(DUE, tick=False):
        assert sending.send_scheduled_report.delay(str(schedule.pk)).get() == 4
        assert sending.send_scheduled_report.delay(str(schedule.pk)).get() == 0
    assert _received(mailoutbox) == Counter(FOUR)


def test_two_tasks_at_the_same_moment_mail_each_recipient_once(schedule, flaky_mail, mailoutbox):
    start = threading.Barrier(2)
    counts = []

    def task():
        start.wait()
        counts.append(sending.send_due(schedule.pk, DUE))
        connections.close_all()

    threads = [threading.Thread(target=task) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 4]
    assert _received(mailoutbox) == Counter(FOUR)


def test_a_fresh_claim_is_not_taken_over(schedule, flaky_mail, mailoutbox, eager):
    # A task is sending the period (it claimed it, mailed nobody yet): another task, or beat,
    # within the lease leaves it alone.
    period = due_period(schedule, DUE)
    token, done = sending.claim(schedule, period, DUE)
    assert done == set()
    assert sending.claim(schedule, period, DUE) is None
    almost = DUE + lease() - timedelta(minutes=1)
    assert sending.send_due(schedule.pk, almost) == 0
    assert _beat(almost) == 0
    assert mailoutbox == []
    assert _stored(schedule).claimed_by == token


def test_a_dead_workers_stale_claim_is_taken_over_by_the_next_beat_which_sends_the_rest(
    schedule, flaky_mail, mailoutbox, eager
):
    period = due_period(schedule, DUE)
    # A worker claims the period, mails the first recipient, and is killed.
    token, _ = sending.claim(schedule, period, DUE)
    dead_worker = sending.recorder(schedule, period, token)
    assert sending.send(schedule, period, FOUR[:1], record=dead_worker) == 1
    assert _stored(schedule).sent_to == FOUR[:1]
    # Within the lease beat leaves it to that worker...
    assert _beat(DUE + timedelta(minutes=10)) == 0
    # ...and once the claim is older than the lease (moved back in the database here), the
    # next beat queues the schedule and its task takes the claim over and sends the rest.
    stale = DUE - lease() - timedelta(minutes=1)
    collection("report_schedules").update_one({"_id": schedule.pk}, {"$set": {"claimed_at": stale}})
    assert [s.pk for s in sending.due_schedules(DUE + timedelta(minutes=20))] == [schedule.pk]
    assert _beat(DUE + timedelta(minutes=20)) == 1
    assert _received(mailoutbox) == Counter(FOUR)
    stored = _stored(schedule)
    assert stored.last_period_end == period.end and sorted(stored.sent_to) == FOUR
    assert stored.claimed_by == "" and stored.last_sent_at == DUE + timedelta(minutes=20)
    # Had the old worker lived on, its next outcome would stop it: the claim is no longer its.
    assert dead_worker("ana@example.com", None) is False
    assert _beat(DUE + timedelta(hours=1)) == 0 and len(mailoutbox) == 4


def test_a_refused_address_is_recorded_and_shown_and_the_others_get_the_report(
    schedule, flaky_mail, mailoutbox, client
):
    answer = b"5.1.1 <cy@example.com>: Recipient address rejected: User unknown"
    flaky_mail.configure(refuse={"cy@example.com": (550, answer)})
    assert sending.send_due(schedule.pk, DUE) == 3
    assert _received(mailoutbox) == Counter(FOUR[:2] + FOUR[3:])
    stored = _stored(schedule)
    period = due_period(schedule, DUE)
    # A permanent refusal does not hold the period up: it is done, the refusal kept with its reason.
    assert stored.last_period_end == period.end
    assert [(r.address, r.reason) for r in stored.refused] == [("cy@example.com", f"550 {answer.decode()}")]
    assert sending.send_due(schedule.pk, DUE + timedelta(hours=1)) == 0

    client.force_login(schedule.user)
    page = client.get(f"/projects/{schedule.project_id}/reports/").content.decode()
    assert "Last report: sent to 3 of 4" in page
    assert "cy@example.com refused: 550 5.1.1 &lt;cy@example.com&gt;: Recipient address rejected" in page
    assert "<cy@example.com>" not in page
    # The API says the same.
    api = api_client(make_token(schedule.user))
    body = api.get(f"/api/v1/projects/{schedule.project_id}/reports/{schedule.pk}/").json()
    assert body["progress"] == {
        "period_end": "2030-07-15T00:00:00Z",
        "sent": 3,
        "total": 4,
        "done": True,
        "refused": [{"address": "cy@example.com", "reason": f"550 {answer.decode()}"}],
    }
    assert body["last_period_end"] == body["progress"]["period_end"]
    # An address added after the period was done waits for the next one: still "3 of 4".
    services.update_schedule(stored, recipients=[*FOUR, "ed@example.com"])
    assert _stored(schedule).progress()["total"] == 4
    assert sending.send_due(schedule.pk, DUE + timedelta(hours=2)) == 0


def test_a_temporary_refusal_is_tried_again_on_the_retry(schedule, flaky_mail, mailoutbox):
    # 4xx (mailbox busy, greylisting): not a verdict on the address; the task fails and retries.
    flaky_mail.configure(refuse={"bo@example.com": (450, b"4.2.1 Mailbox busy, try again later")})
    with pytest.raises(SMTPRecipientsRefused):
        sending.send_due(schedule.pk, DUE)
    stored = _stored(schedule)
    assert stored.sent_to == FOUR[:1] and stored.refused == [] and stored.last_period_end is None
    flaky_mail.configure()  # the mailbox is free an hour later
    assert sending.send_due(schedule.pk, DUE + timedelta(hours=1)) == 3
    assert _received(mailoutbox) == Counter(FOUR)


def test_through_a_real_smtp_server_a_refused_mailbox_is_recorded_and_the_others_delivered(
    schedule, settings
):
    # The product's SMTP backend: smtplib raises SMTPRecipientsRefused for the refused RCPT, resets
    # the transaction, and the same connection carries the next recipients' mail.
    answer = "550 5.1.1 <cy@example.com>: Recipient address rejected: User unknown"
    period = due_period(schedule, DUE)
    with smtp_server(refuse={"cy@example.com": answer}) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        assert sending.send_due(schedule.pk, DUE) == 3
    assert server.delivered == ["ana@example.com", "bo@example.com", "di@example.com"]
    stored = _stored(schedule)
    assert [(r.address, r.reason) for r in stored.refused] == [("cy@example.com", answer)]
    assert stored.last_period_end == period.end


def test_the_admin_shows_a_schedules_refusals_as_text(schedule, flaky_mail, admin_client):
    flaky_mail.configure(refuse={"cy@example.com": (550, b"5.1.1 User <unknown>")})
    sending.send_due(schedule.pk, DUE)
    page = admin_client.get(f"/admin/notifications/reportschedule/{schedule.pk}/change/").content.decode()
    assert "cy@example.com: 550 5.1.1 User &lt;unknown&gt;" in page


def test_an_address_added_while_the_report_goes_out_gets_it_on_the_next_run(
    schedule, flaky_mail, mailoutbox, client, eager
):
    def edit_once(mail):  # the owner adds an address while the second message goes out
        if mail.to == ["bo@example.com"]:
            services.update_schedule(_stored(schedule), recipients=[*FOUR, "ed@example.com"])

    flaky_mail.configure(accepted=edit_once)
    assert sending.send_due(schedule.pk, DUE) == 4
    stored = _stored(schedule)
    assert stored.last_period_end is None and stored.claimed_by == ""  # not done: one to go
    assert stored.progress() == {"sent": 4, "total": 5, "refused": [], "done": False}
    client.force_login(schedule.user)
    assert (
        "Report being sent: sent to 4 of 5"
        in client.get(f"/projects/{schedule.project_id}/reports/").content.decode()
    )
    flaky_mail.configure()
    assert _beat(DUE + timedelta(hours=1)) == 1
    assert _received(mailoutbox) == Counter([*FOUR, "ed@example.com"])
    assert _stored(schedule).progress()["done"] is True
