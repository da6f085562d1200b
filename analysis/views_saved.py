"""Saved views from the explorer: save the current filters under a name, rename, delete.

Thin views over :mod:`analysis.saved_views`; each answers with a redirect and a message. A view
of another user's project, or another project's view, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from analysis import saved_views
from projects import pages

#: What the save form posts besides the explorer's own filter fields.
FORM_FIELDS = {"csrfmiddlewaretoken", "name", "query", "from"}


def _view(project, view_id):
    try:
        return saved_views.view_for(project, view_id)
    except saved_views.SavedViewNotFound as exc:
        raise Http404("No such view.") from exc


def explorer_link(project, query: str) -> str:
    base = reverse("analysis:explorer", args=[project.pk])
    return f"{base}?{query}" if query else base


def _canonical(project, params) -> str:
    """The explorer's query string for ``params`` (what it refuses left out)."""
    return saved_views.parse(params, saved_views.target_ids(project)).query


def _go(request, url: str):
    # A form sent by htmx is answered with a full-page redirect (the explorer's filters change).
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _refusal(request, exc: ValidationError) -> None:
    for message in (m for messages_ in exc.message_dict.values() for m in messages_):
        messages.error(request, message)


def _posted_params(request):
    """The filters being saved: the explorer's filter fields themselves when htmx includes them
    (the page's URL has moved on since it was drawn), else the query string the page was drawn
    with."""
    if request.POST.get("from") == "filters":
        params = request.POST.copy()
        for name in FORM_FIELDS:
            params.pop(name, None)
        return params
    return request.POST.get("query", "")


@login_required
@require_POST
def view_save(request, project_id):
    project = pages.own_project(request, project_id)
    params = _posted_params(request)
    try:
        view = saved_views.create_view(project, request.user, request.POST.get("name", ""), params)
    except ValidationError as exc:
        _refusal(request, exc)
        return _go(request, explorer_link(project, _canonical(project, params)))
    messages.success(request, f"View “{view.name}” saved.")
    return _go(request, explorer_link(project, view.query))


@login_required
@require_POST
def view_rename(request, project_id, view_id):
    project = pages.own_project(request, project_id)
    view = _view(project, view_id)
    try:
        saved_views.update_view(view, name=request.POST.get("name", ""))
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, f"View renamed “{view.name}”.")
    return _go(request, explorer_link(project, view.query))


@login_required
@require_POST
def view_delete(request, project_id, view_id):
    project = pages.own_project(request, project_id)
    view = _view(project, view_id)
    saved_views.delete_view(view)
    messages.success(request, f"View “{view.name}” deleted.")
    return _go(request, explorer_link(project, _canonical(project, request.POST.get("query", ""))))
