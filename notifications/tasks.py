"""The Celery tasks of webhooks and email notifications, all on the ``webhooks`` queue.

Each task lives with the code it runs (:mod:`notifications.delivery`, :mod:`notifications.emails`),
so a service queues one without importing a tasks module; this module is what the workers' task
discovery imports, and importing those two registers every task.
"""

from notifications.alerts.tasks import evaluate_alerts, evaluate_closed_alerts
from notifications.delivery import deliver
from notifications.emails import email_job_failed, email_webhook_disabled, email_weekly_digest, weekly_digest

__all__ = [
    "deliver",
    "email_job_failed",
    "email_webhook_disabled",
    "email_weekly_digest",
    "evaluate_alerts",
    "evaluate_closed_alerts",
    "weekly_digest",
]
