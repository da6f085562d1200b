"""A worker killed with SIGKILL mid-job: the reaper re-queues its target, a new worker
finishes it, and no result is stored twice."""

import time

import pytest

from analysis.models import Result
from scraping import jobs, runner
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from tests.conftest import playback_env
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, steam_reviews
from tests.test_jobs import finished
from tests.workers import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_kill_9_mid_job_then_a_new_worker_finishes_without_duplicates(httpserver, output_dir):
    recorded = len(steam_reviews())
    serve_steam(httpserver, 4001, page_size=10)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=0.4)
    target = add_steam_target(project, 4001)
    env = playback_env(httpserver)

    first = WorkerProcess(output_dir / "killed-worker.log", concurrency=1, **env)
    first.wait_ready()
    job = jobs.start_job(project, triggered_by=user)
    try:
        wait_for(lambda: Result.objects.filter(target=target).count() >= 20)
    finally:
        first.kill()
    collected_before = Result.objects.filter(target=target).count()
    assert collected_before < recorded
    assert ScrapeJob.objects.get(pk=job.pk).status == JobStatus.RUNNING

    # The heartbeat goes stale; the reaper (beat runs it periodically) re-queues the target.
    time.sleep(1.5)
    report = jobs.reap_stale_targets(stale_after=1)
    assert report["requeued"] == 1

    second = WorkerProcess(output_dir / "second-worker.log", concurrency=1, **env)
    try:
        second.wait_ready()
        job = wait_for(lambda: finished(job.pk), timeout=120)
    finally:
        second.kill()
    assert job.status == JobStatus.COMPLETED
    assert job.targets[0].attempts == 2
    assert Result.objects.filter(target=target).count() == recorded
    assert collection("results").count_documents({"target_id": target.pk}) == recorded
    platform_ids = collection("results").distinct("content.platform_id", {"target_id": target.pk})
    assert len(platform_ids) == recorded


def test_a_target_that_keeps_killing_its_worker_fails_after_the_attempt_limit(settings):
    user = make_user()
    project = make_project(user)
    target = add_steam_target(project, 4002)
    job = jobs.start_job(project, triggered_by=user)
    # Simulate workers that died on every attempt: claim, go silent, reap.
    for _ in range(settings.SCRAPE_MAX_ATTEMPTS):
        assert runner.claim(job.pk, target.pk) is not None
        collection("scrape_jobs").update_one({"_id": job.pk}, {"$set": {"targets.0.heartbeat_at": None}})
        jobs.reap_stale_targets(stale_after=0)
    job = ScrapeJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED
    assert "stopped responding" in job.targets[0].error
