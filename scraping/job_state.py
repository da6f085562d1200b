"""The states of a scrape job and of each of its targets, and the only updates that move them.

A job's document is shared by every worker running one of its targets, the reaper and the
pages (cancel). Each change of state is therefore one conditional update: its filter names
the states the change may start from (taken from the tables below), so a task delivered
twice, a worker that lost its target to the reaper, or a cancellation racing a claim
changes nothing once the state moved on. An ended target never moves again.

Every function here builds a :class:`JobUpdate`; ``apply()`` runs it and answers whether
the document was in a state it applies to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from scraping.models import FINISHED_STATUSES, JobStatus
from sentimatrix.mongo import collection

QUEUED, RUNNING = JobStatus.QUEUED, JobStatus.RUNNING
COMPLETED, FAILED, CANCELLED = JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED

#: A job or target in one of these has not ended.
ACTIVE_STATUSES = [QUEUED, RUNNING]

#: Where a target entry of a job may go from each state.
TARGET_TRANSITIONS: dict[str, frozenset[str]] = {
    # claimed by a worker; cancelled before it ran; failed without running (target gone)
    QUEUED: frozenset({RUNNING, CANCELLED, FAILED}),
    # ended by its worker or given up by the reaper; re-queued by the reaper
    RUNNING: frozenset({COMPLETED, FAILED, CANCELLED, QUEUED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}

#: Where a job may go from each state.
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    # every claim of a target marks the job running (the second finds it running already);
    # a job closes once all its targets ended, possibly before any ran (all cancelled)
    QUEUED: frozenset({RUNNING, COMPLETED, FAILED, CANCELLED}),
    RUNNING: frozenset({RUNNING, COMPLETED, FAILED, CANCELLED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    """A change of state the tables do not allow was asked for (a programming error)."""


@dataclass(frozen=True)
class JobUpdate:
    """One conditional update of a ``scrape_jobs`` document."""

    filter: dict[str, Any]
    update: dict[str, Any]

    def apply(self) -> bool:
        """Run the update; False when the document was not in a state it applies to."""
        return bool(collection("scrape_jobs").update_one(self.filter, self.update).modified_count)


def _sources(table: Mapping[str, frozenset[str]], since: Iterable[str], to: str) -> list[str]:
    sources = list(since)
    refused = [state for state in sources if to not in table[state]]
    if not sources or refused:
        raise IllegalTransition(f"{', '.join(refused) or 'nothing'} → {to}")
    return sources


def _one_of(states: list[str]) -> object:
    return states[0] if len(states) == 1 else {"$in": states}


def _entry(
    job_id: ObjectId, target_id: ObjectId | None, states: list[str], match: Mapping[str, object]
) -> dict[str, Any]:
    """The job, when one of its target entries (the given one, or any) is in ``states``;
    the positional ``targets.$`` of the update then names that entry."""
    element: dict[str, object] = {} if target_id is None else {"target_id": target_id}
    element.update(status=_one_of(states), **match)
    return {"_id": job_id, "targets": {"$elemMatch": element}}


def _targeted(fields: Mapping[str, object]) -> dict[str, object]:
    return {f"targets.$.{name}": value for name, value in fields.items()}


def move_target(
    job_id: ObjectId,
    target_id: ObjectId | None,
    since: Iterable[str],
    to: str,
    *,
    fields: Mapping[str, object] | None = None,
    job_fields: Mapping[str, object] | None = None,
    inc: Mapping[str, int] | None = None,
    match: Mapping[str, object] | None = None,
) -> JobUpdate:
    """Move a target entry from one of ``since`` to ``to``, setting its ``fields`` (and the
    job's ``job_fields``, and incrementing ``inc``) in the same update. ``target_id`` None
    moves any one entry in those states; ``match`` adds conditions on the entry.

    Raises :class:`IllegalTransition` when the table has no ``since → to``.
    """
    sources = _sources(TARGET_TRANSITIONS, since, to)
    update: dict[str, Any] = {
        "$set": {"targets.$.status": to, **_targeted(fields or {}), **(job_fields or {})}
    }
    if inc:
        update["$inc"] = dict(inc)
    return JobUpdate(_entry(job_id, target_id, sources, match or {}), update)


# --- target transitions -------------------------------------------------------------------


def claim_target(job_id: ObjectId, target_id: ObjectId, now: datetime) -> JobUpdate:
    """queued → running for the worker that runs the target, unless the job ended or is
    being cancelled; marks the job running and counts the attempt."""
    update = move_target(
        job_id,
        target_id,
        [QUEUED],
        RUNNING,
        fields={"started_at": now, "heartbeat_at": now, "error": ""},
        job_fields={"status": RUNNING},
        inc={"targets.$.attempts": 1},
    )
    job_states = _sources(JOB_TRANSITIONS, ACTIVE_STATUSES, RUNNING)
    return JobUpdate(
        {**update.filter, "status": {"$in": job_states}, "cancel_requested": {"$ne": True}},
        update.update,
    )


def end_target(
    job_id: ObjectId,
    target_id: ObjectId | None,
    to: str,
    now: datetime,
    *,
    since: Iterable[str] = (RUNNING,),
    error: str = "",
    results_count: int | None = None,
    partial: bool = False,
    available_total: int | None = None,
    match: Mapping[str, object] | None = None,
    coverage: dict | None = None,
) -> JobUpdate:
    """End a target (completed, failed or cancelled): progress 100, its end time and error,
    and the job's count of ended targets (and of failed ones). A partial target makes the
    job partial. ``results_count``, ``available_total`` and ``coverage`` (a monitor's
    platforms) are set when given."""
    fields: dict[str, object] = {"progress": 100, "finished_at": now, "error": error, "partial": partial}
    if results_count is not None:
        fields["results_count"] = results_count
    if available_total is not None:
        fields["available_total"] = available_total
    if coverage is not None:
        fields["coverage"] = coverage
    return move_target(
        job_id,
        target_id,
        since,
        to,
        fields=fields,
        job_fields={"partial": True} if partial else None,
        inc={"stats.targets_completed": 1, "stats.errors_count": 1 if to == FAILED else 0},
        match=match,
    )


def cancel_next_queued(job_id: ObjectId, now: datetime) -> JobUpdate:
    """queued → cancelled for one queued target of the job (a positional update changes one
    array element at a time: apply it until it answers False)."""
    return end_target(job_id, None, CANCELLED, now, since=[QUEUED])


def requeue(job_id: ObjectId, seen: Mapping[str, Any], now: datetime) -> JobUpdate:
    """running → queued for a target whose worker went silent, provided its heartbeat is
    still the one the reaper saw (a late heartbeat means the worker lives)."""
    return move_target(
        job_id,
        seen["target_id"],
        [RUNNING],
        QUEUED,
        fields={"heartbeat_at": now},
        match={"heartbeat_at": seen.get("heartbeat_at")},
    )


def give_up(
    job_id: ObjectId, seen: Mapping[str, Any], to: str, now: datetime, *, error: str, results_count: int
) -> JobUpdate:
    """running → failed (too many attempts) or cancelled (the job was) for a target whose
    worker went silent, on the same condition as :func:`requeue`."""
    return end_target(
        job_id,
        seen["target_id"],
        to,
        now,
        error=error,
        results_count=results_count,
        match={"heartbeat_at": seen.get("heartbeat_at")},
    )


# --- updates within a state ---------------------------------------------------------------


def report_page(
    job_id: ObjectId, target_id: ObjectId, now: datetime, *, progress: int, new: int, requests: int
) -> JobUpdate:
    """A running target's heartbeat and counters after a page (nothing once it ended)."""
    return JobUpdate(
        _entry(job_id, target_id, [RUNNING], {}),
        {
            "$set": {"targets.$.heartbeat_at": now, "targets.$.progress": progress},
            "$inc": {
                "targets.$.results_count": new,
                "targets.$.requests_made": requests,
                "stats.results_total": new,
                "stats.requests_made": requests,
            },
        },
    )


def count_requests(job_id: ObjectId, target_id: ObjectId, requests: int) -> JobUpdate:
    """Requests a running target sent that no page reported (the attempts of a fetch that
    failed): counted on the target and the job like a page's."""
    return JobUpdate(
        _entry(job_id, target_id, [RUNNING], {}),
        {"$inc": {"targets.$.requests_made": requests, "stats.requests_made": requests}},
    )


def touch_queued(job_id: ObjectId, target_id: ObjectId, now: datetime) -> JobUpdate:
    """A queued target's heartbeat, when the reaper sends its task again."""
    return JobUpdate(_entry(job_id, target_id, [QUEUED], {}), {"$set": {"targets.$.heartbeat_at": now}})


# --- job transitions ----------------------------------------------------------------------


def mark_started(job_id: ObjectId, now: datetime) -> JobUpdate:
    """The job's start time, set by its first claimed target."""
    return JobUpdate({"_id": job_id, "started_at": None}, {"$set": {"started_at": now}})


def request_cancel(job_id: ObjectId) -> JobUpdate:
    """Ask a job that has not ended to stop: no target is claimed any more, and running
    ones stop after their current page."""
    return JobUpdate(
        {"_id": job_id, "status": {"$in": ACTIVE_STATUSES}}, {"$set": {"cancel_requested": True}}
    )


def closing_status(job: Mapping[str, Any]) -> str | None:
    """The state a job ends in once every target ended: cancelled when it was asked to,
    failed when every target failed, completed otherwise. None while it cannot close (a
    target has not ended, or the job already did)."""
    if job["status"] in FINISHED_STATUSES:
        return None
    statuses = [entry["status"] for entry in job["targets"]]
    if any(status not in FINISHED_STATUSES for status in statuses):
        return None
    if job.get("cancel_requested"):
        return CANCELLED
    if statuses and all(status == FAILED for status in statuses):
        return FAILED
    return COMPLETED


def close_job(
    job_id: ObjectId, to: str, now: datetime, *, error_message: str, results_total: int
) -> JobUpdate:
    """Close a job that has not ended (see :func:`closing_status`)."""
    sources = [state for state in JOB_TRANSITIONS if to in JOB_TRANSITIONS[state]]
    if to not in FINISHED_STATUSES:
        raise IllegalTransition(f"closing a job as {to}")
    return JobUpdate(
        {"_id": job_id, "status": {"$in": sources}},
        {
            "$set": {
                "status": to,
                "progress": 100,
                "completed_at": now,
                "error_message": error_message,
                "stats.results_total": results_total,
            }
        },
    )
