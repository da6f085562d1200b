"""Celery tasks of webhooks and email notifications, on the ``webhooks`` queue (every
name starts with ``webhooks.``). They take ids, load, call a service, and are safe to
run twice."""

from bson import ObjectId
from celery import shared_task

from scraping.webhooks import delivery, notifications


@shared_task(name="webhooks.deliver", acks_late=True)
def deliver(delivery_id: str, attempt: int = 1, retries: bool = True) -> str:
    """Send one attempt; a failed one with attempts left queues the next after a backoff."""
    outcome = delivery.attempt(ObjectId(delivery_id), attempt, retries=retries)
    if outcome.next_delivery_id is not None:
        deliver.apply_async((str(outcome.next_delivery_id), attempt + 1, True), countdown=outcome.delay)
    return outcome.status


@shared_task(name="webhooks.email_job_failed")
def email_job_failed(job_id: str) -> bool:
    return notifications.send_job_failed(job_id)


@shared_task(name="webhooks.email_webhook_disabled")
def email_webhook_disabled(webhook_id: str) -> bool:
    return notifications.send_webhook_disabled(webhook_id)


@shared_task(name="webhooks.email_weekly_digest")
def email_weekly_digest(user_id: str, week: str) -> bool:
    return notifications.send_weekly_digest(user_id, week)
