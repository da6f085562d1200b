"""Job pages: a project's jobs, one job with live progress, starting and cancelling jobs.

While a job runs, and after it while its new results are being analysed, its progress
partial asks for itself again every 2 seconds (htmx); then the partial comes back without
the trigger, so polling stops.
Without JavaScript the page reloads itself (a ``noscript`` refresh) while the job runs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from projects import pages
from projects.forms import SelectorPreviewForm
from projects.models import Project
from scraping import jobs
from scraping.models import ScrapeJob
from scraping.presenters import job_summary
from scraping.selector_preview import preview_selectors
from sentimatrix.ownership import owned_or_404
from sentimatrix.refusals import Refused

JOBS_PER_PAGE = 25
POLL_SECONDS = 2


def _own_job(request, job_id) -> ScrapeJob:
    return owned_or_404(ScrapeJob, request.user, job_id)


@login_required
def job_list(request, project_id):
    project = pages.own_project(request, project_id)
    page = Paginator(
        ScrapeJob.objects.filter(project=project).order_by("-created_at"), JOBS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "scraping/list.html",
        {"project": project, "page": page, "summaries": [job_summary(job, project=project) for job in page]},
    )


def _progress_context(job: ScrapeJob) -> dict:
    project = Project.objects.get(pk=job.project_id)
    return {
        "project": project,
        "summary": job_summary(job, project=project, with_targets=True),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def job_detail(request, job_id):
    job = _own_job(request, job_id)
    return render(request, "scraping/detail.html", _progress_context(job))


@login_required
def job_progress(request, job_id):
    """The live part of a job page (``?compact=1``: the box on the project page)."""
    job = _own_job(request, job_id)
    if request.GET.get("compact"):
        return render(
            request,
            "scraping/partials/job_summary.html",
            {"summary": job_summary(job, with_analysis=True), "poll_seconds": POLL_SECONDS},
        )
    return render(request, "scraping/partials/job_progress.html", _progress_context(job))


@login_required
@require_POST
def job_cancel(request, job_id):
    job = _own_job(request, job_id)
    if job.is_finished:
        messages.info(request, f"This job had already ended ({job.get_status_display().lower()}).")
    else:
        jobs.cancel_job(job)
        messages.success(
            request, "Cancelling: running targets stop after their current page; what was collected is kept."
        )
    if request.htmx:
        return render(
            request,
            "scraping/partials/job_progress.html",
            _progress_context(ScrapeJob.objects.get(pk=job.pk)),
        )
    return redirect("jobs:detail", job_id=job.pk)


@login_required
@require_POST
def job_retry(request, job_id):
    """Start a new job for the targets that failed in this one (its "Retry failed targets")."""
    job = _own_job(request, job_id)
    try:
        retried = jobs.retry_failed(job, user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", job_id=job.pk)
    messages.success(request, f"Retrying {len(retried.targets)} failed target(s) now.")
    return redirect("jobs:detail", job_id=retried.pk)


@login_required
@require_POST
def project_run(request, project_id):
    """Collect the project's active targets now (the project page's "Run now")."""
    project = pages.own_project(request, project_id)
    try:
        job = jobs.run_project(project, user=request.user)
    except Refused as exc:
        return pages.refused(request, exc, project)
    messages.success(request, f"Collecting {len(job.targets)} target(s) now.")
    return redirect("jobs:detail", job_id=job.pk)


@login_required
@require_POST
def target_run(request, project_id, target_id):
    """Collect one target now (its "Scrape" button)."""
    project, target = pages.own_target(request, project_id, target_id)
    try:
        job = jobs.run_project(project, user=request.user, target=target)
    except Refused as exc:
        return pages.refused(request, exc, project)
    messages.success(request, f"Collecting “{target.display_label}” now.")
    return redirect("jobs:detail", job_id=job.pk)


@login_required
@require_POST
def selector_preview(request, project_id):
    """ "Test these selectors" of the add and edit forms: the first items the page's selectors
    find, as a fragment under the button (htmx) or a page of its own."""
    project = pages.own_project(request, project_id)
    form = SelectorPreviewForm(request.POST, prefix="web")
    preview = preview_selectors(form.cleaned_data["url"], form.selectors()) if form.is_valid() else None
    template = (
        "scraping/partials/selector_preview.html"
        if request.headers.get("HX-Request")
        else ("scraping/selector_preview.html")
    )
    return render(request, template, {"project": project, "form": form, "preview": preview})
