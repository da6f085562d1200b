"""Alert pages: a project's rules (list, create, edit, delete, on/off, mute, unmute) and the
user's alerts (history, one alert with its evidence, acknowledge, mute its rule)."""

from __future__ import annotations

from bson import ObjectId
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from notifications.alerts import inbox, rules, stalled
from notifications.alerts.forms import AlertRuleForm
from notifications.models import Alert, AlertRule
from projects.models import Project
from projects.pages import own_project
from sentimatrix.validators import add_form_errors

ALERTS_PER_PAGE = 25


def _own_rule(request, project_id, rule_id) -> tuple[Project, AlertRule]:
    project = own_project(request, project_id)
    try:
        return project, rules.rule_for(project, rule_id)
    except AlertRule.DoesNotExist as exc:
        raise Http404("No such alert rule.") from exc


def _back_to_rules(project: Project):
    return redirect("alert_rules:list", project_id=project.pk)


@login_required
def rule_list(request, project_id):
    project = own_project(request, project_id)
    return render(
        request,
        "notifications/alerts/rules.html",
        {
            "project": project,
            "rules": list(rules.rules_of(project)),
            "mute_choices": rules.MUTE_CHOICES,
            "now": timezone.now(),
        },
    )


def _save(request, form, project, rule=None):
    """Run the service for a valid form; errors the model raises go back onto the form."""
    try:
        if rule is None:
            return rules.create_rule(project, request.user, form.rule_fields(), request=request)
        return rules.update_rule(rule, form.rule_fields(), request=request)
    except ValidationError as exc:
        add_form_errors(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request, project_id):
    project = own_project(request, project_id)
    form = AlertRuleForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid() and (rule := _save(request, form, project)):
        messages.success(request, f"Alert rule “{rule}” added.")
        return _back_to_rules(project)
    return render(
        request, "notifications/alerts/rule_form.html", {"project": project, "form": form, "rule": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, project_id, rule_id):
    project, rule = _own_rule(request, project_id, rule_id)
    form = AlertRuleForm(request.POST or None, project=project, rule=rule)
    if request.method == "POST" and form.is_valid() and _save(request, form, project, rule):
        messages.success(request, f"Alert rule “{rule}” saved.")
        return _back_to_rules(project)
    return render(
        request, "notifications/alerts/rule_form.html", {"project": project, "form": form, "rule": rule}
    )


@login_required
@require_POST
def rule_delete(request, project_id, rule_id):
    project, rule = _own_rule(request, project_id, rule_id)
    rules.delete_rule(rule, request=request)
    messages.success(request, f"Alert rule “{rule}” deleted with its alerts.")
    return _back_to_rules(project)


@login_required
@require_POST
def rule_enabled(request, project_id, rule_id):
    project, rule = _own_rule(request, project_id, rule_id)
    enabled = request.POST.get("enabled") == "1"
    rules.set_enabled(rule, enabled)
    messages.success(request, f"Alert rule “{rule}” {'enabled' if enabled else 'disabled'}.")
    return _back_to_rules(project)


def _mute(request, rule: AlertRule) -> None:
    choice = request.POST.get("duration", "")
    try:
        rules.mute(rule, choice)
    except rules.UnknownMute as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, f"Alert rule “{rule}” muted {rules.MUTE_BY_KEY[choice].label}.")


@login_required
@require_POST
def rule_mute(request, project_id, rule_id):
    project, rule = _own_rule(request, project_id, rule_id)
    _mute(request, rule)
    return _back_to_rules(project)


@login_required
@require_POST
def rule_unmute(request, project_id, rule_id):
    project, rule = _own_rule(request, project_id, rule_id)
    rules.unmute(rule)
    messages.success(request, f"Alert rule “{rule}” unmuted.")
    return _back_to_rules(project)


# --- the user's alerts ------------------------------------------------------------------------


def _chosen_project(request, value) -> Project | None:
    """The project a filter names, when it is the user's (anything else: every project)."""
    if not value or not ObjectId.is_valid(value):
        return None
    return Project.objects.filter(pk=value, user_id=request.user.pk).first()


@login_required
def alert_list(request):
    project = _chosen_project(request, request.GET.get("project"))
    unread = request.GET.get("unread") == "1"
    alerts = inbox.AlertSelection(request.user, project_id=project.pk if project else None, unread=unread)
    page = Paginator(alerts, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    query = "&".join(
        part for part in (f"project={project.pk}" if project else "", "unread=1" if unread else "") if part
    )
    return render(
        request,
        "notifications/alerts/list.html",
        {
            "page": page,
            "chosen_project": project,
            "unread": unread,
            "extra_query": query,
            "projects": Project.objects.filter(user_id=request.user.pk).order_by("name"),
        },
    )


def _own_alert(request, alert_id) -> Alert:
    try:
        return inbox.alert_of(request.user, alert_id)
    except Alert.DoesNotExist as exc:
        raise Http404("No such alert.") from exc


@login_required
def alert_detail(request, alert_id):
    alert = _own_alert(request, alert_id)
    inbox.mark_read(alert)
    project = alert.project
    return render(
        request,
        "notifications/alerts/detail.html",
        {
            "alert": alert,
            "project": project,
            "results": inbox.evidence(alert),
            "explorer_url": inbox.explorer_url(alert, project),
            "muted": rules.is_muted(alert.rule),
            "mute_choices": rules.MUTE_CHOICES,
            "stalled": stalled.stalled_channels(alert.deliveries),
        },
    )


@login_required
@require_POST
def alert_acknowledge(request, alert_id):
    alert = _own_alert(request, alert_id)
    inbox.acknowledge(alert)
    messages.success(request, f"Alert “{alert}” acknowledged.")
    return redirect("alerts:list")


@login_required
@require_POST
def alert_acknowledge_all(request):
    project = _chosen_project(request, request.POST.get("project"))
    count = inbox.acknowledge_all(request.user, project_id=project.pk if project else None)
    messages.success(request, f"{count} alert{'s' if count != 1 else ''} acknowledged.")
    return redirect("alerts:list")


@login_required
@require_POST
def alert_mute_rule(request, alert_id):
    alert = _own_alert(request, alert_id)
    _mute(request, alert.rule)
    return redirect("alerts:detail", alert_id=alert.pk)
