"""Celery tasks of projects: scheduled runs and the weekly digest. They take ids, load,
call a service, and are safe to run twice."""

from celery import shared_task

from projects import schedules


@shared_task(name="projects.run_schedule")
def run_schedule(schedule_id: str) -> str:
    """Fired by beat (periodic task ``schedule:<id>``): start the project's scheduled job."""
    return schedules.run(schedule_id)


@shared_task(name="projects.weekly_digest")
def weekly_digest() -> int:
    """Fired by beat on Mondays 08:00 UTC: queue one digest email per subscribed user."""
    from scraping.webhooks import notifications

    return notifications.queue_weekly_digests()
