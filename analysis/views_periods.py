"""The period comparison page: two periods of a project (or the days before and after one of its
release markers) side by side. Thin view over :mod:`analysis.periods`."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from analysis import markers, periods
from analysis.dashboard import chart_payload
from projects import pages
from projects.models import Target

#: The parameters that choose the periods: with none of them the page compares the last 30 days
#: with the 30 before (in the targets and platforms given, if any: the dashboard's saved view).
PERIOD_PARAMS = {"mode", "a_from", "a_to", "b_from", "b_to", "marker", "days"}


@login_required
@require_GET
def periods_view(request, project_id):
    project = pages.own_project(request, project_id)
    found = list(Target.objects.filter(project=project).order_by("created_at"))
    targets = {str(t.pk): str(t) for t in found}
    platforms = sorted({t.platform for t in found})
    project_markers = markers.markers_for(project)
    params = request.GET
    if not PERIOD_PARAMS & set(params):
        params = request.GET.copy()
        params.update(periods.default_params(datetime.now(UTC).date()))
    form = periods.PeriodForm(params, project_markers=project_markers, targets=targets, platforms=platforms)
    data, marker = None, None
    if form.is_valid():
        a, b, marker = form.periods()
        data = periods.compare_periods(
            request.user,
            project,
            a,
            b,
            targets=form.cleaned_data["target"],
            platforms=form.cleaned_data["platform"],
            target_labels=targets,
        )
    context = {
        "project": project,
        "form": form,
        "data": data,
        "marker": marker,
        "markers": markers.rows(project_markers),
        "chart_data": chart_payload(data["charts"]) if data else {},
        "topic_kinds": periods.TOPIC_KINDS.items(),
    }
    return render(request, "analysis/periods.html", context)
