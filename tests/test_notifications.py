"""Email notifications: a failed job, a disabled webhook, and the weekly digest."""

from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings

from accounts.models import AuditLog
from notifications import emails, services
from notifications.emails import weekly_digest
from notifications.models import Webhook
from scraping import jobs
from scraping.models import JobStats, JobStatus, JobTarget, JobTrigger, ScrapeJob
from sentimatrix.mongo import collection
from tests.factories import add_steam_target, make_project, make_user

NOW = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)  # a Monday, when beat sends the digest


def close_job(project, status, *, error="", results=0, trigger=JobTrigger.MANUAL, created_at=None):
    """A one-target job whose target just ended, closed the way a worker closes it."""
    target = add_steam_target(project, 9100 + ScrapeJob.objects.count(), label=f"Game {status}")
    job = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.RUNNING,
        trigger=trigger,
        targets=[JobTarget(target_id=target.pk, status=status, error=error, results_count=results)],
        stats=JobStats(targets_total=1, targets_completed=1, results_total=results),
        **({"created_at": created_at} if created_at else {}),
    )
    assert jobs.finish_if_done(job.pk)
    return ScrapeJob.objects.get(pk=job.pk)


# --- job failed --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_job_emails_its_owner(eager, mailoutbox):
    user = make_user(name="Ana")
    project = make_project(user, name="Launch & <beta>")

    job = close_job(project, JobStatus.FAILED, error="steam answered HTTP 403 <forbidden>")

    [mail] = mailoutbox
    assert mail.to == [user.email] and "Launch & <beta>" in mail.subject
    assert "Hello Ana" in mail.body and "Game failed: steam answered HTTP 403 <forbidden>" in mail.body
    assert f"/jobs/{job.pk}/" in mail.body and settings.SITE_URL in mail.body
    assert "&amp;" not in mail.body  # plain text, not HTML-escaped


@pytest.mark.django_db
def test_no_email_for_completed_jobs_or_when_notifications_are_off(eager, mailoutbox):
    user = make_user()
    close_job(make_project(user), JobStatus.COMPLETED, results=3)
    close_job(make_project(user), JobStatus.CANCELLED)
    quiet = make_user()
    quiet.settings.email_notifications = False
    quiet.save()
    close_job(make_project(quiet), JobStatus.FAILED, error="boom")
    assert mailoutbox == []


# --- webhook disabled -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_disabled_webhook_is_audited_and_mailed_only_when_notifications_are_on(eager, mailoutbox):
    for wants_mail in (True, False):
        user = make_user()
        user.settings.email_notifications = wants_mail
        user.save()
        webhook = services.create_webhook(
            user, url="https://93.184.215.14/hook", events=["job.failed"]
        ).webhook
        Webhook.objects.filter(pk=webhook.pk).update(
            enabled=False, disabled_reason="5 deliveries in a row failed"
        )

        emails.webhook_disabled(webhook, "5 deliveries in a row failed")

        assert AuditLog.objects.filter(user=user, event_type="webhook.disabled").count() == 1
    [mail] = mailoutbox
    assert "5 deliveries in a row failed" in mail.body and "/webhooks/" in mail.body


# --- weekly digest ----------------------------------------------------------------------------


def test_the_digest_is_scheduled_for_mondays_at_eight_utc():
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-digest"]
    assert entry["task"] == "projects.weekly_digest" and settings.CELERY_TIMEZONE == "UTC"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({1}, {8}, {0})


def _daily(project, target, day: datetime, count: int, total: float) -> None:
    collection("daily_stats").insert_one(
        {"_id": f"{target.pk}:{day:%Y-%m-%d}", "project_id": project.pk, "target_id": target.pk,
         "platform": "steam", "day": day, "count": count, "sum": total,
         "labels": {"positive": count, "neutral": 0, "negative": 0}}
    )  # fmt: skip


@pytest.mark.django_db
def test_the_weekly_digest_sums_the_week_and_is_sent_once(mailoutbox):
    user = make_user()
    project = make_project(user, name="Review radar")
    close_job(project, JobStatus.COMPLETED, results=30, created_at=NOW - timedelta(days=2))
    close_job(project, JobStatus.FAILED, error="x", created_at=NOW - timedelta(days=3))
    close_job(project, JobStatus.COMPLETED, results=99, created_at=NOW - timedelta(days=20))  # not this week
    target = project.targets.first()
    this_week = [(NOW - timedelta(days=d), c, s) for d, c, s in ((1, 10, 5.0), (4, 30, -3.0))]
    week_before = [(NOW - timedelta(days=9), 20, 10.0)]
    for day, count, total in this_week + week_before:
        _daily(project, target, day.replace(hour=0), count, total)
    make_project(make_user(), name="Someone else's")

    figures = emails.digest(user, NOW)

    [row] = figures["projects"]
    assert (row["name"], row["jobs"], row["failed_jobs"], row["new_results"]) == ("Review radar", 2, 1, 30)
    assert row["week_count"] == sum(c for _, c, _ in this_week)
    assert row["week_average"] == round(sum(s for *_, s in this_week) / row["week_count"], 3)
    assert row["previous_average"] == round(week_before[0][2] / week_before[0][1], 3)
    week = emails.week_key(NOW)
    assert emails.send_weekly_digest(user.pk, week, now=NOW) is True
    assert emails.send_weekly_digest(user.pk, week, now=NOW) is False  # a repeated task
    [mail] = mailoutbox
    assert "Review radar" in mail.body and "Someone else" not in mail.body
    assert "2 scrapes, 30 new results" in mail.body and week in mail.subject


@pytest.mark.django_db
def test_the_beat_task_mails_only_users_who_want_the_digest(eager, mailoutbox):
    wants = make_user()
    make_project(wants)
    off = make_user()
    off.settings.weekly_digest = False
    off.save()
    make_project(off)
    unverified = make_user()
    collection("users").update_one({"_id": unverified.pk}, {"$set": {"email_verified": False}})
    make_project(unverified)
    make_user()  # no project: nothing to report

    weekly_digest.delay()

    assert [mail.to for mail in mailoutbox] == [[wants.email]]
