"""Report schedule pages of a project (owner only): list, create, edit, delete, send a test to
the owner, preview; and the unsubscribe page, which needs no account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications.models import ReportSchedule
from notifications.reports import sending, services, unsubscribe
from notifications.reports.forms import ReportScheduleForm
from notifications.reports.periods import last_full_period, zone_of
from projects.pages import own_project
from sentimatrix.validators import add_form_errors


def _own(request, project_id, report_id) -> ReportSchedule:
    project = own_project(request, project_id)
    schedule = get_object_or_404(ReportSchedule, pk=report_id, project_id=project.pk, user_id=request.user.pk)
    schedule.project, schedule.user = project, request.user
    return schedule


@login_required
def report_list(request, project_id):
    project = own_project(request, project_id)
    return render(
        request,
        "notifications/reports/list.html",
        {"project": project, "schedules": services.schedules_of(project), "zone": zone_of(project)},
    )


def _saved(request, form, project, schedule=None):
    """Run the service for a valid form; its errors go back onto the form (None then)."""
    try:
        if schedule is None:
            return services.create_schedule(request.user, project, **form.service_kwargs())
        return services.update_schedule(schedule, **form.service_kwargs())
    except ValidationError as exc:
        add_form_errors(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def report_create(request, project_id):
    project = own_project(request, project_id)
    form = ReportScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _saved(request, form, project) is not None:
        messages.success(request, f"Report “{form.cleaned_data['name']}” added.")
        return redirect("reports:list", project_id=project.pk)
    return render(
        request, "notifications/reports/form.html", {"project": project, "form": form, "schedule": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, project_id, report_id):
    schedule = _own(request, project_id, report_id)
    form = ReportScheduleForm(request.POST or None, schedule=schedule)
    if request.method == "POST" and form.is_valid() and _saved(request, form, schedule.project, schedule):
        messages.success(request, f"Report “{schedule}” saved.")
        return redirect("reports:list", project_id=schedule.project_id)
    context = {"project": schedule.project, "form": form, "schedule": schedule}
    return render(request, "notifications/reports/form.html", context)


@login_required
@require_POST
def report_delete(request, project_id, report_id):
    schedule = _own(request, project_id, report_id)
    services.delete_schedule(schedule)
    messages.success(request, f"Report “{schedule}” deleted.")
    return redirect("reports:list", project_id=project_id)


@login_required
@require_POST
def report_test(request, project_id, report_id):
    """The last full period's report, now, to the owner alone (the recipients get nothing)."""
    schedule = _own(request, project_id, report_id)
    sending.send_test(schedule, timezone.now())
    messages.success(request, f"A test of “{schedule}” was sent to {request.user.email}.")
    return redirect("reports:list", project_id=project_id)


@login_required
def report_preview(request, project_id, report_id):
    """The report of the last full period as the mail shows it (each recipient's mail adds
    their unsubscribe link)."""
    schedule = _own(request, project_id, report_id)
    period = last_full_period(schedule, zone_of(schedule.project), timezone.now())
    data = sending.report_for(schedule, period)
    return render(
        request,
        "notifications/reports/preview.html",
        {**data, "subject": sending.subject(data), "unsubscribe_url": None},
    )


# --- unsubscribe (no account) --------------------------------------------------------------


@csrf_exempt  # the link is the credential; RFC 8058 mail clients POST it without a form
@require_http_methods(["GET", "POST"])
def report_unsubscribe(request, token):
    """GET asks to confirm (so a link scanner unsubscribes nobody); POST unsubscribes, from the
    button or a mail client's one-click request."""
    found = unsubscribe.schedule_of(token)
    if found is None:
        return render(request, "notifications/reports/unsubscribe.html", {"invalid": True}, status=404)
    schedule, email = found
    done = email in schedule.unsubscribed
    if request.method == "POST" and not done:
        unsubscribe.unsubscribe(schedule, email)
        done = True
    context = {"schedule": schedule, "email": email, "done": done, "project_name": schedule.project.name}
    return render(request, "notifications/reports/unsubscribe.html", context)
