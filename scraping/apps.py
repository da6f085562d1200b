from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"

    def ready(self):
        # Receivers need the models, which load only once the app registry is ready.
        from projects import signals as project_signals  # noqa: PLC0415 - app registry
        from scraping import jobs, scheduled_runs, signals  # noqa: PLC0415 - app registry

        # The first receiver of job_finished (notifications', installed after scraping, follow).
        signals.job_finished.connect(scheduled_runs.on_job_finished, dispatch_uid="schedule-history")
        project_signals.project_archived.connect(jobs.cancel_running, dispatch_uid="cancel-on-archive")
        project_signals.project_deleting.connect(jobs.cancel_running, dispatch_uid="cancel-on-delete")
