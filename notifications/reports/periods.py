"""When a scheduled report is due, and which period it covers.

Everything is in the project's time zone (:func:`zone_of`): a week runs from Monday 00:00 to
the next Monday 00:00 there, a month from its first day's midnight to the next month's. A
report covers the last *full* period before ``now`` and is due once ``now`` has reached its
send moment: the schedule's weekday (weekly) or day of the month (monthly) at its hour, in the
period that follows the one reported on. Services take ``now``; nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifications.models import ReportFrequency, ReportSchedule
from projects.models import ProjectStatus

DEFAULT_ZONE = "UTC"


def zone_of(project) -> ZoneInfo:
    """The project's time zone: the one its scrape schedule is set in, unless that was left at
    the default (UTC), then its owner's (accounts settings), so a project nobody gave a zone
    still reports on its owner's calendar days."""
    zone = project.config.schedule.timezone or DEFAULT_ZONE
    if zone == DEFAULT_ZONE:
        zone = project.user.settings.timezone or DEFAULT_ZONE
    return ZoneInfo(zone)


@dataclass(frozen=True)
class Period:
    """A run of whole local days: ``first`` to ``last`` (inclusive), and the instants they span
    (``start`` inclusive, ``end`` exclusive, both aware, in UTC)."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def previous(self, frequency: str) -> Period:
        """The period of the same kind just before this one."""
        return period_ending(frequency, self.first, self.zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def period_ending(frequency: str, before: date, zone: ZoneInfo) -> Period:
    """The last full week (Monday to Sunday) or month that ends before the local day ``before``."""
    if frequency == ReportFrequency.MONTHLY:
        last = _month_start(before) - timedelta(days=1)
        return Period(_month_start(last), last, zone)
    monday = before - timedelta(days=before.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1), zone)


def last_full_period(schedule: ReportSchedule, zone: ZoneInfo, now: datetime) -> Period:
    """The period a report sent at ``now`` covers."""
    return period_ending(schedule.frequency, now.astimezone(zone).date(), zone)


def send_moment(schedule: ReportSchedule, period: Period) -> datetime:
    """When the report of ``period`` goes out (UTC): the schedule's day and hour, local, in
    the week or month after the period."""
    after = period.last + timedelta(days=1)  # a Monday, or the 1st of a month
    if schedule.frequency == ReportFrequency.MONTHLY:
        day = after.replace(day=schedule.day_of_month)
    else:
        day = after + timedelta(days=schedule.weekday)
    return datetime.combine(day, time(schedule.hour), tzinfo=period.zone).astimezone(UTC)


def due_period(schedule: ReportSchedule, now: datetime, zone: ZoneInfo | None = None) -> Period | None:
    """The period whose report is due at ``now``, else None: its send moment has come, it was
    not sent yet, and the schedule existed at that moment (a new schedule starts with the next
    period rather than mailing the one before it was made). An archived project sends nothing:
    it collects nothing new to report."""
    if not schedule.enabled or schedule.project.status == ProjectStatus.ARCHIVED:
        return None
    zone = zone or zone_of(schedule.project)
    period = last_full_period(schedule, zone, now)
    moment = send_moment(schedule, period)
    if now < moment or schedule.created_at > moment:
        return None
    if schedule.last_period_end is not None and schedule.last_period_end >= period.end:
        return None
    return period
