"""Release markers of a project: list, add, read, change, delete (the dashboard's)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis import markers
from analysis.models import ReleaseMarker
from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import ApiView
from projects.pages import own_project


def own_marker(request, project_id, marker_id) -> ReleaseMarker:
    """A marker of the caller's project, else 404."""
    project = own_project(request, project_id)
    try:
        return markers.marker_for(project, marker_id)
    except markers.MarkerNotFound as exc:
        raise Http404("No such marker.") from exc


def _form_data(given: dict) -> dict:
    """The service form's fields from the API's (a null time is the whole day)."""
    return {k: ("" if v is None else v) for k, v in given.items()}


class MarkerListView(ApiView):
    """A project's release markers; add one."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.MarkerSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        return self.paged(ReleaseMarker.objects.filter(project_id=project.pk), s.MarkerSerializer)

    @extend_schema(request=s.MarkerInputSerializer, responses={201: s.MarkerSerializer})
    def post(self, request, project_id):
        """Add a marker on a day (and optionally a UTC time) with a label and a note."""
        project = own_project(request, project_id)
        given = s.MarkerInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            marker = markers.create_marker(project, request.user, _form_data(given.validated_data))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(s.MarkerSerializer(marker).data, status=status.HTTP_201_CREATED)


class MarkerDetailView(ApiView):
    """One release marker."""

    @extend_schema(responses=s.MarkerSerializer)
    def get(self, request, project_id, marker_id):
        return Response(s.MarkerSerializer(own_marker(request, project_id, marker_id)).data)

    @extend_schema(request=s.MarkerPatchSerializer, responses=s.MarkerSerializer)
    def patch(self, request, project_id, marker_id):
        """Change the marker's day, time, label or note; what is left out is kept."""
        marker = own_marker(request, project_id, marker_id)
        given = s.MarkerPatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        current = markers.initial(marker)
        data = {
            "day": current["day"].isoformat(),
            "time": current["time"].strftime("%H:%M") if current["time"] else "",
            "label": current["label"],
            "note": current["note"],
            **_form_data(given.validated_data),
        }
        try:
            markers.update_marker(marker, data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(s.MarkerSerializer(marker).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id, marker_id):
        markers.delete_marker(own_marker(request, project_id, marker_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
