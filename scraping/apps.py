from django.apps import AppConfig

from projects.signals import project_archived, project_deleting
from scraping.signals import job_finished


class ScrapingConfig(AppConfig):
    name = "scraping"

    def ready(self):
        # These modules import the models, which load only once the app registry is ready.
        from scraping import jobs, scheduled_runs  # noqa: PLC0415 - app registry

        # The first receiver of job_finished (notifications', installed after scraping, follow).
        job_finished.connect(scheduled_runs.on_job_finished, dispatch_uid="schedule-history")
        project_archived.connect(jobs.cancel_running, dispatch_uid="cancel-on-archive")
        project_deleting.connect(jobs.cancel_running, dispatch_uid="cancel-on-delete")
