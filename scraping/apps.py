from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"

    def ready(self):
        # Receivers connect once the app registry is ready (models load with them).
        from scraping import scheduled_runs, signals

        # First of the receivers (notifications' come after, as scraping is installed before).
        signals.job_finished.connect(scheduled_runs.on_job_finished, dispatch_uid="schedule-history")
