"""Project and target pages. Every page belongs to the project's owner: others get a 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from projects import capabilities, pages, presets, services
from projects.forms import (
    TARGET_FORMS,
    BulkAddForm,
    ConfirmForm,
    FileTargetForm,
    LinkTargetForm,
    ProjectConfigForm,
    ProjectCreateForm,
    SavePresetForm,
    WebTargetForm,
    target_edit_form,
)
from projects.llm_usage import uses_llm
from projects.models import Preset, Project, ProjectStatus, Schedule, Target, TargetStatus
from projects.schedules import get_schedule
from projects.sentiment_bands import label_for
from projects.services.monitors import is_monitor, monitor_rows
from sentimatrix.refusals import Refused

PROJECTS_PER_PAGE = 24

STATUS_CHIPS = {
    ProjectStatus.ACTIVE: "positive",
    ProjectStatus.PAUSED: "neutral",
    ProjectStatus.ERROR: "negative",
    ProjectStatus.ARCHIVED: "neutral",
}


def sentiment_chip(score) -> str:
    """The chip class of an average sentiment score in [-1, 1]."""
    if score is None:
        return ""
    return label_for(score)


def schedule_url(project: Project) -> str:
    """The project's schedule page."""
    return reverse("schedules:edit", kwargs={"project_id": project.pk})


def _posted(request):
    """The submitted data to bind a form to (even when empty), None on GET."""
    return request.POST if request.method == "POST" else None


# --- projects ---------------------------------------------------------------------------


@login_required
def project_list(request):
    archived = request.GET.get("show") == "archived"
    projects = Project.objects.filter(user=request.user)
    archived_count = projects.filter(status=ProjectStatus.ARCHIVED).count()
    if archived:
        projects = projects.filter(status=ProjectStatus.ARCHIVED)
    else:
        projects = projects.exclude(status=ProjectStatus.ARCHIVED)
    page = Paginator(projects.order_by("-created_at"), PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    cards = [
        {
            "project": p,
            "status_chip": STATUS_CHIPS.get(p.status, "neutral"),
            "sentiment_chip": sentiment_chip(p.stats.avg_sentiment),
        }
        for p in page
    ]
    return render(
        request,
        "projects/list.html",
        {
            "page": page,
            "cards": cards,
            "archived": archived,
            "archived_count": archived_count,
            "layout": request.user.settings.dashboard_layout,
            "plan": request.user.get_plan(),
        },
    )


def _preset_capabilities(user):
    """Each system preset with what its analysis gets for ``user`` (no LLM is set by one)."""
    has_key = capabilities.has_llm_key(user.pk)
    return [
        (preset, capabilities.capabilities(presets.config_from_preset(preset).analysis, has_key=has_key))
        for preset in presets.SYSTEM_PRESETS.values()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    form = ProjectCreateForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(
                request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                start_from=form.cleaned_data["start_from"],
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("start_from", exc.messages)
        else:
            messages.success(request, f"Project “{project.name}” created. Add the first target to collect.")
            return redirect("projects:detail", project_id=project.pk)
    return render(
        request,
        "projects/create.html",
        {
            "form": form,
            "system_presets": _preset_capabilities(request.user),
            "plan": request.user.get_plan(),
        },
    )


@dataclass
class TargetRow:
    target: Target
    status_chip: str
    sentiment_chip: str
    # A keyword monitor's platforms with the counts of its last run (None for other targets).
    monitor: list[dict] | None = None


@login_required
def project_detail(request, project_id):
    project = pages.own_project(request, project_id)
    targets = Target.objects.filter(project=project).order_by("created_at")
    rows = [
        TargetRow(
            target=t,
            status_chip={TargetStatus.ACTIVE: "positive", TargetStatus.ERROR: "negative"}.get(
                t.status, "neutral"
            ),
            sentiment_chip=sentiment_chip(t.stats.avg_sentiment),
            monitor=monitor_rows(t) if is_monitor(t) else None,
        )
        for t in targets
    ]
    # The running or last job (the scraping app's) is the template's: {% load job_tags %}.
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "rows": rows,
            "status_chip": STATUS_CHIPS.get(project.status, "neutral"),
            "sentiment_chip": sentiment_chip(project.stats.avg_sentiment),
            "read_only": project.status == ProjectStatus.ARCHIVED,
            "plan": request.user.get_plan(),
            "schedule_url": schedule_url(project),
            "schedule": get_schedule(project),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, project_id):
    project = pages.own_project(request, project_id)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    form = ProjectConfigForm(_posted(request), user=request.user, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_project(
                project,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                config=form.config(),
            )
        except ValidationError as exc:
            form.add_model_errors(exc.message_dict)
        except Refused as exc:
            return pages.refused(request, exc, project)
        else:
            messages.success(request, "Project settings saved.")
            return redirect("projects:detail", project_id=project.pk)
    return render(
        request,
        "projects/edit.html",
        {
            "project": project,
            "form": form,
            "schedule_url": schedule_url(project),
            "engines": presets.engines_for(
                project.config.analysis, project.config.llm if uses_llm(project) else None
            ),
            "capabilities": capabilities.for_project(project),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request, project_id):
    project = pages.own_project(request, project_id)
    form = ConfirmForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.delete_project(project, request=request)
        messages.success(request, f"Project “{project.name}” and all its data were deleted.")
        return redirect("projects:list")
    counts = services.deletion_counts(project)
    return render(request, "projects/delete.html", {"project": project, "form": form, "counts": counts})


@login_required
@require_http_methods(["GET", "POST"])
def project_archive(request, project_id):
    project = pages.own_project(request, project_id)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    if request.method == "POST":
        services.archive_project(project, request=request)
        messages.success(request, f"Project “{project.name}” archived. Its data stays readable.")
        return redirect("projects:detail", project_id=project.pk)
    return render(request, "projects/archive.html", {"project": project})


@login_required
@require_POST
def project_pause(request, project_id):
    project = pages.own_project(request, project_id)
    try:
        services.pause_project(project)
    except Refused as exc:
        return pages.refused(request, exc, project)
    messages.success(request, "Project paused: scheduled runs are skipped until you resume it.")
    return redirect("projects:detail", project_id=project.pk)


@login_required
@require_POST
def project_resume(request, project_id):
    project = pages.own_project(request, project_id)
    try:
        services.resume_project(project)
    except Refused as exc:
        return pages.refused(request, exc, project)
    message = "Project resumed."
    if Schedule.objects.filter(project=project, enabled=False).exists():
        message += " Its schedule stays off until you turn it on again."
    messages.success(request, message)
    return redirect("projects:detail", project_id=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def save_preset(request, project_id):
    project = pages.own_project(request, project_id)
    form = SavePresetForm(_posted(request), initial={"name": project.name})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        try:
            preset = services.save_config_as_preset(
                project, name=name, description=form.cleaned_data["description"]
            )
        except ValidationError as exc:
            if Preset.objects.filter(user=request.user, name=name).exists():
                form.add_error("name", f"You already have a preset named “{name}”.")
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(
                request, f"Saved as preset “{preset.name}”; it is offered when you create a project."
            )
            return redirect("projects:detail", project_id=project.pk)
    return render(request, "projects/save_preset.html", {"project": project, "form": form})


# --- targets ----------------------------------------------------------------------------


def _target_forms(bound=None) -> dict:
    forms = {kind: cls(prefix=kind) for kind, cls in TARGET_FORMS.items()}
    if bound is not None:
        forms[bound.KIND] = bound
    return forms


@login_required
@require_http_methods(["GET", "POST"])
def add_target(request, project_id):
    project = pages.own_project(request, project_id)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    bound = None
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in TARGET_FORMS:
            return HttpResponseBadRequest("Unknown target type.")
        bound = TARGET_FORMS[kind](request.POST, request.FILES, prefix=kind)
        if bound.is_valid():
            try:
                target = _add(project, bound)
            except Refused as exc:
                bound.add_error(exc.field if exc.field in bound.fields else None, exc.message)
            else:
                # The platform's caveat is under the project's target table (once per page).
                messages.success(request, f"Added “{target.display_label}”.")
                return redirect("projects:detail", project_id=project.pk)
    return render(
        request,
        "projects/add_target.html",
        {"project": project, "forms": _target_forms(bound), "active": bound.KIND if bound else "link"},
    )


def _add(project: Project, form) -> Target:
    data = form.cleaned_data
    if isinstance(form, FileTargetForm):
        return services.add_upload_target(project, data["file"], label=data["label"])
    return services.add_url_target(
        project,
        data["url"],
        kind=None if isinstance(form, LinkTargetForm) else form.KIND,
        label=data["label"],
        options=form.options() if isinstance(form, LinkTargetForm) else None,
        selectors=form.selectors() if isinstance(form, WebTargetForm) else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bulk_add(request, project_id):
    project = pages.own_project(request, project_id)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    form = BulkAddForm(_posted(request), request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("csv_file")
        try:
            outcome = services.bulk_add(
                project, text=form.cleaned_data["urls"], csv_bytes=upload.read() if upload else None
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            if outcome.added:
                messages.success(request, f"Added {len(outcome.added)} target(s).")
            if outcome.invalid:
                messages.warning(request, f"{len(outcome.invalid)} line(s) were not added; see why below.")
            # Offer the refused lines again, to fix and resubmit.
            form = BulkAddForm(initial={"urls": outcome.refused_text})
    return render(request, "projects/bulk_add.html", {"project": project, "form": form, "outcome": outcome})


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request, project_id, target_id):
    """Rename a target and change its options (sort, language, country, selectors, limit)."""
    project, target = pages.own_target(request, project_id, target_id)
    if is_monitor(target):  # a monitor's query and platforms have a page of their own
        return redirect("jobs:monitor_edit", project_id=project.pk, target_id=target.pk)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    form = target_edit_form(target, _posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_target(target, **form.changes())
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Saved “{target.display_label}”.")
            return redirect("projects:detail", project_id=project.pk)
    return render(request, "projects/target_edit.html", {"project": project, "target": target, "form": form})


@login_required
@require_POST
def target_pause(request, project_id, target_id):
    """Pause an active target, or resume a paused one."""
    project, target = pages.own_target(request, project_id, target_id)
    pause = target.status != TargetStatus.PAUSED
    try:
        services.set_target_paused(target, pause)
    except Refused as exc:
        return pages.refused(request, exc, project)
    messages.success(request, f"{'Paused' if pause else 'Resumed'} “{target.display_label}”.")
    return redirect("projects:detail", project_id=project.pk)
