"""Email notifications through Django's email backend: a job failed (wholly, or for some of
its targets), a webhook was disabled, and the weekly digest.

The first two go to users whose ``settings.email_notifications`` is on, the digest to
those whose ``settings.weekly_digest`` is on (beat sends it on Mondays, 08:00 UTC).
Only active accounts with a verified address get mail. Producers call the ``queue_*``
helpers or :func:`webhook_disabled` (a closed job reaches :func:`on_job_finished`); the mail
itself is sent by the tasks defined here, on the ``webhooks`` queue, so a slow mail server never
holds up a scrape worker.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import audit
from accounts.models import Status, User
from notifications import payloads
from notifications.models import Webhook
from scraping.models import JobStatus
from scraping.remedies import remedy_for
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)
DIGEST_DAYS = 7


def mailable(user_id: ObjectId | str) -> User | None:
    """The user if their account may get mail at all: active, with a verified address."""
    user = User.objects.filter(pk=ObjectId(str(user_id))).first()
    if user is None or user.status != Status.ACTIVE or not user.email_verified:
        return None
    return user


def _recipient(user_id: ObjectId | str, setting: str) -> User | None:
    user = mailable(user_id)
    return user if user is not None and getattr(user.settings, setting) else None


def _send(user: User, subject: str, template: str, context: dict) -> None:
    context = {"user": user, "settings_url": absolute("accounts:settings", "/settings/"), **context}
    body = render_to_string(template, context)
    send_mail(f"[Sentimatrix Studio] {subject}", body, None, [user.email])


def absolute(name: str, fallback: str, **kwargs: object) -> str:
    return payloads.absolute_url(name, fallback, **kwargs)


# --- job failed ---------------------------------------------------------------------------


def queue_job_failed(job: dict) -> bool:
    """Queue the "job failed" mail if the owner wants it (a cheap check, then a task)."""
    owner = collection("users").find_one(
        {"_id": job["user_id"]}, {"settings.email_notifications": 1, "status": 1}
    )
    if not owner or not (owner.get("settings") or {}).get("email_notifications", True):
        return False
    email_job_failed.delay(str(job["_id"]))
    return True


def partly_failed(job: dict) -> bool:
    """A job that completed although some of its targets failed."""
    return (
        job.get("status") == JobStatus.COMPLETED
        and int((job.get("stats") or {}).get("errors_count") or 0) > 0
    )


def on_job_finished(sender: object, job: dict, **kwargs: object) -> None:
    """Receiver of ``scraping.signals.job_finished``: the failure email of a job that failed,
    or that completed with some targets failed (a partial failure is a failure to act on)."""
    if job.get("status") == JobStatus.FAILED or partly_failed(job):
        queue_job_failed(job)


def _remedy_lines(error: str, job: dict, target_id: ObjectId) -> list[str]:
    """The remedy of a failed target, for a plain-text mail: its advice, then its pages as full
    links (a retry is a button on the job page, so the mail links there)."""
    remedy = remedy_for(error, project_id=job["project_id"], target_id=target_id, retry=False)
    if remedy is None:
        return []
    lines = [remedy.advice]
    lines += [f"{action.label}: {settings.SITE_URL}{action.url}" for action in remedy.links]
    return lines


def send_job_failed(job_id: ObjectId | str) -> bool:
    job = collection("scrape_jobs").find_one({"_id": ObjectId(str(job_id))})
    if job is None:
        return False
    user = _recipient(job["user_id"], "email_notifications")
    project = collection("projects").find_one({"_id": job["project_id"]}, {"name": 1})
    if user is None or project is None:
        return False
    failed_targets = [t for t in job.get("targets") or [] if t.get("status") == "failed"]
    labels = {
        t["_id"]: t.get("label") or t.get("url", "")
        for t in collection("targets").find(
            {"_id": {"$in": [t["target_id"] for t in failed_targets]}}, {"label": 1, "url": 1}
        )
    }
    partial = job.get("status") != JobStatus.FAILED
    name = project.get("name", "")
    subject = (
        f"{len(failed_targets)} of {len(job.get('targets') or [])} targets of “{name}” failed"
        if partial
        else f"A scrape of “{name}” failed"
    )
    _send(
        user,
        subject,
        "notifications/email/job_failed.txt",
        {
            "project_name": name,
            "job": job,
            "partial": partial,
            "failed_count": len(failed_targets),
            "targets_count": len(job.get("targets") or []),
            "trigger": job.get("trigger", "manual"),
            "failures": [
                {
                    "label": labels.get(t["target_id"], str(t["target_id"])),
                    "error": t.get("error", ""),
                    "remedy": _remedy_lines(t.get("error", ""), job, t["target_id"]),
                }
                for t in failed_targets
            ],
            "message": job.get("error_message") or "",
            "job_url": payloads.job_url(job["_id"]),
            "project_url": payloads.project_url(job["project_id"]),
        },
    )
    return True


# --- webhook disabled ---------------------------------------------------------------------


def webhook_disabled(webhook: Webhook, reason: str) -> None:
    """Record that ``webhook`` was disabled automatically and tell its owner."""
    user = User.objects.filter(pk=webhook.user_id).first()
    audit.record("webhook.disabled", user=user, webhook=str(webhook.pk), url=webhook.url, reason=reason)
    if user is not None and user.settings.email_notifications:
        email_webhook_disabled.delay(str(webhook.pk))


def send_webhook_disabled(webhook_id: ObjectId | str) -> bool:
    webhook = Webhook.objects.filter(pk=ObjectId(str(webhook_id))).first()
    if webhook is None or webhook.enabled:
        return False
    user = _recipient(webhook.user_id, "email_notifications")
    if user is None:
        return False
    _send(
        user,
        f"Webhook “{webhook}” was disabled",
        "notifications/email/webhook_disabled.txt",
        {
            "webhook": webhook,
            "reason": webhook.disabled_reason,
            "webhooks_url": absolute("webhooks:list", "/webhooks/"),
            "deliveries_url": absolute(
                "webhooks:deliveries", f"/webhooks/{webhook.pk}/deliveries/", webhook_id=webhook.pk
            ),
        },
    )
    return True


# --- weekly digest ------------------------------------------------------------------------


def week_key(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def digest_recipients() -> list[ObjectId]:
    """Ids of active, verified users who want the weekly digest."""
    return [
        doc["_id"]
        for doc in collection("users").find(
            {"status": Status.ACTIVE, "email_verified": True, "settings.weekly_digest": {"$ne": False}},
            {"_id": 1},
        )
    ]


def queue_weekly_digests(now: datetime | None = None) -> int:
    """Queue one digest task per recipient; returns how many."""
    week = week_key(now or timezone.now())
    recipients = digest_recipients()
    for user_id in recipients:
        email_weekly_digest.delay(str(user_id), week)
    return len(recipients)


def _average(total: float, count: int) -> float | None:
    return round(total / count, 3) if count else None


def digest(user: User, now: datetime | None = None) -> dict | None:
    """The figures of the user's week (None when the user has no project to report on)."""
    now = now or timezone.now()
    since = now - timedelta(days=DIGEST_DAYS)
    # Daily aggregates are whole UTC days: the week starts at the midnight before ``since``.
    first_day = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    before = first_day - timedelta(days=DIGEST_DAYS)
    projects = list(
        collection("projects")
        .find({"user_id": user.pk, "status": {"$ne": "archived"}}, {"name": 1, "status": 1, "stats": 1})
        .sort("name", 1)
    )
    if not projects:
        return None
    ids = [p["_id"] for p in projects]
    jobs: dict = {pid: Counter() for pid in ids}
    for job in collection("scrape_jobs").find(
        {"user_id": user.pk, "project_id": {"$in": ids}, "created_at": {"$gte": since}},
        {"project_id": 1, "status": 1, "stats.results_total": 1},
    ):
        counter = jobs[job["project_id"]]
        counter["jobs"] += 1
        counter["failed"] += job.get("status") == "failed"
        counter["new_results"] += int((job.get("stats") or {}).get("results_total") or 0)
    week: dict = {pid: Counter() for pid in ids}
    previous: dict = {pid: Counter() for pid in ids}
    for day in collection("daily_stats").find(
        {"project_id": {"$in": ids}, "day": {"$gte": before}},
        {"project_id": 1, "day": 1, "count": 1, "sum": 1},
    ):
        bucket = week if day["day"] >= first_day else previous
        bucket[day["project_id"]]["count"] += int(day.get("count") or 0)
        bucket[day["project_id"]]["sum"] += float(day.get("sum") or 0.0)
    rows = []
    for project in projects:
        pid, stats = project["_id"], project.get("stats") or {}
        this_week, last_week = week[pid], previous[pid]
        rows.append(
            {
                "name": project.get("name", ""),
                "status": project.get("status", ""),
                "url": payloads.project_url(pid),
                "jobs": jobs[pid]["jobs"],
                "failed_jobs": jobs[pid]["failed"],
                "new_results": jobs[pid]["new_results"],
                "total_results": int(stats.get("total_results") or 0),
                "week_count": this_week["count"],
                "week_average": _average(this_week["sum"], this_week["count"]),
                "previous_average": _average(last_week["sum"], last_week["count"]),
                "average": stats.get("avg_sentiment"),
            }
        )
    return {
        "since": since,
        "until": now,
        "projects": rows,
        "jobs": sum(r["jobs"] for r in rows),
        "new_results": sum(r["new_results"] for r in rows),
    }


def send_weekly_digest(user_id: ObjectId | str, week: str, now: datetime | None = None) -> bool:
    """Send the user's digest for ``week`` once (a repeated task does not send it again)."""
    user = _recipient(user_id, "weekly_digest")
    if user is None:
        return False
    figures = digest(user, now)
    if figures is None:
        return False
    key = f"weekly-digest:{user.pk}:{week}"
    if not cache.add(key, True, timeout=8 * 24 * 3600):
        return False
    try:
        _send(
            user,
            f"Your week in Sentimatrix Studio ({week})",
            "notifications/email/weekly_digest.txt",
            {**figures, "week": week, "projects_url": absolute("projects:list", "/projects/")},
        )
    except Exception:
        cache.delete(key)  # let a retry send it
        raise
    return True


# --- tasks (``webhooks`` queue) -------------------------------------------------------------


@shared_task(name="webhooks.email_job_failed")
def email_job_failed(job_id: str) -> bool:
    return send_job_failed(job_id)


@shared_task(name="webhooks.email_webhook_disabled")
def email_webhook_disabled(webhook_id: str) -> bool:
    return send_webhook_disabled(webhook_id)


@shared_task(name="webhooks.email_weekly_digest")
def email_weekly_digest(user_id: str, week: str) -> bool:
    return send_weekly_digest(user_id, week)


# Named when the digest belonged to projects: beat's schedule sends it by that name.
@shared_task(name="projects.weekly_digest")
def weekly_digest() -> int:
    """Fired by beat on Mondays 08:00 UTC: queue one digest email per subscribed user."""
    return queue_weekly_digests()
