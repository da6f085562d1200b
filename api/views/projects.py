"""Projects: list, create, read, edit, archive and delete."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import STATUS_PARAM, ApiView, choice_param, refused
from projects import presets, services
from projects.forms import CONFIG_FIELDS, ProjectConfigForm, ProjectCreateForm
from projects.models import Project, ProjectStatus
from projects.pages import own_project
from sentimatrix.refusals import Refused


def _project_response(project, code=status.HTTP_200_OK):
    return Response(s.ProjectSerializer(project).data, status=code)


class ProjectListView(ApiView):
    """Your projects, newest first; create one from a preset."""

    pagination_class = KeysetPagination

    @extend_schema(parameters=[STATUS_PARAM], responses=s.ProjectSerializer(many=True))
    def get(self, request):
        projects = Project.objects.filter(user_id=request.user.pk)
        wanted = choice_param(request, "status", ProjectStatus.values)
        if wanted:
            projects = projects.filter(status=wanted)
        return self.paged(projects, s.ProjectSerializer)

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def post(self, request):
        given = s.ProjectCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        # The pages' form knows which presets the user may start from.
        preset = data.get("preset") or request.user.settings.default_preset or presets.DEFAULT_PRESET
        form = ProjectCreateForm(
            {"name": data["name"], "description": data["description"], "start_from": preset},
            user=request.user,
        )
        if not form.is_valid():
            raise ValidationError(
                {"preset" if name == "start_from" else name: errors for name, errors in form.errors.items()}
            )
        try:
            project = services.create_project(
                request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                start_from=form.cleaned_data["start_from"],
            )
        except Refused as exc:
            raise refused(exc) from exc
        except DjangoValidationError as exc:
            raise ValidationError({"preset": exc.messages}) from exc
        return _project_response(project, status.HTTP_201_CREATED)


# Form field <- dotted path of the config (``scrapers.commercial_config.country``).
FORM_FIELD_OF_PATH = {path: name for name, path in CONFIG_FIELDS.items()}


def _flatten(values: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _config_form(request, project: Project, data: dict) -> ProjectConfigForm:
    """The project settings form of the pages, bound to the project's values with the
    request's changes: its checks (key ownership and provider, country codes...) apply."""
    blank = ProjectConfigForm(user=request.user, project=project)
    bound = {name: field.initial for name, field in blank.fields.items()}
    bound["name"] = data.get("name", project.name)
    bound["description"] = data.get("description", project.description)
    for path, value in _flatten(data.get("config") or {}).items():
        bound[FORM_FIELD_OF_PATH[path]] = "" if value is None else value
    return ProjectConfigForm(bound, user=request.user, project=project)


def _form_errors(form) -> dict:
    errors = {}
    for name, messages in form.errors.items():
        if name in CONFIG_FIELDS:
            key = f"config.{CONFIG_FIELDS[name]}"
        else:
            key = "non_field_errors" if name == "__all__" else name
        errors[key] = list(messages)
    return errors


class ProjectDetailView(ApiView):
    """One project: read it, or change its name, description and configuration."""

    @extend_schema(responses=s.ProjectSerializer)
    def get(self, request, project_id):
        return _project_response(own_project(request, project_id))

    @extend_schema(request=s.ProjectUpdateSerializer, responses=s.ProjectSerializer)
    def patch(self, request, project_id):
        project = own_project(request, project_id)
        given = s.ProjectUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        form = _config_form(request, project, given.validated_data)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        try:
            services.update_project(
                project,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                config=form.config(),
            )
        except Refused as exc:
            raise refused(exc) from exc
        return _project_response(Project.objects.get(pk=project.pk))


class ProjectArchiveView(ApiView):
    """Archive a project: its data stays readable, nothing changes it any more."""

    @extend_schema(request=None, responses=s.ProjectSerializer)
    def post(self, request, project_id):
        project = own_project(request, project_id)
        try:
            services.archive_project(project, request=request, user=request.user)
        except Refused as exc:
            raise refused(exc) from exc
        return _project_response(Project.objects.get(pk=project.pk))
