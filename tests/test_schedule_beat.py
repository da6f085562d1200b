"""A saved schedule fires through a real ``celery beat`` (DatabaseScheduler) and worker.

How it is triggered: the test saves a daily schedule whose local time is the next whole
minute at least a few seconds away, in a zone that is not UTC, then starts beat as a
subprocess (``-S django_celery_beat.schedulers:DatabaseScheduler --max-interval 1``). Beat
reads the periodic task that ``save_schedule`` wrote and fires it from its crontab, in
that zone; the module's worker runs ``projects.run_schedule`` and the scrape job against
the Steam playback server. So the test waits up to about 70 seconds for the minute.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from projects import schedules
from projects.models import Schedule
from scraping.models import JobStatus, JobTrigger, ScrapeJob
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, steam_reviews
from tests.test_jobs import finished
from tests.workers import ROOT, child_env, end_process, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ZONE = "America/Sao_Paulo"


class BeatProcess:
    """A ``celery beat`` subprocess on the database scheduler; ``stop()`` ends it."""

    def __init__(self, log_path, workdir, **env: str):
        self.log_path = log_path
        cmd = [
            sys.executable, "-m", "celery", "-A", "sentimatrix", "beat", "-l", "info",
            "-S", "django_celery_beat.schedulers:DatabaseScheduler", "--max-interval", "1",
            "--pidfile", str(workdir / "beat.pid"), "-s", str(workdir / "beat-schedule"),
        ]  # fmt: skip
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env(**env), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, timeout: float = 10) -> None:
        end_process(self.proc, signal.SIGTERM, timeout)
        self._log.close()


def next_minute(zone: str, lead: timedelta = timedelta(seconds=8)) -> datetime:
    """The first whole minute at least ``lead`` from now, in ``zone``."""
    soon = datetime.now(zoneinfo.ZoneInfo(zone)) + lead
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def test_beat_fires_a_saved_schedule_and_the_worker_runs_the_scheduled_job(
    celery_worker_process, httpserver, output_dir, tmp_path
):
    serve_steam(httpserver, 8101, page_size=50)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000)
    add_steam_target(project, 8101)
    when = next_minute(ZONE)
    schedule = schedules.save_schedule(
        project, {"frequency": "daily", "time": f"{when:%H:%M}", "timezone": ZONE, "enabled": True}
    )
    assert schedule.next_run == when.astimezone(UTC)

    beat = BeatProcess(output_dir / "beat.log", tmp_path)
    try:
        job = wait_for(lambda: ScrapeJob.objects.filter(project=project).first(), timeout=100, interval=0.5)
        started = datetime.now(UTC)
        job = wait_for(lambda: finished(job.pk), timeout=90)
    except AssertionError:
        pytest.fail(f"beat did not fire the schedule; beat log:\n{beat.log()}")
    finally:
        beat.stop()

    assert job.trigger == JobTrigger.SCHEDULED and job.status == JobStatus.COMPLETED
    # Fired at the scheduled minute (beat checks every second), not before.
    assert when.astimezone(UTC) <= job.created_at <= when.astimezone(UTC) + timedelta(seconds=30)
    assert started - job.created_at < timedelta(seconds=40)
    schedule = wait_for(lambda: (s := Schedule.objects.get(pk=schedule.pk)).run_history and s)
    entry = schedule.run_history[-1]
    assert (entry.job_id, entry.status, entry.results_count) == (job.pk, "completed", len(steam_reviews()))
    assert schedule.last_run is not None and schedule.last_run >= when.astimezone(UTC)
    # The next run is the same local time tomorrow.
    assert schedule.next_run == schedules.next_run(schedule, after=when)
    assert schedule.next_run.astimezone(zoneinfo.ZoneInfo(ZONE)).strftime("%H:%M") == f"{when:%H:%M}"
    assert ScrapeJob.objects.filter(project=project).count() == 1
