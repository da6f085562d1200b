"""Alert rules of a project (list, create, read, change, delete, mute, unmute) and the caller's
alerts (list, read, acknowledge). Rules are validated by the pages' form, so the API refuses
what the pages refuse, with the same messages."""

from __future__ import annotations

from bson import ObjectId
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import ApiView, choice_param
from notifications.alerts import inbox, rules
from notifications.alerts.forms import AlertRuleForm, initial_of
from notifications.models import Alert, AlertRule
from projects.models import Project
from projects.pages import own_project

PROJECT_PARAM = OpenApiParameter("project", str, description="Only this project's alerts (its id).")
UNREAD_PARAM = OpenApiParameter(
    "unread", str, enum=["true", "false"], description="true: only unread alerts."
)


def own_rule(request, project_id, rule_id) -> tuple[Project, AlertRule]:
    """A rule of the caller's project, else 404."""
    project = own_project(request, project_id)
    try:
        return project, rules.rule_for(project, rule_id)
    except AlertRule.DoesNotExist as exc:
        raise Http404("No such alert rule.") from exc


def own_alert(request, alert_id) -> Alert:
    try:
        return inbox.alert_of(request.user, alert_id)
    except Alert.DoesNotExist as exc:
        raise Http404("No such alert.") from exc


def _validated(project: Project, values: dict, rule: AlertRule | None = None) -> dict:
    """``values`` through the rule form: the rule's fields, or a 400 naming each field."""
    data = {**values, "chat_webhook_urls": "\n".join(values.get("chat_webhook_urls", []))}
    form = AlertRuleForm(data, project=project, rule=rule)
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form.rule_fields()


def _refused(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict)


class AlertRuleListView(ApiView):
    """A project's alert rules; add one."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.AlertRuleSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        return self.paged(AlertRule.objects.filter(project_id=project.pk), s.AlertRuleSerializer)

    @extend_schema(request=s.AlertRuleInputSerializer, responses={201: s.AlertRuleSerializer})
    def post(self, request, project_id):
        """Add a rule; fields left out take their defaults (daily, 10 results, strict, 24 h)."""
        project = own_project(request, project_id)
        given = s.AlertRuleInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = _validated(project, given.validated_data)
        try:
            rule = rules.create_rule(project, request.user, fields, request=request)
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(s.AlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class AlertRuleDetailView(ApiView):
    """One alert rule."""

    @extend_schema(responses=s.AlertRuleSerializer)
    def get(self, request, project_id, rule_id):
        return Response(s.AlertRuleSerializer(own_rule(request, project_id, rule_id)[1]).data)

    @extend_schema(request=s.AlertRulePatchSerializer, responses=s.AlertRuleSerializer)
    def patch(self, request, project_id, rule_id):
        """Change a rule; fields left out keep their values."""
        project, rule = own_rule(request, project_id, rule_id)
        given = s.AlertRulePatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        current = initial_of(rule)
        current["chat_webhook_urls"] = list(rule.chat_webhook_urls)
        fields = _validated(project, {**current, **given.validated_data}, rule)
        try:
            rules.update_rule(rule, fields, request=request)
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(s.AlertRuleSerializer(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id, rule_id):
        """Delete the rule and the alerts it raised."""
        rules.delete_rule(own_rule(request, project_id, rule_id)[1], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertRuleMuteView(ApiView):
    """Mute a rule for a time: it keeps being evaluated and raises nothing."""

    @extend_schema(request=s.MuteSerializer, responses=s.AlertRuleSerializer)
    def post(self, request, project_id, rule_id):
        rule = own_rule(request, project_id, rule_id)[1]
        given = s.MuteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        rules.mute(rule, given.validated_data["duration"])
        return Response(s.AlertRuleSerializer(rule).data)


class AlertRuleUnmuteView(ApiView):
    """End a rule's mute."""

    @extend_schema(request=None, responses=s.AlertRuleSerializer)
    def post(self, request, project_id, rule_id):
        rule = rules.unmute(own_rule(request, project_id, rule_id)[1])
        return Response(s.AlertRuleSerializer(rule).data)


class AlertListView(ApiView):
    """Your alerts across projects, newest first."""

    pagination_class = KeysetPagination

    @extend_schema(parameters=[PROJECT_PARAM, UNREAD_PARAM], responses=s.AlertSerializer(many=True))
    def get(self, request):
        project = request.query_params.get("project") or None
        if project is not None and not (
            ObjectId.is_valid(project)
            and Project.objects.filter(pk=project, user_id=request.user.pk).exists()
        ):
            raise ValidationError({"project": ["Give the id of one of your projects."]})
        unread = choice_param(request, "unread", ["true", "false"]) == "true"
        self._selection = inbox.AlertSelection(
            request.user, project_id=ObjectId(project) if project else None, unread=unread
        )
        return self.paged(Alert.objects.none(), s.AlertSerializer)

    def read_page(self, after, size: int) -> list[Alert]:
        """The page after a cursor's (created_at, id), read on the filter's index range."""
        return self._selection.read(self._selection.ids(after=after, limit=size))


class AlertDetailView(ApiView):
    """One alert with its evidence (reading it does not mark it read; acknowledging does)."""

    @extend_schema(responses=s.AlertSerializer)
    def get(self, request, alert_id):
        return Response(s.AlertSerializer(own_alert(request, alert_id)).data)


class AlertAcknowledgeView(ApiView):
    """Acknowledge an alert (it is marked read too)."""

    @extend_schema(request=None, responses=s.AlertSerializer)
    def post(self, request, alert_id):
        alert = inbox.acknowledge(own_alert(request, alert_id))
        return Response(s.AlertSerializer(alert).data)
