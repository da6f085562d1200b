"""The results explorer's services: the user's project, its targets, and triage.

What the explorer shows is read through the results store (:mod:`analysis.results_store`): its
filters, search, sort orders, pages and counts, and its exports, live there. This module keeps
what is the explorer's own: finding the user's project, naming its targets, and triage of one
result (pins, exclusions, tags) by the same rules the bulk actions apply to many
(:mod:`analysis.bulk`).
"""

from __future__ import annotations

from bson.errors import InvalidId

from analysis import bulk, pipeline
from analysis.models import Result
from analysis.results_store.filters import clean_tag
from analysis.results_store.reads import ProjectNotFound
from projects.models import Project
from sentimatrix.mongo import collection


def project_for(user, project_id) -> Project:
    """The user's project, or :class:`ProjectNotFound` (someone else's looks the same as none)."""
    try:
        return Project.objects.get(pk=project_id, user_id=user.pk)
    except (Project.DoesNotExist, InvalidId, TypeError, ValueError) as exc:
        raise ProjectNotFound(str(project_id)) from exc


def target_choices(project: Project) -> dict[str, str]:
    """The project's targets: string id -> label (bounded by the plan's targets per project)."""
    return {str(t.pk): str(t) for t in project.targets.order_by("created_at").only("label", "name", "url")}


# --- triage -------------------------------------------------------------------------------
# Single-document conditions: two clicks at once never lose a tag or a pin.

MAX_TAGS = bulk.MAX_TAGS


def _one(result: Result) -> dict:
    return {"_id": result.pk, "project_id": result.project_id}


def result_for(project: Project, result_id) -> Result:
    """One result of the project (``Result.DoesNotExist`` for any other id)."""
    return Result.objects.get(pk=result_id, project_id=project.pk)


def set_pinned(result: Result, pinned: bool) -> bool:
    """Pin a result as evidence (or unpin it); True when it changed."""
    changed = bulk.set_pinned_where(_one(result), pinned)
    result.pinned = pinned
    return bool(changed)


def set_excluded(result: Result, excluded: bool) -> bool:
    """Triage a result out of (or back into) statistics and default views; True when it changed."""
    changed = pipeline.set_excluded(result.pk, excluded)
    result.excluded = excluded
    return changed


def add_tag(result: Result, tag: str) -> bool:
    """Tag a result (at most :data:`MAX_TAGS` tags); True when the tag was added."""
    tag = clean_tag(tag)
    if not tag:
        return False
    changed = bulk.add_tag_where(_one(result), tag)
    result.tags = collection("results").find_one({"_id": result.pk}, {"tags": 1}).get("tags") or []
    return bool(changed)


def remove_tag(result: Result, tag: str) -> bool:
    changed = bulk.remove_tag_where(_one(result), tag)
    result.tags = [t for t in result.tags if t != tag]
    return bool(changed)
