"""Projects and targets: what the pages and commands do to them.

Views parse a request and call one of these functions; the rules live here: plan
limits, the read-only state of archived projects, one target per canonical URL,
and the counters other parts read (``projects.stats.total_targets``,
``users.usage.projects_count``), which only ever move through single-document
updates (``transaction.atomic`` does nothing on MongoDB, and workers ``$inc``
the same documents concurrently).

A refusal the user can act on is an :class:`ActionRefused` carrying the message
to show (and, for form input, the field it is about).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bson import ObjectId
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit
from accounts.models import User
from accounts.usage import consume, release
from projects import presets, schedules, signals, uploads
from projects.models import (
    Frequency,
    PlatformData,
    Preset,
    PresetKey,
    Project,
    ProjectConfig,
    ProjectStatus,
    Target,
    TargetOptions,
    TargetStatus,
)
from projects.platforms import CAVEATS, SORT_ORDERS, Platform
from projects.recognition import (
    BulkParseError,
    DuplicateLine,
    InvalidLine,
    Recognition,
    UnrecognizedURL,
    parse_bulk,
    parse_bulk_csv,
    recognize,
    recognize_upload,
)
from sentimatrix.mongo import collection
from sentimatrix.refusals import Refused
from sentimatrix.validators import validation_errors

logger = logging.getLogger(__name__)

ARCHIVED_MESSAGE = "This project is archived; it is kept read-only."
DUPLICATE_MESSAGE = "This target is already in the project."
FROM_SCRATCH = "scratch"
#: The parts of ``config`` the project settings page edits (the schedule has its own page).
EDITED_CONFIG_PARTS = ("scrapers", "llm", "analysis", "limits")
#: Collections holding a project's data by ``project_id`` (the scraping and analysis apps'
#: too, named here as they are stored); children first, so a crash half-way never leaves data
#: whose project is already gone.
PROJECT_DATA = ("results", "daily_stats", "scrape_jobs", "targets", "project_insights", "analysis_runs")
_PLATFORM_DATA_FIELDS = frozenset(f.name for f in PlatformData._meta.concrete_fields)
_OPTION_FIELDS = frozenset(f.name for f in TargetOptions._meta.concrete_fields)


class ActionRefused(Refused):
    """A project, target or schedule action that is not possible now."""


def ensure_writable(project: Project) -> None:
    """Refuse any change to an archived project."""
    if project.status == ProjectStatus.ARCHIVED:
        raise ActionRefused(ARCHIVED_MESSAGE)


# --- projects ---------------------------------------------------------------------------


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


# --- targets ----------------------------------------------------------------------------


def target_limit_message(project: Project) -> str:
    plan = project.user.get_plan()
    return (
        f"Your {plan.label} plan allows {plan.max_targets_per_project} targets per project. "
        "Remove one or upgrade your plan."
    )


def _reserve_target_slots(project: Project, wanted: int) -> int:
    """Count up to ``wanted`` new targets in ``stats.total_targets`` within the plan's limit;
    returns how many were granted. Compare-and-set on the counter, so two requests never
    both take the last slot."""
    if wanted <= 0:
        return 0
    limit = project.user.get_plan().max_targets_per_project
    projects = collection("projects")
    if limit is None:
        projects.update_one({"_id": project.pk}, {"$inc": {"stats.total_targets": wanted}})
        return wanted
    for _ in range(20):
        doc = projects.find_one({"_id": project.pk}, {"stats.total_targets": 1})
        if doc is None:
            return 0
        current = (doc.get("stats") or {}).get("total_targets") or 0
        granted = max(0, min(wanted, limit - current))
        if not granted:
            return 0
        swapped = projects.update_one(
            {"_id": project.pk, "stats.total_targets": current}, {"$inc": {"stats.total_targets": granted}}
        )
        if swapped.modified_count:
            return granted
    return 0


def _release_target_slots(project_id: ObjectId, count: int) -> None:
    if count > 0:
        collection("projects").update_one(
            {"_id": project_id, "stats.total_targets": {"$gte": count}},
            {"$inc": {"stats.total_targets": -count}},
        )


def caveat_for(platform: str) -> str:
    """What to know before collecting the platform (a cap on reachable reviews...)."""
    return CAVEATS.get(platform, "")


def sort_orders(platform: str) -> tuple[str, ...]:
    """The sort orders a platform's collector accepts (empty: the platform has no choice)."""
    return SORT_ORDERS.get(platform, ())


def target_options(recognition: Recognition, given: dict | None = None) -> dict:
    """The platform's default options overridden by what the user gave, checked.

    Raises ``ActionRefused`` (with the field) for a sort order the platform does not have
    or a country that is not a two-letter code.
    """
    options = {k: v for k, v in (recognition.default_options or {}).items() if k in _OPTION_FIELDS}
    for key, raw in (given or {}).items():
        value = raw.strip() if isinstance(raw, str) else raw
        if key in _OPTION_FIELDS and value not in (None, ""):
            options[key] = value
    platform = Platform(recognition.platform)
    sort_by = (given or {}).get("sort_by", "").strip()
    if sort_by:
        allowed = sort_orders(platform)
        if not allowed:
            raise ActionRefused(f"{platform.label} targets have no sort order to choose.", field="sort_by")
        if sort_by.lower() not in allowed:
            raise ActionRefused(
                f"{platform.label} sorts by {', '.join(allowed)}, not “{sort_by}”.", field="sort_by"
            )
        options["sort_by"] = sort_by.lower()
    country = (given or {}).get("country", "").strip()
    if country:
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise ActionRefused("Give the country as a two-letter code such as us or de.", field="country")
        options["country"] = country.lower()
    return options


def _new_target(
    project: Project, recognition: Recognition, *, label: str, options: dict, extra_data: dict | None
) -> Target:
    data = {k: v for k, v in recognition.platform_data.items() if k in _PLATFORM_DATA_FIELDS}
    dropped = set(recognition.platform_data) - _PLATFORM_DATA_FIELDS
    if dropped:
        logger.warning("platform data %s of %s targets is not stored", sorted(dropped), recognition.platform)
    data.update(extra_data or {})
    if recognition.needs_resolution:
        data["needs_resolution"] = True
    return Target(
        project=project,
        user_id=project.user_id,
        url=recognition.url or recognition.canonical_url,
        canonical_url=recognition.canonical_url,
        label=(label or "").strip()[:200] or recognition.label[:200],
        platform=recognition.platform,
        detected_type=recognition.detected_type,
        platform_data=PlatformData(**data),
        options=TargetOptions(**options),
        caveat=caveat_for(recognition.platform)[:500],
    )


def _insert_target(target: Target) -> Target:
    """Validate and insert; the (project, canonical_url) unique index settles races.

    The project and user come from the owner's own project, so their existence is not
    looked up again (that would be two queries per target of a bulk add).
    """
    try:
        target.full_clean(exclude=["project", "user"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ActionRefused(f"{field}: {' '.join(messages)}") from exc
    try:
        target.save(force_insert=True)
    except IntegrityError as exc:
        raise ActionRefused(DUPLICATE_MESSAGE) from exc
    return target


def add_target(
    project: Project,
    recognition: Recognition,
    *,
    label: str = "",
    options: dict | None = None,
    extra_data: dict | None = None,
) -> Target:
    """Add a recognised target: refused on an archived project, a duplicate (same canonical
    URL) or at the plan's targets-per-project limit. ``stats.total_targets`` follows."""
    ensure_writable(project)
    if Target.objects.filter(project=project, canonical_url=recognition.canonical_url).exists():
        raise ActionRefused(DUPLICATE_MESSAGE)
    checked = target_options(recognition, options)
    if not _reserve_target_slots(project, 1):
        raise ActionRefused(target_limit_message(project))
    try:
        return _insert_target(
            _new_target(project, recognition, label=label, options=checked, extra_data=extra_data)
        )
    except BaseException:
        _release_target_slots(project.pk, 1)
        raise


def add_url_target(
    project: Project,
    url: str,
    *,
    kind: str | None = None,
    label: str = "",
    options: dict | None = None,
    selectors: dict[str, str] | None = None,
) -> Target:
    """Recognise a pasted URL and add it. ``kind`` is ``"feed"`` or ``"web"`` to take any
    http(s) URL as that generic type; a web page keeps its CSS ``selectors``.

    Raises ``ActionRefused`` with the precise reason a URL is not a target.
    """
    ensure_writable(project)
    try:
        recognition = recognize(url, hint=kind or None)
    except UnrecognizedURL as exc:
        raise ActionRefused(_sentence(exc.message), field="url") from exc
    extra = {"selectors": {k: v for k, v in (selectors or {}).items() if v}} if selectors else None
    return add_target(project, recognition, label=label, options=options, extra_data=extra)


def _sentence(message: str) -> str:
    message = message.strip()
    return (message[:1].upper() + message[1:]).rstrip(".") + "."


def add_upload_target(project: Project, uploaded: UploadedFile, *, label: str = "") -> Target:
    """Add an uploaded CSV/JSON file of reviews as a file target; the same file twice in a
    project is a duplicate whatever its name. Raises ``ActionRefused`` saying why not."""
    ensure_writable(project)
    limit = settings.FILE_IMPORT_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise ActionRefused(f"The file is larger than the import limit of {limit:,} bytes.", field="file")
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ActionRefused(f"The file is larger than the import limit of {limit:,} bytes.", field="file")
    try:
        recognition = recognize_upload(uploaded.name or "", data)
    except UnrecognizedURL as exc:
        raise ActionRefused(_sentence(exc.message), field="file") from exc
    if Target.objects.filter(project=project, canonical_url=recognition.canonical_url).exists():
        raise ActionRefused("This file is already a target of the project.", field="file")
    relative = uploads.store(project.user_id, recognition, data)
    try:
        return add_target(project, recognition, label=label, extra_data={"file_path": relative})
    except BaseException:
        uploads.remove_if_unused(project.user_id, relative)
        raise


@dataclass
class BulkOutcome:
    """What a bulk add did: targets added, lines refused with their reason, repeated lines."""

    added: list[Target] = field(default_factory=list)
    invalid: list[InvalidLine] = field(default_factory=list)
    duplicates: list[DuplicateLine] = field(default_factory=list)

    @property
    def refused_text(self) -> str:
        """The refused lines, to paste back once fixed."""
        return "\n".join(line.raw for line in sorted(self.invalid))


def bulk_add(project: Project, *, text: str = "", csv_bytes: bytes | None = None) -> BulkOutcome:
    """Add every valid line of pasted text and/or an uploaded ``url,label`` CSV.

    Each line is recognised on its own: valid ones are added, invalid ones come back with
    their reason (unrecognised, already in the project, over the plan's limit), so one bad
    line never loses the good ones. Raises ``ActionRefused`` only when the input as a whole
    cannot be read (too many lines, not a CSV) or the project is archived.
    """
    ensure_writable(project)
    existing = set(
        Target.objects.filter(project=project)
        .exclude(canonical_url="")
        .values_list("canonical_url", flat=True)
    )
    outcome = BulkOutcome()
    parses = []
    try:
        if text and text.strip():
            parses.append(parse_bulk(text, existing=existing))
        if csv_bytes:
            parses.append(parse_bulk_csv(csv_bytes, existing=existing))
    except BulkParseError as exc:
        raise ActionRefused(_sentence(str(exc))) from exc
    valid = []
    first_line: dict[str, int] = {}
    for parse in parses:
        outcome.invalid += [line._replace(reason=_sentence(line.reason)) for line in parse.invalid]
        outcome.duplicates += parse.duplicates
        for line in parse.valid:
            canonical = line.recognition.canonical_url
            if canonical in first_line:  # in the pasted text and in the CSV: added once
                outcome.duplicates.append(
                    DuplicateLine(line.line_no, line.recognition.url, first_line[canonical])
                )
                continue
            first_line[canonical] = line.line_no
            valid.append(line)
    granted = _reserve_target_slots(project, len(valid))
    for index, line in enumerate(valid):
        raw = line.recognition.url or line.recognition.canonical_url
        if index >= granted:
            outcome.invalid.append(InvalidLine(line.line_no, raw, target_limit_message(project)))
            continue
        try:
            options = target_options(line.recognition)
            target = _new_target(
                project, line.recognition, label=line.label, options=options, extra_data=None
            )
            outcome.added.append(_insert_target(target))
        except ActionRefused as exc:
            _release_target_slots(project.pk, 1)
            outcome.invalid.append(InvalidLine(line.line_no, raw, exc.message))
    outcome.invalid.sort()
    return outcome


def set_target_paused(target: Target, paused: bool) -> Target:
    """Pause a target (jobs skip it) or make it active again."""
    ensure_writable(target.project)
    target.status = TargetStatus.PAUSED if paused else TargetStatus.ACTIVE
    target.save(update_fields=["status", "updated_at"])
    return target


def deletion_counts(project: Project) -> dict[str, int]:
    """What deleting the project removes, for the page that asks to confirm."""
    return {
        "targets": Target.objects.filter(project=project).count(),
        "results": project.stats.total_results,
        "jobs": collection("scrape_jobs").count_documents({"project_id": project.pk}),
    }


def delete_target(target: Target) -> None:
    """Delete a target whose results are gone (``analysis.removal.remove_target`` removes them
    first, with their statistics): its document, its place in the plan's targets per project,
    and its uploaded file when no other target uses it."""
    if collection("targets").delete_one({"_id": target.pk}).deleted_count:
        _release_target_slots(target.project_id, 1)
    if target.platform == Platform.FILE:
        uploads.remove_if_unused(target.user_id, target.platform_data.file_path)
