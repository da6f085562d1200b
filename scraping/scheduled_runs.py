"""Scheduled runs: the scrape job a schedule starts, and the run history of the job it closes.

The schedule itself (its time zone rules, its periodic task, the slot a run claims) is
``projects.schedules``; beat fires the task ``projects.run_schedule`` (its name is stored in
every schedule's periodic task), which calls :func:`run`. When a scheduled job closes,
:func:`on_job_finished` (a receiver of :data:`scraping.signals.job_finished`) adds it to the
schedule's run history.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bson import ObjectId

from projects import schedules
from projects.models import Project, RunStatus, Schedule
from scraping import jobs
from scraping.models import JobTrigger
from sentimatrix.refusals import Refused
from sentimatrix.when import format_when

logger = logging.getLogger(__name__)


def run(schedule_id: ObjectId | str, now: datetime | None = None) -> str:
    """Fire a schedule: start a scheduled job unless one is running. Returns what happened:
    ``started``, ``skipped`` (previous job still running), ``refused`` (no target, plan
    limit...), ``duplicate`` (this slot already ran), ``disabled`` or ``missing``."""
    return schedules.fire(schedule_id, _start, now)


def _start(schedule: Schedule, project: Project, now: datetime) -> str:
    running = jobs.active_job(project.pk)
    if running is None:
        try:
            jobs.start_job(project, trigger=JobTrigger.SCHEDULED)
        except Refused as exc:
            running = jobs.active_job(project.pk)  # lost a race with another start
            if running is None:
                schedules.record_run(schedule.pk, None, now, RunStatus.FAILED, message=exc.message)
                logger.info("schedule %s: run refused: %s", schedule.pk, exc)
                return "refused"
        else:
            return "started"
    message = f"The previous job (started {format_when(running.created_at, zone=True)}) was still running."
    schedules.record_run(schedule.pk, running.pk, now, RunStatus.SKIPPED, message=message)
    return "skipped"


def record_job_finished(job: dict) -> bool:
    """Append a closed scheduled job to its schedule's run history (once per job)."""
    if job.get("trigger") != JobTrigger.SCHEDULED:
        return False
    schedule_id = schedules.schedule_id_of(job["project_id"])
    if schedule_id is None:
        return False
    return schedules.record_run(
        schedule_id,
        job["_id"],
        job.get("created_at") or job.get("started_at"),
        job["status"],
        results_count=(job.get("stats") or {}).get("results_total", 0),
        message=job.get("error_message") or "",
        once=True,
    )


def on_job_finished(sender: object, job: dict, **kwargs: object) -> None:
    record_job_finished(job)
