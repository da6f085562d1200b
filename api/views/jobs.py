"""Scrape jobs: start, list, read and cancel."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import serializers as s
from api.exceptions import Conflict
from api.models import Scope
from api.pagination import KeysetPagination
from api.views.base import ApiView, choice_param, refused
from projects.models import Target
from projects.pages import own_project
from scraping import jobs
from scraping.models import JobOptions, JobStatus, JobTrigger, ScrapeJob
from sentimatrix.ownership import owned_or_404
from sentimatrix.refusals import Refused
from sentimatrix.validators import validation_errors

JOB_STATUS_PARAM = OpenApiParameter("status", str, enum=JobStatus.values, description="Only this status.")


class ProjectJobsView(ApiView):
    """A project's scrape jobs, newest first; start one."""

    pagination_class = KeysetPagination
    scopes = {"GET": Scope.READ, "POST": Scope.JOBS}

    @extend_schema(parameters=[JOB_STATUS_PARAM], responses=s.JobSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        found = ScrapeJob.objects.filter(project_id=project.pk)
        wanted = choice_param(request, "status", JobStatus.values)
        if wanted:
            found = found.filter(status=wanted)
        return self.paged(found, s.JobSerializer)

    @extend_schema(request=s.JobStartSerializer, responses={201: s.JobSerializer})
    def post(self, request, project_id):
        """Start collecting the project's active targets (or the ones named); trigger ``api``."""
        project = own_project(request, project_id)
        given = s.JobStartSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        target_ids = list(dict.fromkeys(data["target_ids"])) if "target_ids" in data else None
        if target_ids is not None:
            known = {
                str(pk) for pk in Target.objects.filter(project_id=project.pk).values_list("pk", flat=True)
            }
            unknown = [t for t in target_ids if t not in known]
            if unknown or not target_ids:
                raise ValidationError({"target_ids": ["Name targets of this project."]})
        options = JobOptions(**data.get("options", {}))
        errors = validation_errors(options)
        if errors:
            raise ValidationError({f"options.{path}": messages for path, messages in errors.items()})
        try:
            job = jobs.start_job(
                project,
                trigger=JobTrigger.API,
                triggered_by=request.user,
                target_ids=target_ids,
                options=options,
            )
        except Refused as exc:
            raise refused(exc) from exc
        return Response(s.JobSerializer(job).data, status=status.HTTP_201_CREATED)


def own_job(request, job_id) -> ScrapeJob:
    return owned_or_404(ScrapeJob, request.user, job_id)


class JobDetailView(ApiView):
    """One scrape job."""

    @extend_schema(responses=s.JobSerializer)
    def get(self, request, job_id):
        """A job with its progress and each target's status."""
        return Response(s.JobSerializer(own_job(request, job_id)).data)


class JobCancelView(ApiView):
    """Cancel a running job."""

    scopes = {"POST": Scope.JOBS}

    @extend_schema(request=None, responses=s.JobSerializer)
    def post(self, request, job_id):
        """Queued targets stop now, running ones after their current page; what was collected is kept."""
        job = own_job(request, job_id)
        if job.is_finished:
            raise Conflict(f"This job had already ended ({job.get_status_display().lower()}).")
        jobs.cancel_job(job)
        return Response(s.JobSerializer(ScrapeJob.objects.get(pk=job.pk)).data)
