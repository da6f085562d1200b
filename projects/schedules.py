"""Project schedules: the ``schedules`` collection, kept in sync with django-celery-beat.

Every enabled schedule owns exactly one ``PeriodicTask`` named ``schedule:<id>`` that
calls ``projects.run_schedule`` (a task of the scraping app, which starts the job: see
``scraping.scheduled_runs``) on a ``CrontabSchedule``; disabling or removing the
schedule deletes that task. ``next_run`` is computed here and mirrored to the project's
``config.schedule.next_run_at``.

Time-zone rules (the crontab and :func:`next_run` agree on them, and tests hold both to it):

- daily, weekly and monthly runs happen once per local date at the local ``time``. A
  time that a DST change skips (02:30 on a spring-forward night) runs at the same
  offset as before the change, i.e. shifted forward by the gap (03:30); a time that
  happens twice (autumn) runs at its first occurrence only. The crontab is written in
  the schedule's time zone and celery's time-zone-aware crontab behaves exactly so.
- hourly runs happen every 60 minutes of real time at the local minute of ``time``. Their
  crontab is written in UTC (minute shifted by the zone's offset, which matters for
  zones such as Asia/Kolkata): a crontab in the local zone would skip the repeated hour
  of an autumn night.

A run claims its slot with one conditional update on ``last_run``, so a task delivered
twice, a beat restart or a DST quirk never starts two jobs for one scheduled time.
"""

from __future__ import annotations

import json
import logging
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bson import ObjectId
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from accounts.models import User
from projects.models import Frequency, Project, ProjectStatus, Schedule
from sentimatrix.mongo import collection
from sentimatrix.timeutil import as_utc

logger = logging.getLogger(__name__)

TASK_NAME = "projects.run_schedule"
PERIODIC_TASK_PREFIX = "schedule:"
HISTORY_LIMIT = 50
# Beat and workers may disagree on the clock by this much; a run this close to the
# previous one's slot is the same run delivered twice.
SLOT_TOLERANCE = timedelta(seconds=60)
# The fields a user edits (the rest are kept by runs).
EDITABLE_FIELDS = ("frequency", "time", "timezone", "day_of_week", "day_of_month", "enabled")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- time arithmetic --------------------------------------------------------------------


def _hhmm(schedule: Schedule) -> tuple[int, int]:
    hours, minutes = schedule.time.split(":")
    return int(hours), int(minutes)


def _zone(schedule: Schedule) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(schedule.timezone or "UTC")


def _local_run(day: date, hour: int, minute: int, zone: zoneinfo.ZoneInfo) -> datetime:
    # fold=0: a skipped wall time takes the offset in force before the change (so it runs
    # shifted forward by the gap) and a repeated one is its first occurrence.
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def _runs_on(schedule: Schedule, day: date) -> bool:
    if schedule.frequency == Frequency.WEEKLY:
        return day.weekday() == schedule.day_of_week
    if schedule.frequency == Frequency.MONTHLY:
        return day.day == schedule.day_of_month
    return True


def _hourly_minute_utc(schedule: Schedule, at: datetime) -> int:
    """The minute past each UTC hour at which the local minute of ``time`` falls."""
    offset = at.astimezone(_zone(schedule)).utcoffset()
    assert offset is not None  # a datetime in a zone always has an offset
    return (_hhmm(schedule)[1] - int(offset.total_seconds() // 60)) % 60


def _hour_start(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def next_run(schedule: Schedule, after: datetime | None = None) -> datetime:
    """The first run strictly after ``after`` (default: now), as an aware UTC datetime."""
    after = as_utc(after or timezone.now())
    if schedule.frequency == Frequency.HOURLY:
        candidate = _hour_start(after) + timedelta(minutes=_hourly_minute_utc(schedule, after))
        while candidate <= after:
            next_hour = _hour_start(candidate) + timedelta(hours=1)
            candidate = next_hour + timedelta(minutes=_hourly_minute_utc(schedule, next_hour))
        return candidate
    zone, (hour, minute) = _zone(schedule), _hhmm(schedule)
    first = after.astimezone(zone).date() - timedelta(days=1)
    # Day 28 at the latest exists in every month: two months always hold a run.
    for offset in range(64):
        day = first + timedelta(days=offset)
        if _runs_on(schedule, day):
            candidate = _local_run(day, hour, minute, zone)
            if candidate > after:
                return candidate
    raise AssertionError(f"no run within two months for {schedule!r}")  # pragma: no cover


def previous_run(schedule: Schedule, at: datetime) -> datetime:
    """The last run at or before ``at`` (UTC); the slot a firing at ``at`` belongs to."""
    at = as_utc(at)
    if schedule.frequency == Frequency.HOURLY:
        candidate = _hour_start(at) + timedelta(minutes=_hourly_minute_utc(schedule, at))
        if candidate > at:
            last_hour = _hour_start(at) - timedelta(hours=1)
            candidate = last_hour + timedelta(minutes=_hourly_minute_utc(schedule, last_hour))
        return candidate
    zone, (hour, minute) = _zone(schedule), _hhmm(schedule)
    last = at.astimezone(zone).date() + timedelta(days=1)
    for offset in range(64):
        day = last - timedelta(days=offset)
        if _runs_on(schedule, day):
            candidate = _local_run(day, hour, minute, zone)
            if candidate <= at:
                return candidate
    raise AssertionError(f"no run within two months for {schedule!r}")  # pragma: no cover


def describe(schedule: Schedule) -> str:
    """A sentence such as "Daily at 06:00 (Europe/Berlin)", for pages and emails."""
    minute = _hhmm(schedule)[1]
    if schedule.frequency == Frequency.HOURLY:
        when = f"Every hour at minute {minute:02d}"
    elif schedule.frequency == Frequency.WEEKLY:
        when = f"Every {WEEKDAYS[schedule.day_of_week or 0]} at {schedule.time}"
    elif schedule.frequency == Frequency.MONTHLY:
        when = f"Monthly on day {schedule.day_of_month} at {schedule.time}"
    else:
        when = f"Daily at {schedule.time}"
    return f"{when} ({schedule.timezone})"


# --- the periodic task ----------------------------------------------------------------


def periodic_task_name(schedule_id: ObjectId | str) -> str:
    return f"{PERIODIC_TASK_PREFIX}{schedule_id}"


def crontab_fields(schedule: Schedule, at: datetime | None = None) -> dict:
    """The ``CrontabSchedule`` fields that fire ``schedule`` (see the module notes)."""
    hour, minute = _hhmm(schedule)
    if schedule.frequency == Frequency.HOURLY:
        utc_minute = _hourly_minute_utc(schedule, as_utc(at or timezone.now()))
        return {
            "minute": str(utc_minute),
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            "timezone": "UTC",
        }
    fields = {
        "minute": str(minute),
        "hour": str(hour),
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": schedule.timezone,
    }
    if schedule.frequency == Frequency.WEEKLY:
        fields["day_of_week"] = str(((schedule.day_of_week or 0) + 1) % 7)  # cron counts from Sunday
    elif schedule.frequency == Frequency.MONTHLY:
        fields["day_of_month"] = str(schedule.day_of_month)
    return fields


def _crontab(fields: dict) -> CrontabSchedule:
    existing = CrontabSchedule.objects.filter(**fields).order_by("pk").first()
    return existing or CrontabSchedule.objects.create(**fields)


def _drop_crontab_if_unused(crontab_id: ObjectId | None) -> None:
    # Crontab rows may be shared (the admin reuses them); deleting one cascades to its tasks.
    if crontab_id and not PeriodicTask.objects.filter(crontab_id=crontab_id).exists():
        CrontabSchedule.objects.filter(pk=crontab_id).delete()


def _delete_periodic_task(schedule_id: ObjectId | str) -> None:
    task = PeriodicTask.objects.filter(name=periodic_task_name(schedule_id)).first()
    if task is not None:
        crontab_id = task.crontab_id
        task.delete()
        _drop_crontab_if_unused(crontab_id)


def _sync_periodic_task(schedule: Schedule) -> None:
    if not schedule.enabled:
        _delete_periodic_task(schedule.pk)
        return
    crontab = _crontab(crontab_fields(schedule))
    task = PeriodicTask.objects.filter(name=periodic_task_name(schedule.pk)).first()
    previous_crontab = task.crontab_id if task is not None else None
    args = json.dumps([str(schedule.pk)])
    if (
        task is not None
        and previous_crontab == crontab.pk
        and task.enabled
        and task.task == TASK_NAME
        and task.args == args
    ):
        return
    task = task or PeriodicTask(name=periodic_task_name(schedule.pk))
    task.task = TASK_NAME
    task.args = args
    task.kwargs = "{}"
    task.crontab = crontab
    task.interval = task.solar = task.clocked = None
    task.one_off = False
    task.enabled = True
    task.description = f"{describe(schedule)}: scrape project {schedule.project_id}"
    # Beat measures "due" from last_run_at: a changed time must not look like a missed run.
    task.last_run_at = timezone.now()
    task.save()
    if previous_crontab and previous_crontab != crontab.pk:
        _drop_crontab_if_unused(previous_crontab)


def _mirror_config(schedule: Schedule) -> None:
    """Copy the schedule into the project's ``config.schedule`` (one $set, nothing else)."""
    days = [((schedule.day_of_week or 0) + 1) % 7] if schedule.frequency == Frequency.WEEKLY else []
    collection("projects").update_one(
        {"_id": schedule.project_id},
        {
            "$set": {
                "config.schedule": {
                    "enabled": schedule.enabled,
                    "frequency": schedule.frequency,
                    "time": schedule.time,
                    "timezone": schedule.timezone,
                    "days": days,
                    "next_run_at": schedule.next_run,
                }
            }
        },
    )


def sync(schedule: Schedule, now: datetime | None = None) -> Schedule:
    """Bring the periodic task, ``next_run`` and the project's config in line with ``schedule``."""
    _sync_periodic_task(schedule)
    schedule.next_run = next_run(schedule, after=now) if schedule.enabled else None
    collection("schedules").update_one({"_id": schedule.pk}, {"$set": {"next_run": schedule.next_run}})
    _mirror_config(schedule)
    return schedule


# --- editing ------------------------------------------------------------------------------


def user_timezone(user: User) -> str:
    return getattr(getattr(user, "settings", None), "timezone", "") or "UTC"


def get_schedule(project: Project) -> Schedule | None:
    return Schedule.objects.filter(project_id=project.pk).first()


def new_schedule(project: Project) -> Schedule:
    """An unsaved schedule with the defaults a form starts from (daily, the user's time zone)."""
    return Schedule(project=project, user_id=project.user_id, timezone=user_timezone(project.user))


def save_schedule(project: Project, data: dict) -> Schedule:
    """Create or update the project's schedule from ``data`` (any of :data:`EDITABLE_FIELDS`).

    Raises ``ValidationError`` (by field) when the data is invalid, or when a schedule is
    enabled on a paused or archived project.
    """
    existing = get_schedule(project)
    adding = existing is None
    schedule = new_schedule(project) if existing is None else existing
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(schedule, name, data[name])
    if not schedule.timezone:
        schedule.timezone = user_timezone(project.user)
    # Keep only the day field the frequency uses.
    if schedule.frequency != Frequency.WEEKLY:
        schedule.day_of_week = None
    if schedule.frequency != Frequency.MONTHLY:
        schedule.day_of_month = None
    if schedule.enabled and project.status != ProjectStatus.ACTIVE:
        raise ValidationError(
            {"enabled": f"This project is {project.get_status_display().lower()}; resume it first."}
        )
    schedule.full_clean(exclude=["project", "user", "run_history"], validate_unique=False)
    if adding:
        schedule.save(force_insert=True)
    else:
        # Runs push to run_history and set last_run concurrently: never write those back.
        schedule.save(update_fields=[*EDITABLE_FIELDS, "updated_at"])
    return sync(schedule)


def set_enabled(project: Project, enabled: bool) -> Schedule | None:
    """Enable or disable the project's schedule (None if it has none)."""
    schedule = get_schedule(project)
    if schedule is None:
        return None
    if enabled and project.status != ProjectStatus.ACTIVE:
        raise ValidationError(
            {"enabled": f"This project is {project.get_status_display().lower()}; resume it first."}
        )
    schedule.enabled = enabled
    Schedule.objects.filter(pk=schedule.pk).update(enabled=enabled, updated_at=timezone.now())
    return sync(schedule)


def remove_schedule(project: Project) -> bool:
    """Delete the project's schedule and its periodic task; True if there was one."""
    removed = False
    for schedule_id in Schedule.objects.filter(project_id=project.pk).values_list("pk", flat=True):
        _delete_periodic_task(schedule_id)
        removed = True
    Schedule.objects.filter(project_id=project.pk).delete()
    collection("projects").update_one(
        {"_id": project.pk},
        {"$set": {"config.schedule.enabled": False, "config.schedule.next_run_at": None}},
    )
    return removed


def on_user_erasing(sender: object, user: User, **kwargs: object) -> None:
    """Receiver of ``accounts.signals.user_erasing``: the user's schedules and their beat
    entries go (beat's tables are not among the collections the erasure empties)."""
    for project in Project.objects.filter(user=user):
        remove_schedule(project)


def on_project_status_changed(project: Project) -> None:
    """Pausing or archiving a project disables its schedule (resuming leaves it off)."""
    if project.status != ProjectStatus.ACTIVE:
        schedule = get_schedule(project)
        if schedule is not None and schedule.enabled:
            set_enabled(project, False)


def schedules_of(user: User) -> list[Schedule]:
    """The user's schedules with their projects, soonest next run first (disabled last)."""
    schedules = list(Schedule.objects.filter(user_id=user.pk).select_related("project"))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(schedules, key=lambda s: (not s.enabled, s.next_run or far, s.project.name.lower()))


# --- runs ---------------------------------------------------------------------------------
#
# A run starts a scrape job, which is the scraping app's to do: ``scraping.scheduled_runs``
# fires the schedule with how to start one and records here how each scheduled job ended.


def _history_entry(
    job_id: ObjectId | None,
    started_at: datetime | None,
    status: str,
    results_count: int | None = 0,
    message: str = "",
) -> dict:
    return {
        "job_id": job_id,
        "started_at": started_at,
        "status": status,
        "results_count": int(results_count or 0),
        "message": message[:500],
    }


def _push_history(schedule_id: ObjectId, entry: dict, extra_filter: dict | None = None) -> bool:
    result = collection("schedules").update_one(
        {"_id": schedule_id, **(extra_filter or {})},
        {"$push": {"run_history": {"$each": [entry], "$slice": -HISTORY_LIMIT}}},
    )
    return bool(result.modified_count)


def schedule_id_of(project_id: ObjectId) -> ObjectId | None:
    """The id of the project's schedule, None when it has none."""
    schedule = collection("schedules").find_one({"project_id": project_id}, {"_id": 1})
    return schedule["_id"] if schedule is not None else None


def record_run(
    schedule_id: ObjectId,
    job_id: ObjectId | None,
    started_at: datetime | None,
    status: str,
    *,
    results_count: int | None = 0,
    message: str = "",
    once: bool = False,
) -> bool:
    """Append a run to the schedule's history, which keeps the last :data:`HISTORY_LIMIT`.

    With ``once``, a job already in the history (other than as skipped) is not added again, so
    recording a closed job twice adds it once. True when the entry was added.
    """
    entry = _history_entry(job_id, started_at, status, results_count, message)
    # The filter makes a second call for the same job a no-op.
    once_filter = {"run_history": {"$not": {"$elemMatch": {"job_id": job_id, "status": {"$ne": "skipped"}}}}}
    return _push_history(schedule_id, entry, once_filter if once else None)


def fire(
    schedule_id: ObjectId | str,
    start: Callable[[Schedule, Project, datetime], str],
    now: datetime | None = None,
) -> str:
    """Fire a schedule: claim its slot, call ``start(schedule, project, now)`` (which starts a
    job, or records why not, and says what happened), then move ``next_run`` on. Returns what
    ``start`` said, or ``duplicate`` (this slot already ran), ``disabled`` or ``missing``."""
    now = as_utc(now or timezone.now())
    schedule = Schedule.objects.filter(pk=ObjectId(str(schedule_id))).select_related("project").first()
    if schedule is None:
        # Erased with its owner's data while the periodic task lived on.
        _delete_periodic_task(schedule_id)
        return "missing"
    if not schedule.enabled:
        return "disabled"
    slot = previous_run(schedule, now + SLOT_TOLERANCE)
    claimed = collection("schedules").update_one(
        {
            "_id": schedule.pk,
            "enabled": True,
            "$or": [{"last_run": None}, {"last_run": {"$lt": slot - SLOT_TOLERANCE}}],
        },
        {"$set": {"last_run": now}},
    )
    if not claimed.modified_count:
        return "duplicate"
    outcome = start(schedule, schedule.project, now)
    schedule.last_run = now
    if schedule.frequency == Frequency.HOURLY:
        # Zones whose offset moves by half an hour shift the UTC minute of hourly runs.
        _sync_periodic_task(schedule)
    schedule.next_run = next_run(schedule, after=now)
    collection("schedules").update_one({"_id": schedule.pk}, {"$set": {"next_run": schedule.next_run}})
    _mirror_config(schedule)
    return outcome
