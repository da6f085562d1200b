"""Projects: create, configure, pause, archive and delete them (plan limits, the schedule kept
in step with the settings, the counters other parts read)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit
from accounts.models import User
from accounts.usage import consume, release
from projects import presets, schedules, signals, uploads
from projects.models import (
    Frequency,
    Preset,
    PresetKey,
    Project,
    ProjectConfig,
    ProjectStatus,
)
from projects.platforms import Platform
from projects.services.base import ARCHIVED_MESSAGE, ActionRefused, ensure_writable
from sentimatrix.mongo import collection
from sentimatrix.validators import validation_errors

logger = logging.getLogger(__name__)

FROM_SCRATCH = "scratch"
#: The parts of ``config`` the project settings page edits (the schedule has its own page).
EDITED_CONFIG_PARTS = ("scrapers", "llm", "analysis", "limits")
#: Collections holding a project's data by ``project_id`` (the scraping and analysis apps'
#: too, named here as they are stored); children first, so a crash half-way never leaves data
#: whose project is already gone.
PROJECT_DATA = (
    "results", "daily_stats", "hourly_stats", "scrape_jobs", "targets", "project_insights", "analysis_runs",
    "saved_views", "release_markers", "alerts", "alert_rules", "report_schedules",
)  # fmt: skip


def _config_document(config: ProjectConfig) -> dict:
    return Project._meta.get_field("config").get_db_prep_save(config, connection)


def _raise_if_invalid(project: Project) -> None:
    """``ValidationError`` keyed by dotted path (``config.llm.model``) when the project is invalid."""
    errors = validation_errors(project)
    if errors:
        raise ValidationError(errors)


def create_project(
    user: User, *, name: str, description: str = "", start_from: str = presets.DEFAULT_PRESET
) -> Project:
    """A new project of ``user`` configured from a preset key (system or ``preset:<id>``) or
    from scratch (``FROM_SCRATCH``: the default config). Takes one project of the plan.

    Raises ``ActionRefused`` at the plan limit and ``ValidationError`` for an unknown preset.
    """
    consume(user, "projects_count")
    try:
        project = Project(user=user, name=name.strip(), description=description.strip())
        if start_from == FROM_SCRATCH:
            project.config = ProjectConfig()
            project.config.schedule.timezone = getattr(user.settings, "timezone", "") or "UTC"
            project.preset = PresetKey.CUSTOM
        else:
            presets.apply_preset(project, presets.resolve(start_from, user))
        _raise_if_invalid(project)
        project.save(force_insert=True)
    except BaseException:
        release(user, "projects_count")
        raise
    _schedule_from_config(project)
    return project


def _schedule_from_config(project: Project) -> None:
    """A preset that schedules runs gets its schedule (and beat entry) right away.

    ``config.schedule.days`` counts weekdays from Sunday, the schedules collection from
    Monday. A schedule that cannot be made leaves the project unscheduled, not uncreated.
    """
    config = project.config.schedule
    if not config.enabled:
        return
    data = {"frequency": config.frequency, "time": config.time, "timezone": config.timezone, "enabled": True}
    if config.days:
        data["day_of_week"] = (config.days[0] - 1) % 7
    elif config.frequency == Frequency.WEEKLY:
        data["day_of_week"] = 0
    if config.frequency == Frequency.MONTHLY:
        data["day_of_month"] = 1
    try:
        schedules.save_schedule(project, data)
    except ValidationError as exc:
        logger.warning("project %s: preset schedule not created: %s", project.pk, exc.messages)
        collection("projects").update_one({"_id": project.pk}, {"$set": {"config.schedule.enabled": False}})
        project.config.schedule.enabled = False


def update_project(project: Project, *, name: str, description: str, config: ProjectConfig) -> Project:
    """Save new name, description and config. A changed config makes the project ``custom``
    (it no longer is what its preset gives).

    Only the parts of the config this edit owns are written ($set), never ``stats`` nor
    ``config.schedule``, which the schedule pages and runs keep in step on their own.
    Raises ``ActionRefused`` for an archived project and ``ValidationError`` (dotted paths)
    for an invalid config.
    """
    ensure_writable(project)
    new, old = _config_document(config), _config_document(project.config)
    changed = any(new[part] != old[part] for part in EDITED_CONFIG_PARTS)
    project.name = name.strip()
    project.description = description.strip()
    config.schedule = project.config.schedule
    project.config = config
    if changed:
        project.preset = PresetKey.CUSTOM
    _raise_if_invalid(project)
    project.updated_at = timezone.now()
    collection("projects").update_one(
        {"_id": project.pk},
        {
            "$set": {
                "name": project.name,
                "description": project.description,
                "preset": project.preset,
                "updated_at": project.updated_at,
                **{f"config.{part}": new[part] for part in EDITED_CONFIG_PARTS},
            }
        },
    )
    return project


def save_config_as_preset(project: Project, *, name: str, description: str = "") -> Preset:
    """Save the project's config as a preset of its owner (allowed on archived projects too).

    Raises ``ValidationError`` when the owner already has a preset of that name.
    """
    return presets.save_as_preset(project, name, description)


def _set_status(project: Project, status: str, **extra: object) -> Project:
    project.status = status
    for name, value in extra.items():
        setattr(project, name, value)
    project.save(update_fields=["status", *extra, "updated_at"])
    # Pausing or archiving turns the schedule off.
    schedules.on_project_status_changed(project)
    return project


def pause_project(project: Project) -> Project:
    """Stop scheduled runs (a manual run still works) until resumed."""
    ensure_writable(project)
    if project.status == ProjectStatus.PAUSED:
        raise ActionRefused("This project is already paused.")
    return _set_status(project, ProjectStatus.PAUSED)


def resume_project(project: Project) -> Project:
    ensure_writable(project)
    if project.status == ProjectStatus.ACTIVE:
        raise ActionRefused("This project is already active.")
    return _set_status(project, ProjectStatus.ACTIVE)


def archive_project(
    project: Project, *, request: HttpRequest | None = None, user: User | None = None
) -> Project:
    """Keep the project and its data read-only; a running job is cancelled.

    An archived project no longer counts against the plan's projects (the plan-limit
    message tells users to archive one), so its slot is given back, once: the status
    changes in one conditional update, so two archive requests cannot both release it.
    """
    ensure_writable(project)
    now = timezone.now()
    changed = collection("projects").update_one(
        {"_id": project.pk, "status": {"$ne": ProjectStatus.ARCHIVED}},
        {"$set": {"status": ProjectStatus.ARCHIVED, "archived_at": now, "updated_at": now}},
    )
    if not changed.modified_count:
        raise ActionRefused(ARCHIVED_MESSAGE)
    project.status, project.archived_at, project.updated_at = ProjectStatus.ARCHIVED, now, now
    signals.project_archived.send(sender=Project, project=project)  # a running job is cancelled
    schedules.on_project_status_changed(project)
    release(project.user, "projects_count")
    audit.record(
        "project.archive",
        request=request,
        user=user or project.user,
        project_id=str(project.pk),
        name=project.name,
    )
    return project


def delete_project(
    project: Project, *, request: HttpRequest | None = None, user: User | None = None
) -> dict[str, int]:
    """Delete the project and everything that belongs to it; returns what was removed.

    A running job is cancelled first so workers stop after their current page. Results,
    daily statistics, jobs and targets go by ``project_id`` (no walk of Django's deletion
    collector over every result), then the schedule, the request counters, uploaded files
    nothing else uses, and the project. The audit log keeps a record.
    """
    pid = project.pk
    signals.project_deleting.send(sender=Project, project=project)  # a running job is cancelled
    files = list(
        collection("targets").distinct(
            "platform_data.file_path", {"project_id": pid, "platform": Platform.FILE}
        )
    )
    removed = {name: collection(name).delete_many({"project_id": pid}).deleted_count for name in PROJECT_DATA}
    schedules.remove_schedule(project)  # with its beat entry
    collection("request_counters").delete_many({"_id": {"$regex": f"^{pid}:"}})
    for file_path in files:
        uploads.remove_if_unused(project.user_id, file_path)
    deleted = collection("projects").find_one_and_delete({"_id": pid}, projection={"status": 1})
    removed["projects"] = int(deleted is not None)
    # An archived project gave its slot back already.
    if deleted is not None and deleted.get("status") != ProjectStatus.ARCHIVED:
        release(project.user, "projects_count")
    audit.record(
        "project.delete",
        request=request,
        user=user or project.user,
        project_id=str(pid),
        name=project.name,
        removed=removed,
    )
    return removed
