"""What every project and target action starts with: the refusal it raises and the read-only
state of archived projects."""

from __future__ import annotations

from projects.models import Project, ProjectStatus
from sentimatrix.refusals import Refused

ARCHIVED_MESSAGE = "This project is archived; it is kept read-only."


class ActionRefused(Refused):
    """A project, target or schedule action that is not possible now."""


def ensure_writable(project: Project) -> None:
    """Refuse any change to an archived project."""
    if project.status == ProjectStatus.ARCHIVED:
        raise ActionRefused(ARCHIVED_MESSAGE)
