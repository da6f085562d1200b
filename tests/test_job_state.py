"""The job and target state machine: every allowed change works on a real job document, and
nothing moves an ended target or a closed job again."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from bson import ObjectId

from scraping import job_state
from scraping.job_state import (
    CANCELLED,
    COMPLETED,
    FAILED,
    JOB_TRANSITIONS,
    QUEUED,
    RUNNING,
    TARGET_TRANSITIONS,
    IllegalTransition,
)
from scraping.models import JobStats, JobStatus, JobTarget, ScrapeJob
from sentimatrix.mongo import collection

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=5)


def make_job(project, target_states, job_status=QUEUED, **job_fields):
    """A job of ``project`` whose targets are in ``target_states``; answers (job id, target ids)."""
    targets = [ObjectId() for _ in target_states]
    job = ScrapeJob(
        project=project,
        user_id=project.user_id,
        targets=[JobTarget(target_id=t, heartbeat_at=EARLIER) for t in targets],
        stats=JobStats(targets_total=len(targets)),
    )
    job.save(force_insert=True)
    fields = {f"targets.{i}.status": state for i, state in enumerate(target_states)}
    collection("scrape_jobs").update_one(
        {"_id": job.pk}, {"$set": {"status": job_status, **fields, **job_fields}}
    )
    return job.pk, targets


def document(job_id):
    return collection("scrape_jobs").find_one({"_id": job_id})


def entry(job_id, target_id):
    return next(t for t in document(job_id)["targets"] if t["target_id"] == target_id)


#: One way to make each change of the table, as the code makes it.
TARGET_MOVES = {
    (QUEUED, RUNNING): lambda job_id, target: job_state.claim_target(job_id, target["target_id"], NOW),
    (QUEUED, CANCELLED): lambda job_id, target: job_state.cancel_next_queued(job_id, NOW),
    (QUEUED, FAILED): lambda job_id, target: job_state.end_target(
        job_id, target["target_id"], FAILED, NOW, since=job_state.ACTIVE_STATUSES, error="gone"
    ),
    (RUNNING, COMPLETED): lambda job_id, target: job_state.end_target(
        job_id, target["target_id"], COMPLETED, NOW, results_count=7, available_total=9
    ),
    (RUNNING, FAILED): lambda job_id, target: job_state.end_target(
        job_id, target["target_id"], FAILED, NOW, error="blocked"
    ),
    (RUNNING, CANCELLED): lambda job_id, target: job_state.end_target(
        job_id, target["target_id"], CANCELLED, NOW, partial=True
    ),
    (RUNNING, QUEUED): lambda job_id, target: job_state.requeue(job_id, target, NOW),
}


def test_every_change_of_the_table_has_its_update():
    allowed = {(source, to) for source, targets in TARGET_TRANSITIONS.items() for to in targets}
    assert set(TARGET_MOVES) == allowed
    assert set(TARGET_TRANSITIONS) == set(JobStatus.values) == set(JOB_TRANSITIONS)


@pytest.mark.parametrize(("source", "to"), sorted(TARGET_MOVES))
def test_each_allowed_target_change_moves_only_its_target(project, source, to):
    job_id, (moved, other) = make_job(project, [source, source], job_status=RUNNING)

    assert TARGET_MOVES[source, to](job_id, entry(job_id, moved)).apply() is True

    assert entry(job_id, moved)["status"] == to
    assert entry(job_id, other)["status"] == source
    # The same update again finds nothing left to move (for this target: the one the
    # cancellation moves next is the other, still queued).
    if (source, to) != (QUEUED, CANCELLED):
        assert TARGET_MOVES[source, to](job_id, entry(job_id, moved)).apply() is False
        assert entry(job_id, moved)["status"] == to


@pytest.mark.parametrize(
    ("source", "to"),
    [
        (source, to)
        for source, to in product(JobStatus.values, JobStatus.values)
        if to not in TARGET_TRANSITIONS[source]
    ],
)
def test_a_change_outside_the_table_is_refused(source, to):
    with pytest.raises(IllegalTransition):
        job_state.move_target(ObjectId(), ObjectId(), [source], to)


@pytest.mark.parametrize("ended", [COMPLETED, FAILED, CANCELLED])
def test_a_stale_worker_cannot_reopen_an_ended_target(project, ended):
    job_id, (target,) = make_job(project, [ended], job_status=RUNNING)
    seen = {**entry(job_id, target), "status": RUNNING}
    before = document(job_id)

    stale = [
        job_state.claim_target(job_id, target, NOW),
        job_state.report_page(job_id, target, NOW, progress=50, new=3, requests=1),
        job_state.touch_queued(job_id, target, NOW),
        job_state.end_target(job_id, target, FAILED, NOW, since=job_state.ACTIVE_STATUSES, error="late"),
        job_state.end_target(job_id, target, COMPLETED, NOW),
        job_state.requeue(job_id, seen, NOW),
        job_state.give_up(job_id, seen, FAILED, NOW, error="late", results_count=0),
        job_state.cancel_next_queued(job_id, NOW),
    ]

    assert [update.apply() for update in stale] == [False] * len(stale)
    assert document(job_id) == before


def test_claiming_counts_the_attempt_and_marks_the_job_running(project):
    job_id, (first, second) = make_job(project, [QUEUED, QUEUED])

    assert job_state.claim_target(job_id, first, NOW).apply()
    claimed = entry(job_id, first)
    assert claimed["attempts"] == 1
    assert claimed["started_at"] == claimed["heartbeat_at"] == NOW
    assert document(job_id)["status"] == RUNNING
    # running → running: the second claim finds the job running already.
    assert job_state.claim_target(job_id, second, NOW).apply()
    assert document(job_id)["status"] == RUNNING


def test_no_target_is_claimed_once_the_job_is_being_cancelled_or_closed(project):
    cancelling, (target,) = make_job(project, [QUEUED], job_status=RUNNING)
    assert job_state.request_cancel(cancelling).apply()
    assert job_state.claim_target(cancelling, target, NOW).apply() is False

    closed, (target,) = make_job(project, [QUEUED], job_status=CANCELLED)
    assert job_state.claim_target(closed, target, NOW).apply() is False
    assert job_state.request_cancel(closed).apply() is False
    assert entry(closed, target)["status"] == QUEUED


def test_an_ended_target_counts_for_the_job(project):
    job_id, (failed, partial, cancelled) = make_job(project, [RUNNING, RUNNING, QUEUED], job_status=RUNNING)

    assert job_state.end_target(job_id, failed, FAILED, NOW, error="blocked").apply()
    assert job_state.end_target(job_id, partial, COMPLETED, NOW, partial=True, results_count=4).apply()
    assert job_state.cancel_next_queued(job_id, NOW).apply()

    job = document(job_id)
    assert job["stats"]["targets_completed"] == 3
    assert job["stats"]["errors_count"] == 1
    assert job["partial"] is True
    assert entry(job_id, failed)["error"] == "blocked"
    assert entry(job_id, partial)["results_count"] == 4
    for target in (failed, partial, cancelled):
        assert entry(job_id, target)["progress"] == 100
        assert entry(job_id, target)["finished_at"] == NOW


def test_the_reaper_leaves_a_target_whose_worker_wrote_a_heartbeat_since(project):
    job_id, (target,) = make_job(project, [RUNNING], job_status=RUNNING)
    seen = entry(job_id, target)
    assert job_state.report_page(job_id, target, NOW, progress=10, new=1, requests=1).apply()

    assert job_state.requeue(job_id, seen, NOW).apply() is False
    assert job_state.give_up(job_id, seen, FAILED, NOW, error="x", results_count=0).apply() is False
    assert entry(job_id, target)["status"] == RUNNING


@pytest.mark.parametrize(
    ("source", "to"),
    [(source, to) for source, targets in JOB_TRANSITIONS.items() for to in sorted(targets) if to != RUNNING],
)
def test_a_job_that_has_not_ended_closes_once(project, source, to):
    job_id, _ = make_job(project, [COMPLETED], job_status=source)

    assert job_state.close_job(job_id, to, NOW, error_message="", results_total=5).apply() is True
    job = document(job_id)
    assert (job["status"], job["progress"], job["stats"]["results_total"]) == (to, 100, 5)
    # A closed job never moves again.
    for again in (COMPLETED, FAILED, CANCELLED):
        assert job_state.close_job(job_id, again, NOW, error_message="late", results_total=0).apply() is False
    assert document(job_id)["status"] == to


def test_a_job_closes_only_into_an_end():
    with pytest.raises(IllegalTransition):
        job_state.close_job(ObjectId(), RUNNING, NOW, error_message="", results_total=0)


@pytest.mark.parametrize(
    ("targets", "cancel_requested", "expected"),
    [
        ([COMPLETED, FAILED], False, COMPLETED),
        ([FAILED, FAILED], False, FAILED),
        ([COMPLETED, CANCELLED], True, CANCELLED),
        ([COMPLETED, RUNNING], False, None),
        ([QUEUED], True, None),
    ],
)
def test_the_state_a_job_closes_in(targets, cancel_requested, expected):
    job = {
        "status": RUNNING,
        "cancel_requested": cancel_requested,
        "targets": [{"status": s} for s in targets],
    }
    assert job_state.closing_status(job) == expected
    assert job_state.closing_status({**job, "status": COMPLETED}) is None
