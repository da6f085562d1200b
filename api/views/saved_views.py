"""Saved views of a project: list, create, read, rename or change, delete (the explorer's)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis import saved_views
from analysis.models import SavedView
from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import ApiView
from projects.pages import own_project


def own_view(request, project_id, view_id) -> SavedView:
    """A view of the caller's project, else 404."""
    project = own_project(request, project_id)
    try:
        return saved_views.view_for(project, view_id)
    except saved_views.SavedViewNotFound as exc:
        raise Http404("No such view.") from exc


def _given(data: dict):
    """What the view selects, as given: a query string or an object of parameters (None: unchanged)."""
    if "params" in data:
        return {name: value if isinstance(value, list) else [value] for name, value in data["params"].items()}
    return data.get("query")


def _refused(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict)


class SavedViewListView(ApiView):
    """A project's saved views; save one."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.SavedViewSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        return self.paged(SavedView.objects.filter(project_id=project.pk), s.SavedViewSerializer)

    @extend_schema(request=s.SavedViewInputSerializer, responses={201: s.SavedViewSerializer})
    def post(self, request, project_id):
        """Save the explorer's parameters under a name (unique in the project)."""
        project = own_project(request, project_id)
        given = s.SavedViewInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            view = saved_views.create_view(
                project, request.user, given.validated_data["name"], _given(given.validated_data) or ""
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(s.SavedViewSerializer(view).data, status=status.HTTP_201_CREATED)


class SavedViewDetailView(ApiView):
    """One saved view."""

    @extend_schema(responses=s.SavedViewSerializer)
    def get(self, request, project_id, view_id):
        return Response(s.SavedViewSerializer(own_view(request, project_id, view_id)).data)

    @extend_schema(request=s.SavedViewPatchSerializer, responses=s.SavedViewSerializer)
    def patch(self, request, project_id, view_id):
        """Rename the view and/or replace its parameters; what is left out is kept."""
        view = own_view(request, project_id, view_id)
        given = s.SavedViewPatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            saved_views.update_view(
                view, name=given.validated_data.get("name"), params=_given(given.validated_data)
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(s.SavedViewSerializer(view).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id, view_id):
        saved_views.delete_view(own_view(request, project_id, view_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
