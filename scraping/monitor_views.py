"""The pages of a keyword monitor: "Monitor a keyword" (with its preview) and its edit page.

They live in the scraping app because the preview runs the monitor's search code; the monitor
itself is added and changed by the projects services, like any target.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiKey
from projects import pages
from projects.forms import MonitorForm
from projects.platforms import Platform
from projects.services.monitors import NEEDS_KEY, add_monitor, edit_monitor, is_monitor
from scraping.monitor_preview import preview_monitor
from sentimatrix.refusals import Refused


def _missing_keys(user) -> list[str]:
    """Labels of the platforms whose search needs a key the user has not stored."""
    stored = set(
        ApiKey.objects.filter(user=user, provider__in=list(NEEDS_KEY.values())).values_list(
            "provider", flat=True
        )
    )
    return [Platform(p).label for p, provider in NEEDS_KEY.items() if provider not in stored]


def _page(request, project, form, *, target=None, previews=None):
    return render(
        request,
        "scraping/monitor_form.html",
        {
            "project": project,
            "form": form,
            "target": target,
            "previews": previews,
            "missing_keys": _missing_keys(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def monitor_add(request, project_id):
    """Add a keyword monitor; the "Preview" button shows what it would find first."""
    project = pages.own_project(request, project_id)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    if request.method == "GET":
        return _page(request, project, MonitorForm())
    form = MonitorForm(request.POST)
    if not form.is_valid():
        return _page(request, project, form)
    spec = form.cleaned_data["spec"]
    if "preview" in request.POST:
        return _page(request, project, form, previews=preview_monitor(project, spec))
    try:
        target = add_monitor(project, spec, label=form.cleaned_data["label"])
    except Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, project, form)
    messages.success(request, f"Added the monitor {target.display_label}.")
    return redirect("projects:detail", project_id=project.pk)


@login_required
@require_POST
def monitor_preview(request, project_id):
    """The preview as a fragment under the button (htmx)."""
    project = pages.own_project(request, project_id)
    form = MonitorForm(request.POST)
    previews = preview_monitor(project, form.cleaned_data["spec"]) if form.is_valid() else None
    return render(
        request,
        "scraping/partials/monitor_preview.html",
        {"project": project, "form": form, "previews": previews},
    )


@login_required
@require_http_methods(["GET", "POST"])
def monitor_edit(request, project_id, target_id):
    """Change a monitor's query, platforms, instances, language and cap."""
    project, target = pages.own_target(request, project_id, target_id)
    if not is_monitor(target):
        raise Http404
    refused = pages.read_only(request, project)
    if refused:
        return refused
    if request.method == "GET":
        return _page(request, project, MonitorForm(initial=MonitorForm.initial_of(target)), target=target)
    form = MonitorForm(request.POST)
    if not form.is_valid():
        return _page(request, project, form, target=target)
    spec = form.cleaned_data["spec"]
    if "preview" in request.POST:
        return _page(request, project, form, target=target, previews=preview_monitor(project, spec))
    try:
        edit_monitor(target, spec, label=form.cleaned_data["label"])
    except Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, project, form, target=target)
    messages.success(request, f"Saved the monitor {target.display_label}.")
    return redirect("projects:detail", project_id=project.pk)
