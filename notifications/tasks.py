"""The Celery tasks of webhooks, email notifications, alert deliveries and scheduled reports, all
on the ``webhooks`` queue.

Each task lives with the code it runs (:mod:`notifications.delivery`, :mod:`notifications.emails`,
:mod:`notifications.alerts.delivery`, :mod:`notifications.alerts.digest`,
:mod:`notifications.alerts.stalled`, :mod:`notifications.reports.sending`,
:mod:`notifications.webhook_sweep`), so a service queues one without importing a tasks module;
this module is what the workers' task discovery imports, and importing those registers every task.
"""

from notifications.alerts.delivery import deliver_alert, deliver_alert_channel
from notifications.alerts.digest import alert_digest_user, alert_digests
from notifications.alerts.stalled import sweep_stalled_alert_deliveries
from notifications.alerts.tasks import evaluate_alerts, evaluate_closed_alerts
from notifications.delivery import deliver
from notifications.emails import email_job_failed, email_webhook_disabled, email_weekly_digest, weekly_digest
from notifications.reports.sending import queue_scheduled_reports, send_scheduled_report
from notifications.webhook_sweep import sweep_stalled_deliveries

__all__ = [
    "alert_digest_user",
    "alert_digests",
    "deliver",
    "deliver_alert",
    "deliver_alert_channel",
    "email_job_failed",
    "email_webhook_disabled",
    "email_weekly_digest",
    "evaluate_alerts",
    "evaluate_closed_alerts",
    "queue_scheduled_reports",
    "send_scheduled_report",
    "sweep_stalled_alert_deliveries",
    "sweep_stalled_deliveries",
    "weekly_digest",
]
