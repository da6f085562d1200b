"""What every page about a project starts with, whichever app serves it (the project's own
pages, its jobs, its re-analysis): the owner's project or target, else a 404 (someone else's
project looks exactly like one that does not exist), and the way back to the project page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from projects.models import Project, ProjectStatus, Target
from projects.services import ARCHIVED_MESSAGE
from sentimatrix.ownership import owned_or_404
from sentimatrix.refusals import Refused


def own_project(request, project_id) -> Project:
    """The signed-in user's project, else 404."""
    project = owned_or_404(Project, request.user, project_id)
    project.user = request.user  # the owner is already loaded
    return project


def own_target(request, project_id, target_id) -> tuple[Project, Target]:
    """The signed-in user's project and one of its targets, else 404."""
    project = own_project(request, project_id)
    target = get_object_or_404(Target, pk=target_id, project=project)
    target.project = project
    return project, target


def refused(request, exc: Refused, project: Project):
    """Back to the project page, saying why the action was refused."""
    messages.error(request, exc.message)
    return redirect("projects:detail", project_id=project.pk)


def read_only(request, project: Project):
    """Redirect with the reason when the project is archived, else None."""
    if project.status == ProjectStatus.ARCHIVED:
        messages.error(request, ARCHIVED_MESSAGE)
        return redirect("projects:detail", project_id=project.pk)
    return None
