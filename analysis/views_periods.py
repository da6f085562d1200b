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


@login_required
@require_GET
def periods_view(request, project_id):
    project = pages.own_project(request, project_id)
    form = periods.period_form(project, request.GET, datetime.now(UTC).date())
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
            target_labels=form.target_labels,
        )
    context = {
        "project": project,
        "form": form,
        "data": data,
        "marker": marker,
        "markers": markers.rows(list(form.markers.values())),
        "chart_data": chart_payload(data["charts"]) if data else {},
        "topic_kinds": periods.TOPIC_KINDS.items(),
    }
    return render(request, "analysis/periods.html", context)
