from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"

    def ready(self):
        from scraping import scheduled_runs, signals
        from scraping.webhooks import notifications, services

        # In the order they ran before: the schedule's history, webhooks, the failure email.
        signals.job_finished.connect(scheduled_runs.on_job_finished, dispatch_uid="schedule-history")
        signals.job_finished.connect(services.on_job_finished, dispatch_uid="webhook-events")
        signals.job_finished.connect(notifications.on_job_finished, dispatch_uid="failure-email")
