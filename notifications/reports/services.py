"""Creating, changing and deleting report schedules (the pages and the API call these)."""

from __future__ import annotations

from notifications.models import ReportSchedule, normalise_addresses

FIELDS = ("name", "frequency", "weekday", "day_of_month", "hour", "recipients", "enabled")


def schedules_of(project) -> list[ReportSchedule]:
    """The project's report schedules, by name."""
    return list(ReportSchedule.objects.filter(project_id=project.pk).order_by("name", "pk"))


def _normalised(fields: dict) -> dict:
    if fields.get("recipients") is not None:
        fields = {**fields, "recipients": normalise_addresses(fields["recipients"])}
    return fields


def create_schedule(user, project, **fields) -> ReportSchedule:
    """A new schedule of the user's project; raises ``ValidationError`` with the field errors."""
    fields = _normalised(fields)
    schedule = ReportSchedule(user=user, project=project, **{k: v for k, v in fields.items() if k in FIELDS})
    schedule.full_clean()
    schedule.save()
    schedule.refresh_from_db()  # as stored: the database keeps times to the millisecond
    return schedule


def update_schedule(schedule: ReportSchedule, **fields) -> ReportSchedule:
    """Change the given fields (others are kept); raises ``ValidationError``."""
    fields = _normalised(fields)
    for name, value in fields.items():
        if name in FIELDS and value is not None:
            setattr(schedule, name, value)
    schedule.full_clean()
    # Only what a person edits: the sender claims periods and writes their progress (claimed_*,
    # sent_to, refused, last_period_end) and the unsubscribe page removes addresses while the
    # form is open; a whole-document save would undo them.
    schedule.save(update_fields=[*FIELDS, "updated_at"])
    schedule.refresh_from_db()  # as stored: the database keeps times to the millisecond
    return schedule


def delete_schedule(schedule: ReportSchedule) -> None:
    schedule.delete()
