"""Scheduled reports of a project: list, create, read, change, delete."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import ApiView
from notifications.models import ReportSchedule
from notifications.reports import services
from projects.pages import own_project


def own_report(request, project_id, report_id) -> ReportSchedule:
    """A report schedule of the caller's project, else 404."""
    project = own_project(request, project_id)
    return get_object_or_404(ReportSchedule, pk=report_id, project_id=project.pk, user_id=request.user.pk)


class ReportListView(ApiView):
    """A project's scheduled reports; add one."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.ReportScheduleSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        return self.paged(ReportSchedule.objects.filter(project_id=project.pk), s.ReportScheduleSerializer)

    @extend_schema(request=s.ReportScheduleInputSerializer, responses={201: s.ReportScheduleSerializer})
    def post(self, request, project_id):
        """Mail the project's last full week or month to ``recipients`` (no account needed)."""
        project = own_project(request, project_id)
        given = s.ReportScheduleInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            report = services.create_schedule(request.user, project, **given.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(s.ReportScheduleSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportDetailView(ApiView):
    """One scheduled report."""

    @extend_schema(responses=s.ReportScheduleSerializer)
    def get(self, request, project_id, report_id):
        return Response(s.ReportScheduleSerializer(own_report(request, project_id, report_id)).data)

    @extend_schema(request=s.ReportSchedulePatchSerializer, responses=s.ReportScheduleSerializer)
    def patch(self, request, project_id, report_id):
        """Change the given fields; what is left out is kept."""
        report = own_report(request, project_id, report_id)
        given = s.ReportSchedulePatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            services.update_schedule(report, **given.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(s.ReportScheduleSerializer(report).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id, report_id):
        services.delete_schedule(own_report(request, project_id, report_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
