"""Schedules: the periodic task each one owns, next_run across DST, runs, history, pages."""

import itertools
import json
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import include, path, reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from projects import schedules
from projects.models import ProjectStatus, RunStatus, Schedule
from scraping import jobs, scheduled_runs
from scraping.models import JobStatus, JobTrigger, ScrapeJob
from sentimatrix import urls as root_urls
from sentimatrix.mongo import collection
from tests.factories import add_steam_target, make_user

# The schedule pages are served from projects.schedule_urls under "schedules/"; until the
# root URLconf includes it, these tests mount it on top of the root routes themselves.
urlpatterns = list(root_urls.urlpatterns)
if not any(getattr(p, "urlconf_name", None) == "projects.schedule_urls" for p in urlpatterns):
    urlpatterns.append(path("schedules/", include("projects.schedule_urls")))

pytestmark = pytest.mark.urls(__name__)

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


@pytest.fixture(autouse=True)
def _clock_away_from_dst(seed_clock):
    """Offsets and next runs are computed from "now": a fixed summer instant keeps a DST change
    from falling between the product's computation and the test's."""
    return seed_clock


def periodic_task(schedule) -> PeriodicTask:
    return PeriodicTask.objects.get(name=schedules.periodic_task_name(schedule.pk))


def beat_firings(crontab: CrontabSchedule, start: datetime, end: datetime) -> list[datetime]:
    """When beat fires a task on ``crontab`` between start and end: the crontab's own
    ``is_due`` loop (as django-celery-beat's scheduler runs it) on a simulated clock."""
    crontab = crontab.schedule
    clock = [start]
    crontab.nowfun = lambda: clock[0].astimezone(crontab.tz)
    last, fired = start, []
    while clock[0] < end:
        due, wait = crontab.is_due(last)
        if due:
            fired.append(clock[0])
            last = clock[0]
        clock[0] += timedelta(seconds=min(max(wait, 1.0), 600))
    return fired


def in_memory(**data) -> Schedule:
    """An unsaved schedule: next_run and the crontab fields need no database."""
    return Schedule(**{"frequency": "daily", "time": "06:00", "timezone": "UTC", **data})


def crontab_of(schedule: Schedule, at: datetime) -> CrontabSchedule:
    return CrontabSchedule(**schedules.crontab_fields(schedule, at=at))


def run_chain(schedule, start: datetime, end: datetime) -> list[datetime]:
    runs, at = [], start
    while (at := schedules.next_run(schedule, after=at)) < end:
        runs.append(at)
    return runs


def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(zoneinfo.ZoneInfo(zone))


# --- schedule -> periodic task ----------------------------------------------------------------

MAPPING_CASES = [
    ({"frequency": "daily", "time": "06:30", "timezone": BERLIN}, {"minute": "30", "hour": "6"}),
    (
        {"frequency": "weekly", "time": "09:15", "timezone": NEW_YORK, "day_of_week": 0},
        {"minute": "15", "hour": "9", "day_of_week": "1"},  # Monday; cron counts from Sunday
    ),
    (
        {"frequency": "weekly", "time": "23:05", "timezone": "Asia/Tokyo", "day_of_week": 6},
        {"minute": "5", "hour": "23", "day_of_week": "0"},  # Sunday
    ),
    (
        {"frequency": "monthly", "time": "00:00", "timezone": "Australia/Sydney", "day_of_month": 28},
        {"minute": "0", "hour": "0", "day_of_month": "28"},
    ),
    ({"frequency": "daily", "time": "12:00", "timezone": "UTC"}, {"minute": "0", "hour": "12"}),
]


def test_saving_creates_one_periodic_task_with_a_crontab_in_the_schedule_time_zone(project):
    for data, expected in MAPPING_CASES:
        schedule = schedules.save_schedule(project, data)

        assert PeriodicTask.objects.filter(name__startswith="schedule:").count() == 1
        task = periodic_task(schedule)
        assert task.task == "projects.run_schedule" and task.enabled
        assert json.loads(task.args) == [str(schedule.pk)]
        fields = {"day_of_week": "*", "day_of_month": "*", "month_of_year": "*", **expected}
        assert {name: getattr(task.crontab, name) for name in fields} == fields
        assert str(task.crontab.timezone) == data["timezone"]
        # The crontab fires exactly at next_run, at the schedule's local time.
        start = datetime.now(UTC)
        first = beat_firings(task.crontab, start, start + timedelta(days=35))[0]
        assert abs((first - schedule.next_run).total_seconds()) < 1
        assert local(first, data["timezone"]).strftime("%H:%M") == data["time"]


def test_hourly_runs_use_a_utc_crontab_at_the_local_minute(project):
    for zone, minute in (("Europe/Berlin", 20), ("Asia/Kolkata", 15), ("Asia/Kathmandu", 0)):
        schedule = schedules.save_schedule(
            project, {"frequency": "hourly", "time": f"07:{minute:02d}", "timezone": zone}
        )

        crontab = periodic_task(schedule).crontab
        assert (crontab.hour, crontab.day_of_week, crontab.day_of_month) == ("*", "*", "*")
        assert str(crontab.timezone) == "UTC"
        offset = int(datetime.now(zoneinfo.ZoneInfo(zone)).utcoffset().total_seconds() // 60)
        assert int(crontab.minute) == (minute - offset) % 60
        assert local(schedule.next_run, zone).minute == minute
        assert timedelta(0) < schedule.next_run - datetime.now(UTC) <= timedelta(hours=1)


def test_saving_again_updates_the_same_task_and_drops_the_unused_crontab(project):
    schedule = schedules.save_schedule(project, {"frequency": "daily", "time": "06:00", "timezone": BERLIN})
    first_crontab = periodic_task(schedule).crontab_id

    schedule = schedules.save_schedule(project, {"frequency": "weekly", "time": "07:45", "day_of_week": 2})

    assert PeriodicTask.objects.filter(name__startswith="schedule:").count() == 1
    task = periodic_task(schedule)
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_week) == ("7", "45", "3")
    assert not CrontabSchedule.objects.filter(pk=first_crontab).exists()
    assert Schedule.objects.filter(project=project).count() == 1
    # Beat must not see the new time as a run missed since the last one.
    assert task.last_run_at is not None and datetime.now(UTC) - task.last_run_at < timedelta(minutes=1)


def test_next_run_is_mirrored_to_the_project_config(project):
    schedule = schedules.save_schedule(
        project, {"frequency": "weekly", "time": "08:00", "timezone": NEW_YORK, "day_of_week": 4}
    )
    project.refresh_from_db()
    mirrored = project.config.schedule
    assert mirrored.enabled and mirrored.frequency == "weekly" and mirrored.time == "08:00"
    assert mirrored.timezone == NEW_YORK and mirrored.days == [5]  # Friday, counted from Sunday
    assert mirrored.next_run_at == schedule.next_run
    assert collection("projects").find_one({"_id": project.pk}, {"config.schedule.next_run_at": 1})


def test_disabling_removes_the_task_and_enabling_recreates_it(project):
    schedule = schedules.save_schedule(project, {"frequency": "daily", "time": "05:00"})
    schedules.set_enabled(project, False)
    schedule.refresh_from_db()
    assert not PeriodicTask.objects.filter(name=schedules.periodic_task_name(schedule.pk)).exists()
    assert schedule.next_run is None and not schedule.enabled
    assert not CrontabSchedule.objects.filter(hour="5", minute="0").exists()

    schedules.set_enabled(project, True)
    schedule.refresh_from_db()
    assert periodic_task(schedule).enabled and schedule.next_run is not None


def test_removing_deletes_schedule_and_task(project):
    schedule = schedules.save_schedule(project, {"frequency": "hourly", "time": "00:10"})
    assert schedules.remove_schedule(project) is True
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
    assert not PeriodicTask.objects.filter(name__startswith="schedule:").exists()
    project.refresh_from_db()
    assert not project.config.schedule.enabled and project.config.schedule.next_run_at is None
    assert schedules.remove_schedule(project) is False


@pytest.mark.parametrize("status", [ProjectStatus.PAUSED, ProjectStatus.ARCHIVED])
def test_pausing_or_archiving_the_project_disables_its_schedule(project, status):
    schedule = schedules.save_schedule(project, {"frequency": "daily", "time": "05:00"})
    project.status = status
    project.save()
    schedules.on_project_status_changed(project)

    schedule.refresh_from_db()
    assert not schedule.enabled
    assert not PeriodicTask.objects.filter(name=schedules.periodic_task_name(schedule.pk)).exists()
    with pytest.raises(ValidationError) as excinfo:
        schedules.set_enabled(project, True)
    assert "resume it first" in str(excinfo.value)


def test_schedule_defaults_to_the_users_time_zone_and_validates(user, project):
    user.settings.timezone = "Asia/Tokyo"
    user.save()
    project.refresh_from_db()
    schedule = schedules.save_schedule(project, {"frequency": "daily", "time": "06:00"})
    assert schedule.timezone == "Asia/Tokyo"
    for bad in (
        {"time": "25:00"},
        {"timezone": "Mars/Olympus"},
        {"frequency": "weekly", "day_of_week": None},
        {"frequency": "monthly", "day_of_month": 31},
    ):
        with pytest.raises(ValidationError):
            schedules.save_schedule(project, {"frequency": "daily", "time": "06:00", **bad})


# --- next_run across DST ----------------------------------------------------------------------

DST_CASES = [
    # zone, schedule, a window holding one DST change (start, days)
    (BERLIN, {"frequency": "daily", "time": "02:30"}, datetime(2024, 3, 28, tzinfo=UTC), 7),  # spring
    (BERLIN, {"frequency": "daily", "time": "02:30"}, datetime(2024, 10, 24, tzinfo=UTC), 7),  # autumn
    (NEW_YORK, {"frequency": "daily", "time": "02:30"}, datetime(2024, 3, 7, tzinfo=UTC), 7),
    (NEW_YORK, {"frequency": "daily", "time": "01:30"}, datetime(2024, 10, 31, tzinfo=UTC), 7),
    (NEW_YORK, {"frequency": "daily", "time": "09:00"}, datetime(2024, 11, 1, tzinfo=UTC), 7),
    (
        BERLIN,
        {"frequency": "weekly", "time": "02:15", "day_of_week": 6},
        datetime(2024, 3, 17, tzinfo=UTC),
        22,
    ),
    (
        NEW_YORK,
        {"frequency": "weekly", "time": "08:00", "day_of_week": 0},
        datetime(2024, 10, 27, tzinfo=UTC),
        22,
    ),
    (
        BERLIN,
        {"frequency": "monthly", "time": "02:30", "day_of_month": 27},
        datetime(2024, 9, 20, tzinfo=UTC),
        50,
    ),
    (
        NEW_YORK,
        {"frequency": "monthly", "time": "02:30", "day_of_month": 10},
        datetime(2024, 2, 20, tzinfo=UTC),
        50,
    ),
]


def _transitions(zone: str, start: datetime, end: datetime) -> list[datetime]:
    tz, found, at = zoneinfo.ZoneInfo(zone), [], start
    while at < end:
        if (at + timedelta(hours=1)).astimezone(tz).utcoffset() != at.astimezone(tz).utcoffset():
            found.append(at)
        at += timedelta(hours=1)
    return found


@pytest.mark.parametrize(("zone", "data", "start", "days"), DST_CASES)
def test_dst_changes_neither_skip_nor_double_a_run_and_beat_agrees(zone, data, start, days):
    schedule = in_memory(**data, timezone=zone)
    end = start + timedelta(days=days)
    assert _transitions(zone, start, end), "the window must hold a DST change"

    runs = run_chain(schedule, start, end)
    local_runs = [local(run, zone) for run in runs]

    # One run per due local date, none missing, none doubled.
    dates = [run.date() for run in local_runs]
    assert len(dates) == len(set(dates))
    first, last = dates[0], dates[-1]
    due = [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if schedules._runs_on(schedule, first + timedelta(days=n))
    ]
    assert dates == due
    # At the schedule's wall time; a skipped time one gap later, a repeated one only first.
    tz = zoneinfo.ZoneInfo(zone)
    for run in local_runs:
        wall = datetime.combine(run.date(), datetime.strptime(data["time"], "%H:%M").time())
        first, second = (wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
        if wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:  # skipped
            gap = first - second
            assert gap > timedelta(0) and run.replace(tzinfo=None) == wall + gap
        else:
            assert run.replace(tzinfo=None) == wall
            assert run.astimezone(UTC) == min(first, second)
    # Beat's crontab fires exactly then.
    fired = beat_firings(crontab_of(schedule, start), start, end)
    assert len(fired) == len(runs)
    assert all(abs((a - b).total_seconds()) < 1 for a, b in zip(fired, runs, strict=True))


@pytest.mark.parametrize(
    ("zone", "start"),
    [(BERLIN, datetime(2024, 10, 26, 20, tzinfo=UTC)), (NEW_YORK, datetime(2024, 3, 9, 23, tzinfo=UTC))],
)
def test_hourly_runs_stay_an_hour_apart_across_dst(zone, start):
    schedule = in_memory(frequency="hourly", time="00:30", timezone=zone)
    end = start + timedelta(hours=12)
    runs = run_chain(schedule, start, end)
    assert _transitions(zone, start, end)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(runs))
    assert all(local(run, zone).minute == 30 for run in runs)
    fired = beat_firings(crontab_of(schedule, start), start, end)
    assert fired == runs


def test_a_daily_run_keeps_its_local_time_so_dst_days_are_23_or_25_hours():
    schedule = in_memory(time="09:00", timezone=NEW_YORK)
    spring = run_chain(schedule, datetime(2024, 3, 8, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC))
    autumn = run_chain(schedule, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 5, tzinfo=UTC))
    assert {b - a for a, b in itertools.pairwise(spring)} == {
        timedelta(hours=24),
        timedelta(hours=23),
    }
    assert {b - a for a, b in itertools.pairwise(autumn)} == {
        timedelta(hours=24),
        timedelta(hours=25),
    }
    assert {f"{local(run, NEW_YORK):%H:%M}" for run in spring + autumn} == {"09:00"}


# --- runs -------------------------------------------------------------------------------------


def _scheduled(project, **data):
    return schedules.save_schedule(
        project, {"frequency": "daily", "time": "06:00", "timezone": "UTC", **data}
    )


def test_a_run_starts_a_scheduled_job_and_moves_next_run(project):
    add_steam_target(project, 7001)
    schedule = _scheduled(project)
    fired_at = schedules.previous_run(schedule, datetime.now(UTC))

    assert scheduled_runs.run(schedule.pk, now=fired_at) == "started"

    job = ScrapeJob.objects.get(project=project)
    assert job.trigger == JobTrigger.SCHEDULED and job.triggered_by_id is None
    schedule.refresh_from_db()
    assert schedule.last_run == fired_at
    assert schedule.next_run == schedules.next_run(schedule, after=fired_at)
    # The same slot delivered twice starts nothing more.
    assert scheduled_runs.run(schedule.pk, now=fired_at + timedelta(seconds=5)) == "duplicate"
    assert ScrapeJob.objects.filter(project=project).count() == 1


def test_a_run_is_skipped_and_recorded_while_the_previous_job_runs(user, project):
    add_steam_target(project, 7002)
    running = jobs.start_job(project, triggered_by=user)
    schedule = _scheduled(project)

    assert scheduled_runs.run(schedule.pk) == "skipped"

    schedule.refresh_from_db()
    entry = schedule.run_history[-1]
    assert entry.status == RunStatus.SKIPPED and entry.job_id == running.pk
    assert "still running" in entry.message
    assert schedule.last_run is not None
    assert ScrapeJob.objects.filter(project=project).count() == 1


def test_a_refused_run_is_recorded_as_failed_with_its_reason(project):
    schedule = _scheduled(project)  # no target

    assert scheduled_runs.run(schedule.pk) == "refused"

    entry = Schedule.objects.get(pk=schedule.pk).run_history[-1]
    assert entry.status == RunStatus.FAILED and entry.job_id is None
    assert "no active target" in entry.message


def test_a_closed_scheduled_job_is_appended_once_to_the_history(project):
    add_steam_target(project, 7003)
    schedule = _scheduled(project)
    scheduled_runs.run(schedule.pk)
    job = ScrapeJob.objects.get(project=project)
    # The worker's part, done by hand: the target finished with 12 results.
    collection("scrape_jobs").update_one(
        {"_id": job.pk},
        {
            "$set": {
                "targets.0.status": JobStatus.COMPLETED,
                "targets.0.results_count": 12,
                "stats.results_total": 12,
            },
            "$inc": {"stats.targets_completed": 1},
        },
    )

    assert jobs.finish_if_done(job.pk) is True
    jobs.announce_finished(job.pk)  # a second call adds nothing

    history = Schedule.objects.get(pk=schedule.pk).run_history
    assert len(history) == 1
    assert (history[0].job_id, history[0].status, history[0].results_count) == (job.pk, "completed", 12)


def test_manual_jobs_are_not_in_the_schedule_history(user, project):
    add_steam_target(project, 7004)
    schedule = _scheduled(project)
    job = jobs.start_job(project, triggered_by=user)
    jobs.cancel_job(job)
    assert Schedule.objects.get(pk=schedule.pk).run_history == []


def test_history_keeps_the_last_fifty_runs(project):
    schedule = _scheduled(project)
    start = datetime(2024, 1, 1, 6, tzinfo=UTC)
    for day in range(55):
        scheduled_runs.run(schedule.pk, now=start + timedelta(days=day))  # each refused: no target
    history = Schedule.objects.get(pk=schedule.pk).run_history
    assert len(history) == schedules.HISTORY_LIMIT
    assert history[0].started_at == start + timedelta(days=5)
    assert history[-1].started_at == start + timedelta(days=54)


def test_a_task_for_a_deleted_schedule_removes_its_periodic_task(project):
    schedule = _scheduled(project)
    collection("schedules").delete_one({"_id": schedule.pk})  # as erasing an account does
    assert scheduled_runs.run(schedule.pk) == "missing"
    assert not PeriodicTask.objects.filter(name=schedules.periodic_task_name(schedule.pk)).exists()


# --- pages ------------------------------------------------------------------------------------


def test_schedule_pages_edit_list_toggle_and_remove(client, user, project):
    user.settings.timezone = "Asia/Tokyo"
    user.save()
    client.force_login(user)
    url = reverse("schedules:edit", args=[project.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Asia/Tokyo" in page.content

    response = client.post(
        url,
        {"frequency": "weekly", "time": "07:30", "timezone": NEW_YORK, "day_of_week": "2", "enabled": "on"},
    )
    assert response.status_code == 302
    schedule = Schedule.objects.get(project=project)
    assert (schedule.frequency, schedule.day_of_week, schedule.timezone) == ("weekly", 2, NEW_YORK)
    assert periodic_task(schedule).enabled

    assert scheduled_runs.run(schedule.pk) == "refused"  # the project has no target yet
    schedule.refresh_from_db()
    listing = client.get(reverse("schedules:list")).content.decode()
    assert project.name in listing and "Every Wednesday at 07:30" in listing
    assert '<span class="chip negative">failed</span>' in listing
    assert "There is no active target" in client.get(url).content.decode()
    # The next run is shown in the viewer's zone (Tokyo), not the schedule's.
    shown = local(schedule.next_run, "Asia/Tokyo")
    assert f"{shown:%H:%M}" in listing

    assert client.post(reverse("schedules:toggle", args=[project.pk]), {"enabled": "0"}).status_code == 302
    assert not Schedule.objects.get(pk=schedule.pk).enabled
    assert client.post(reverse("schedules:remove", args=[project.pk])).status_code == 302
    assert not Schedule.objects.filter(project=project).exists()


def test_schedule_form_errors_are_shown(client, user, project):
    client.force_login(user)
    response = client.post(
        reverse("schedules:edit", args=[project.pk]),
        {"frequency": "monthly", "time": "07:30", "timezone": "UTC", "enabled": "on"},
    )
    assert response.status_code == 200
    assert b"Choose the day of the month" in response.content
    assert not Schedule.objects.filter(project=project).exists()


def test_schedule_pages_belong_to_their_owner(client, project):
    schedules.save_schedule(project, {"frequency": "daily", "time": "06:00"})
    other = make_user()
    client.force_login(other)
    assert client.get(reverse("schedules:edit", args=[project.pk])).status_code == 404
    assert client.post(reverse("schedules:toggle", args=[project.pk]), {"enabled": "0"}).status_code == 404
    assert client.post(reverse("schedules:remove", args=[project.pk])).status_code == 404
    assert project.name not in client.get(reverse("schedules:list")).content.decode()
    assert b"No schedules yet" in client.get(reverse("schedules:list")).content
    assert Schedule.objects.get(project=project).enabled

    client.logout()
    response = client.get(reverse("schedules:list"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
