"""Schedule pages: the user's schedules, and one project's schedule (edit, enable, remove)."""

from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from projects import schedules
from projects.models import Frequency
from projects.pages import own_project
from sentimatrix.validators import add_form_errors, validate_hhmm
from sentimatrix.when import format_when

HISTORY_SHOWN = 20


def _timezone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


class ScheduleForm(forms.Form):
    frequency = forms.ChoiceField(choices=Frequency.choices)
    time = forms.CharField(
        max_length=5,
        validators=[validate_hhmm],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Local time of the run; hourly runs use only its minutes.",
    )
    timezone = forms.ChoiceField(label="Time zone", help_text="Runs follow this zone's clock, DST included.")
    day_of_week = forms.TypedChoiceField(
        label="Day of the week",
        choices=[("", "—"), *enumerate(schedules.WEEKDAYS)],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Weekly runs only.",
    )
    day_of_month = forms.TypedChoiceField(
        label="Day of the month",
        choices=[("", "—"), *((day, str(day)) for day in range(1, 29))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Monthly runs only; 1 to 28 so that every month has it.",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _timezone_choices()

    def clean(self):
        data = super().clean()
        if data.get("frequency") == Frequency.WEEKLY and data.get("day_of_week") is None:
            self.add_error("day_of_week", "Choose the day of the week for weekly runs.")
        if data.get("frequency") == Frequency.MONTHLY and data.get("day_of_month") is None:
            self.add_error("day_of_month", "Choose the day of the month for monthly runs.")
        return data


@login_required
def schedule_list(request):
    rows = [
        (schedule, schedules.describe(schedule), (schedule.run_history or [None])[-1])
        for schedule in schedules.schedules_of(request.user)
    ]
    return render(request, "schedules/list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request, project_id):
    project = own_project(request, project_id)
    schedule = schedules.get_schedule(project)
    current = schedule or schedules.new_schedule(project)
    initial = {name: getattr(current, name) for name in schedules.EDITABLE_FIELDS}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = schedules.save_schedule(project, form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            if schedule.enabled and schedule.next_run:
                when = format_when(schedule.next_run, zone=True)
                messages.success(request, f"Schedule saved. Next run: {when}.")
            else:
                messages.success(request, "Schedule saved. It is disabled, so nothing will run.")
            return redirect("schedules:edit", project_id=project.pk)
    history = list(reversed((schedule.run_history if schedule else [])[-HISTORY_SHOWN:]))
    return render(
        request,
        "schedules/edit.html",
        {
            "project": project,
            "schedule": schedule,
            "form": form,
            "history": history,
            "description": schedules.describe(schedule) if schedule else "",
        },
    )


@login_required
@require_POST
def schedule_toggle(request, project_id):
    project = own_project(request, project_id)
    enabled = request.POST.get("enabled") == "1"
    try:
        schedule = schedules.set_enabled(project, enabled)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("schedules:edit", project_id=project.pk)
    if schedule is None:
        messages.error(request, "This project has no schedule yet.")
    else:
        messages.success(request, f"Schedule of “{project}” {'enabled' if enabled else 'disabled'}.")
    if request.POST.get("next") == "list":
        return redirect("schedules:list")
    return redirect("schedules:edit", project_id=project.pk)


@login_required
@require_POST
def schedule_remove(request, project_id):
    project = own_project(request, project_id)
    if schedules.remove_schedule(project):
        messages.success(request, f"Schedule of “{project}” removed.")
    return redirect("schedules:list")
