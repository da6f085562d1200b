"""Scrape jobs: start, run targets, finish, cancel, and recover from dead workers.

The job document in MongoDB is the source of truth, never the broker: kombu's
MongoDB transport deletes a message as soon as a worker fetches it, so a worker
killed mid-task loses it whatever ``acks_late`` says. Targets therefore carry
heartbeats, and ``reap_stale_targets`` (run by beat) re-queues a target whose
worker went silent, up to ``SCRAPE_MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from bson import ObjectId
from celery import current_app
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.usage import PlanLimitReached, consume
from projects.models import Project, ProjectStatus, Target, TargetStatus
from projects.services import ActionRefused, ensure_writable
from scraping import job_state, runner, signals
from scraping.models import (
    JobOptions,
    JobStats,
    JobStatus,
    JobTarget,
    JobTrigger,
    ScrapeJob,
)
from sentimatrix.mongo import collection
from sentimatrix.refusals import Refused

logger = logging.getLogger(__name__)


#: Target statuses a job collects (a target whose last run failed is tried again).
COLLECTABLE = ["active", "error"]


class JobRefused(Refused):
    """A job cannot start; the message says why (already running, paused, plan limit...)."""


def active_job(project_id: ObjectId) -> ScrapeJob | None:
    return (
        ScrapeJob.objects.filter(project_id=project_id, status__in=job_state.ACTIVE_STATUSES)
        .order_by("-created_at")
        .first()
    )


def collecting(target: Target) -> bool:
    """Whether a running job is collecting the target right now (queued or running)."""
    running = active_job(target.project_id)
    return running is not None and any(
        entry.target_id == target.pk and entry.status in job_state.ACTIVE_STATUSES
        for entry in running.targets
    )


def _lock_project(project_id: ObjectId, job_id: ObjectId) -> bool:
    """Take the project's single running-job slot (one conditional update)."""
    result = collection("projects").update_one(
        {"_id": project_id, "$or": [{"running_job_id": None}, {"running_job_id": {"$exists": False}}]},
        {"$set": {"running_job_id": job_id}},
    )
    return result.modified_count == 1


def _unlock_project(project_id: ObjectId, job_id: ObjectId) -> None:
    collection("projects").update_one(
        {"_id": project_id, "running_job_id": job_id}, {"$set": {"running_job_id": None}}
    )


def start_job(
    project: Project,
    *,
    trigger: str = JobTrigger.MANUAL,
    triggered_by: User | None = None,
    target_ids: list | None = None,
    options: JobOptions | None = None,
) -> ScrapeJob:
    """Create a queued job for the project's active targets (or the given ones) and send
    one task per target. Raises JobRefused with a message for the user (PlanLimitReached at the
    plan's monthly scrapes)."""
    if project.status == ProjectStatus.ARCHIVED:
        raise JobRefused("This project is archived; it is kept read-only.")
    if project.status == ProjectStatus.PAUSED and trigger == JobTrigger.SCHEDULED:
        raise JobRefused("This project is paused.")
    chosen = Target.objects.filter(project=project, status__in=COLLECTABLE)
    if target_ids is not None:
        chosen = chosen.filter(pk__in=[ObjectId(str(t)) for t in target_ids])
    targets = list(chosen.order_by("created_at"))
    if not targets:
        raise JobRefused("There is no active target to collect. Add a target or resume a paused one.")
    job_id = ObjectId()
    if not _lock_project(project.pk, job_id):
        running = active_job(project.pk)
        if running is not None:
            raise JobRefused("A job is already running for this project.")
        # The slot points at a job that no longer runs (deleted, or finished by a crash).
        collection("projects").update_one({"_id": project.pk}, {"$set": {"running_job_id": None}})
        if not _lock_project(project.pk, job_id):
            raise JobRefused("A job is already running for this project.")
    try:
        consume(project.user, "scrapes_this_month")
    except PlanLimitReached:
        _unlock_project(project.pk, job_id)
        raise
    now = timezone.now()
    job = ScrapeJob(
        pk=job_id,
        project=project,
        user_id=project.user_id,
        trigger=trigger,
        triggered_by=triggered_by,
        options=options or JobOptions(),
        targets=[JobTarget(target_id=t.pk, heartbeat_at=now) for t in targets],
        stats=JobStats(targets_total=len(targets)),
    )
    job.save(force_insert=True)
    dispatch(job.pk, [t.pk for t in targets])
    return job


def run_project(
    project: Project,
    *,
    user: User | None = None,
    target: Target | None = None,
    trigger: str = JobTrigger.MANUAL,
) -> ScrapeJob:
    """Start a job for the project's active targets, or for one target (the pages' "Run now"
    and "Scrape" buttons, the ``scrape`` command).

    Raises a :class:`~sentimatrix.refusals.Refused` with the reason (archived, a paused target,
    a job already running, no active target, plan limit).
    """
    ensure_writable(project)
    if target is not None and target.status == TargetStatus.PAUSED:
        raise ActionRefused("This target is paused; resume it to collect it.")
    return start_job(
        project, trigger=trigger, triggered_by=user, target_ids=[target.pk] if target is not None else None
    )


def failed_target_ids(job: ScrapeJob) -> list[ObjectId]:
    """The targets that failed in ``job``, in the job's order."""
    return [entry.target_id for entry in job.targets if entry.status == JobStatus.FAILED]


def retry_failed(job: ScrapeJob, *, user: User | None = None) -> ScrapeJob:
    """Start a new job for only the targets that failed in ``job`` (a finished job), with the
    same options (limit, date range, replies), through :func:`start_job`.

    Raises a :class:`~sentimatrix.refusals.Refused` with the reason: the job has not ended,
    none of its targets failed, a job is running, the project is read-only, or the failed
    targets were paused or removed since.
    """
    if not job.is_finished:
        raise JobRefused("This job is still running: wait for it to end before retrying its failed targets.")
    failed = failed_target_ids(job)
    if not failed:
        raise JobRefused("No target of this job failed: there is nothing to retry.")
    project = Project.objects.get(pk=job.project_id)
    ensure_writable(project)
    if active_job(project.pk) is not None:
        raise JobRefused("A job is already running for this project: retry once it has ended.")
    options = JobOptions(
        max_results=job.options.max_results,
        include_replies=job.options.include_replies,
        date_from=job.options.date_from,
        date_to=job.options.date_to,
    )
    if not Target.objects.filter(project=project, pk__in=failed, status__in=COLLECTABLE).exists():
        raise JobRefused(
            "The failed targets were paused or removed since: resume them on the project page to collect them."
        )
    return start_job(project, triggered_by=user, target_ids=failed, options=options)


def dispatch(job_id: ObjectId, target_ids: Iterable[ObjectId]) -> None:
    """Send one ``scraping.run_target`` task per target (by name: the tasks module runs this one)."""
    for target_id in target_ids:
        current_app.send_task("scraping.run_target", args=[str(job_id), str(target_id)])


def run_target(job_id: ObjectId, target_id: ObjectId) -> str:
    """Run one target if it is still queued; safe to call twice. Returns what happened."""
    job = runner.claim(job_id, target_id)
    if job is None:
        return "skipped"
    job_state.mark_started(job_id, timezone.now()).apply()
    target = collection("targets").find_one({"_id": target_id})
    project = collection("projects").find_one({"_id": job["project_id"]})
    if target is None or project is None:
        runner.fail_unclaimable(job_id, target_id, "the target was removed before it ran")
        finish_if_done(job_id)
        return "failed"
    outcome = runner.collect(job, target, project)
    if runner.finish_target(job_id, target, outcome):
        analyse_stored(job_id, target_id)
    finish_if_done(job_id)
    return outcome.status


def analyse_stored(job_id: ObjectId, target_id: ObjectId) -> None:
    """Have the analysis app queue whatever the job stored for this target, unanalysed
    (sent by name: analysis sits above scraping and listens)."""
    current_app.send_task("analysis.analyse_stored", args=[str(job_id), str(target_id)])


def finish_if_done(job_id: ObjectId) -> bool:
    """Close the job once every target has ended; True for the call that closed it."""
    job = collection("scrape_jobs").find_one({"_id": job_id})
    status = job_state.closing_status(job) if job is not None else None
    if job is None or status is None:
        return False
    failed = [t for t in job["targets"] if t["status"] == JobStatus.FAILED]
    message = ""
    if failed:
        message = f"{len(failed)} of {len(job['targets'])} targets failed: " + "; ".join(
            t.get("error", "")[:200] for t in failed[:3]
        )
    now = timezone.now()
    # Each target's count was set from what is stored when it ended; the job's is their sum.
    stored = sum(int(t.get("results_count") or 0) for t in job["targets"])
    closed = job_state.close_job(job_id, status, now, error_message=message, results_total=stored)
    if not closed.apply():
        return False
    _unlock_project(job["project_id"], job_id)
    collection("projects").update_one(
        {"_id": job["project_id"]},
        {"$set": {"stats.last_scrape_at": now}, "$inc": {"stats.total_scrapes": 1}},
    )
    announce_finished(job_id)
    return True


def announce_finished(job_id: ObjectId) -> None:
    """Send :data:`scraping.signals.job_finished` for a closed job (the schedule's history,
    webhooks, the failure email listen). Every receiver runs even when one fails; a failure is
    logged, never raised, since the job is closed already."""
    job = collection("scrape_jobs").find_one({"_id": job_id}, {"targets": 0})
    if job is None:
        return
    for receiver, outcome in signals.job_finished.send_robust(sender=ScrapeJob, job=job):
        if isinstance(outcome, Exception):
            logger.error(
                "job %s closed, but %s could not handle it",
                job_id,
                getattr(receiver, "__qualname__", receiver),
                exc_info=(type(outcome), outcome, outcome.__traceback__),
            )


def cancel_job(job: ScrapeJob) -> None:
    """Ask running targets to stop after their current page; queued ones stop now."""
    now = timezone.now()
    job_state.request_cancel(job.pk).apply()
    while job_state.cancel_next_queued(job.pk, now).apply():
        pass
    finish_if_done(job.pk)


def cancel_running(sender: object, project: Project, **kwargs: object) -> None:
    """Receiver of ``projects.signals.project_archived`` and ``project_deleting``: cancel the
    project's running job, so its workers stop after their current page."""
    running = active_job(project.pk)
    if running is not None:
        cancel_job(running)


def reap_stale_targets(stale_after: int | None = None, queued_after: int | None = None) -> dict:
    """Re-queue targets whose worker died, fail them after too many attempts.

    A running target whose heartbeat is older than ``stale_after`` seconds lost its
    worker; a queued target untouched for ``queued_after`` seconds lost its message.
    Returns counts of what it did.
    """
    stale_after = stale_after if stale_after is not None else settings.SCRAPE_HEARTBEAT_STALE_SECONDS
    queued_after = queued_after if queued_after is not None else settings.SCRAPE_QUEUED_STALE_SECONDS
    now = timezone.now()
    report = {"requeued": 0, "failed": 0, "closed": 0}
    for job in collection("scrape_jobs").find({"status": {"$in": job_state.ACTIVE_STATUSES}}):
        for entry in job["targets"]:
            status, beat = entry["status"], entry.get("heartbeat_at")
            if status == JobStatus.RUNNING and (beat is None or beat < now - timedelta(seconds=stale_after)):
                report[_recover(job, entry, now)] += 1
            elif status == JobStatus.QUEUED and (
                beat is None or beat < now - timedelta(seconds=queued_after)
            ):
                job_state.touch_queued(job["_id"], entry["target_id"], now).apply()
                dispatch(job["_id"], [entry["target_id"]])
                report["requeued"] += 1
        if finish_if_done(job["_id"]):
            report["closed"] += 1
    return report


def _recover(job: dict, entry: dict, now: datetime) -> str:
    target_id = entry["target_id"]
    cancelled = bool(job.get("cancel_requested"))
    if entry.get("attempts", 0) >= settings.SCRAPE_MAX_ATTEMPTS or cancelled:
        attempts = entry.get("attempts", 0)
        ended = job_state.give_up(
            job["_id"],
            entry,
            JobStatus.CANCELLED if cancelled else JobStatus.FAILED,
            now,
            error="" if cancelled else f"the worker stopped responding {attempts} times; giving up",
            results_count=runner.stored_by_job(job["_id"], target_id),
        )
        if ended.apply():
            analyse_stored(job["_id"], target_id)  # what the dead attempts stored still counts
        return "failed"
    if job_state.requeue(job["_id"], entry, now).apply():
        logger.warning("re-queueing target %s of job %s: heartbeat went stale", target_id, job["_id"])
        dispatch(job["_id"], [target_id])
    return "requeued"
