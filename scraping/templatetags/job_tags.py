"""The jobs of a project, for the project page (a projects template; jobs are scraping's)."""

from django import template

from scraping.jobs import active_job
from scraping.models import FINISHED_STATUSES, ScrapeJob
from scraping.presenters import JobSummary, LastFailure, job_summary, last_failure
from scraping.remedies import Remedy, remedy_for

register = template.Library()


@register.simple_tag
def running_job(project) -> JobSummary | None:
    """The summary of the project's running job, None when none runs."""
    running = active_job(project.pk)
    return job_summary(running) if running else None


@register.simple_tag
def last_finished_job(project) -> JobSummary | None:
    """The summary of the project's last finished job, None before the first one ends."""
    last = (
        ScrapeJob.objects.filter(project=project, status__in=list(FINISHED_STATUSES))
        .order_by("-created_at")
        .first()
    )
    return job_summary(last) if last else None


@register.simple_tag
def target_remedy(target) -> Remedy | None:
    """What to do about the target's last error (None without one). Its row has its own
    "Scrape" button, so the remedy offers no run."""
    return remedy_for(target.error_message, project_id=target.project_id, target_id=target.pk, retry=False)


@register.simple_tag
def last_job_failure(project) -> LastFailure | None:
    """Why the project's last job failed (wholly or for some targets), None when it did not."""
    return last_failure(project)
