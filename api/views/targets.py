"""Targets of a project: list, add (one or in bulk), read, edit (rename, options) and delete."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis import removal
from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import ApiView, refused
from projects import services
from projects.models import Target
from projects.pages import own_project, own_target
from projects.services import monitors
from sentimatrix.refusals import Refused


class TargetListView(ApiView):
    """A project's targets; add one from a URL, recognised as on the pages."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.TargetSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        return self.paged(Target.objects.filter(project_id=project.pk), s.TargetSerializer)

    @extend_schema(request=s.TargetCreateSerializer, responses={201: s.TargetSerializer})
    def post(self, request, project_id):
        project = own_project(request, project_id)
        given = s.TargetCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            if data["type"] == "keyword":
                target = monitors.add_monitor(project, _monitor_spec(data), label=data["label"])
                return Response(s.TargetSerializer(target).data, status=status.HTTP_201_CREATED)
            target = services.add_url_target(
                project,
                data["url"],
                kind=data.get("kind"),
                label=data["label"],
                options=data.get("options"),
                selectors=data.get("selectors") if data.get("kind") == "web" else None,
            )
        except Refused as exc:
            raise refused(exc) from exc
        return Response(s.TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class TargetBulkView(ApiView):
    """Add many targets at once."""

    @extend_schema(request=s.TargetBulkSerializer, responses=s.BulkOutcomeSerializer)
    def post(self, request, project_id):
        """Add many targets at once; each line is added or refused on its own, with the reason."""
        project = own_project(request, project_id)
        given = s.TargetBulkSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        text = "\n".join([*(u for u in data.get("urls", []) if u.strip()), data.get("text", "")]).strip()
        csv_text = data.get("csv", "")
        try:
            services.ensure_writable(project)
        except Refused as exc:
            raise refused(exc) from exc
        try:
            outcome = services.bulk_add(
                project, text=text, csv_bytes=csv_text.encode("utf-8") if csv_text.strip() else None
            )
        except Refused as exc:  # the input as a whole cannot be read
            raise ValidationError({"non_field_errors": [exc.message]}) from exc
        return Response(s.BulkOutcomeSerializer(outcome).data)


class TargetDetailView(ApiView):
    """One target of a project."""

    @extend_schema(responses=s.TargetSerializer)
    def get(self, request, project_id, target_id):
        _, target = own_target(request, project_id, target_id)
        return Response(s.TargetSerializer(target).data)

    @extend_schema(request=s.TargetEditSerializer, responses=s.TargetSerializer)
    def patch(self, request, project_id, target_id):
        """Rename the target or change its options, selectors or limit; what is left out stays."""
        _, target = own_target(request, project_id, target_id)
        given = s.TargetEditSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        current = target.options
        try:
            if monitors.is_monitor(target):
                spec = _monitor_spec(data, target)
                label = data.get("label", target.label if target.renamed else "")
                return Response(s.TargetSerializer(monitors.edit_monitor(target, spec, label=label)).data)
            target = services.edit_target(
                target,
                label=data.get("label", target.label if target.renamed else ""),
                options={
                    "country": current.country,
                    "language": current.language,
                    "sort_by": current.sort_by,
                    **data.get("options", {}),
                },
                selectors=data.get("selectors"),
                max_results=data.get("max_results", current.max_results),
            )
        except Refused as exc:
            raise refused(exc) from exc
        return Response(s.TargetSerializer(target).data)

    @extend_schema(responses=s.TargetRemovedSerializer)
    def delete(self, request, project_id, target_id):
        """Remove the target with its results (statistics follow)."""
        _, target = own_target(request, project_id, target_id)
        try:
            removed = removal.remove_target(target)
        except Refused as exc:
            raise refused(exc) from exc
        return Response({"id": str(target.pk), "removed_results": removed})


def _monitor_spec(data: dict, target: Target | None = None) -> monitors.MonitorSpec:
    """A monitor's settings from the request, what it leaves out taken from ``target``."""
    current = target.platform_data if target else None
    return monitors.monitor_spec(
        data.get("query", current.query if current else ""),
        data.get("platforms", current.search_platforms if current else ()),
        language=data.get("language", target.options.language if target else ""),
        instances=data.get("instances", current.instances if current else ()),
        max_results=data.get("max_results", target.options.max_results if target else None),
    )
