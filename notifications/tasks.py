"""The Celery tasks of webhooks and email notifications, all on the ``webhooks`` queue.

Each task lives with the code it runs (:mod:`notifications.delivery`, :mod:`notifications.emails`,
:mod:`notifications.reports.sending`), so a service queues one without importing a tasks module;
this module is what the workers' task discovery imports, and importing those registers every task.
"""

from notifications.delivery import deliver
from notifications.emails import email_job_failed, email_webhook_disabled, email_weekly_digest, weekly_digest
from notifications.reports.sending import queue_scheduled_reports, send_scheduled_report

__all__ = [
    "deliver",
    "email_job_failed",
    "email_webhook_disabled",
    "email_weekly_digest",
    "queue_scheduled_reports",
    "send_scheduled_report",
    "weekly_digest",
]
