"""Release markers from the dashboard: add one, change it, delete it.

Thin views over :mod:`analysis.markers`; each answers with a redirect to the dashboard's list of
markers and a message naming what was refused. A marker of another user's project, or of another
project, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from analysis import markers
from projects import pages


def _marker(project, marker_id):
    try:
        return markers.marker_for(project, marker_id)
    except markers.MarkerNotFound as exc:
        raise Http404("No such marker.") from exc


def _back(project):
    return redirect(f"{reverse('analysis:dashboard', args=[project.pk])}#markers")


def _refusal(request, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        name = markers.MarkerForm.base_fields[field].label if field in markers.MarkerForm.base_fields else ""
        for message in errors:
            messages.error(request, f"{name}: {message}" if name else message)


@login_required
@require_POST
def marker_create(request, project_id):
    project = pages.own_project(request, project_id)
    try:
        marker = markers.create_marker(project, request.user, request.POST)
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, f"Marker “{marker.label}” added on {markers.when_text(marker)}.")
    return _back(project)


@login_required
@require_POST
def marker_update(request, project_id, marker_id):
    project = pages.own_project(request, project_id)
    marker = _marker(project, marker_id)
    try:
        markers.update_marker(marker, request.POST)
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, f"Marker “{marker.label}” saved.")
    return _back(project)


@login_required
@require_POST
def marker_delete(request, project_id, marker_id):
    project = pages.own_project(request, project_id)
    marker = _marker(project, marker_id)
    markers.delete_marker(marker)
    messages.success(request, f"Marker “{marker.label}” deleted.")
    return _back(project)
