"""Celery tasks of projects: the weekly digest. They take ids, load, call a service, and are
safe to run twice."""

from celery import shared_task


@shared_task(name="projects.weekly_digest")
def weekly_digest() -> int:
    """Fired by beat on Mondays 08:00 UTC: queue one digest email per subscribed user."""
    from scraping.webhooks import notifications

    return notifications.queue_weekly_digests()
