"""A project's statistics and insights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis import insights_cache
from analysis.dashboard import daily_documents
from api import serializers as s
from api.views.base import ApiView
from api.views.results import many
from projects.models import Project, Target
from projects.pages import own_project


def _target_param(request, project: Project, many: bool):
    wanted = [v for raw in request.query_params.getlist("target") for v in raw.split(",") if v.strip()]
    if not wanted:
        return None
    known = {str(pk): pk for pk in Target.objects.filter(project_id=project.pk).values_list("pk", flat=True)}
    if any(w.strip() not in known for w in wanted) or (not many and len(wanted) > 1):
        raise ValidationError(
            {"target": ["Name one target of this project." if not many else "Unknown target."]}
        )
    ids = [known[w.strip()] for w in wanted]
    return ids if many else ids[0]


class ProjectStatsView(ApiView):
    """A project's statistics."""

    @extend_schema(
        parameters=[s.StatsQuerySerializer, many("target", "Only these targets' daily aggregates.")],
        responses=s.ProjectStatsResponseSerializer,
    )  # fmt: skip
    def get(self, request, project_id):
        """The project's counters, each target's, and the daily aggregates."""
        project = own_project(request, project_id)
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = query.validated_data["days"]
        target_ids = _target_param(request, project, many=True)
        start = datetime.now(UTC).date() - timedelta(days=days - 1)
        targets = (
            Target.objects.filter(project_id=project.pk)
            .order_by("created_at")
            .only("label", "name", "url", "platform", "stats")
        )
        daily = sorted(
            daily_documents(project.pk, start, target_ids), key=lambda d: (d["day"], str(d["_id"]))
        )
        body = {"project_id": str(project.pk), "stats": project.stats, "targets": targets, "daily": daily}
        return Response(s.ProjectStatsResponseSerializer(body).data)


class ProjectInsightsView(ApiView):
    """What people say about the project."""

    @extend_schema(
        parameters=[
            OpenApiParameter("target", str, description="One target's insights instead of the project's.")
        ],
        responses=s.InsightsSerializer,
    )
    def get(self, request, project_id):
        """Pros, cons and topics over the newest analysed results (a cached sample)."""
        project = own_project(request, project_id)
        target_id = _target_param(request, project, many=False)
        found = insights_cache.get_insights(project.pk, target_id)
        body = {**found, "project_id": str(project.pk), "target_id": str(target_id) if target_id else None}
        return Response(s.InsightsSerializer(body).data)
