from django.apps import AppConfig

from analysis.signals import batch_analysed
from scraping.signals import job_finished
from sentimatrix import crypto


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Webhooks and email notifications"

    def ready(self):
        # These modules import the models, which load only once the app registry is ready.
        from notifications import emails, services, vault  # noqa: PLC0415 - app registry
        from notifications.alerts import tasks as alert_tasks  # noqa: PLC0415 - app registry

        # After the schedule's history (scraping's receiver): webhooks, then the failure email.
        job_finished.connect(services.on_job_finished, dispatch_uid="webhook-events")
        job_finished.connect(emails.on_job_finished, dispatch_uid="failure-email")
        batch_analysed.connect(alert_tasks.on_batch_analysed, dispatch_uid="alert-evaluation")
        crypto.register_rotation(
            "Webhook secrets", vault.rotate_webhook_secrets, "already current or unsigned"
        )
