"""Scrape jobs run by a real Celery worker against recorded Steam responses."""

import time

import pytest
from werkzeug import Response

from analysis.models import Result
from scraping import jobs
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, serve_steam_appdetails, steam_reviews
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
RECORDED = len(steam_reviews())


def finished(job_id):
    job = ScrapeJob.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_targets_run_in_parallel_and_a_failing_target_does_not_fail_the_rest(
    celery_worker_process, httpserver
):
    serve_steam(httpserver, 1001, page_size=40)
    serve_steam(httpserver, 1002, page_size=40)
    httpserver.expect_request("/appreviews/1003").respond_with_handler(
        lambda request: Response("<html>Access denied</html>", content_type="text/html")
    )
    user = make_user()
    # Pages 0.8 s apart keep each good target busy for seconds, well past the broker's polling
    # delay, so that two free worker processes must have run them side by side.
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=0.8)
    good = [add_steam_target(project, 1001), add_steam_target(project, 1002)]
    bad = add_steam_target(project, 1003)

    job = jobs.start_job(project, triggered_by=user)
    job = wait_for(lambda: finished(job.pk))

    assert job.status == JobStatus.COMPLETED
    entries = {t.target_id: t for t in job.targets}
    for target in good:
        assert entries[target.pk].status == JobStatus.COMPLETED
        assert entries[target.pk].results_count == RECORDED
        assert Result.objects.filter(target=target).count() == RECORDED
        assert entries[target.pk].available_total == RECORDED
    assert entries[bad.pk].status == JobStatus.FAILED
    assert "layout" in entries[bad.pk].error or "JSON" in entries[bad.pk].error
    assert job.stats.targets_completed == 3 and job.stats.errors_count == 1
    assert job.stats.results_total == 2 * RECORDED
    # Both good targets were running at the same time on the two worker processes.
    first, second = (entries[t.pk] for t in good)
    assert first.started_at < second.finished_at and second.started_at < first.finished_at
    bad.refresh_from_db()
    assert bad.status == "error" and bad.error_message


def test_second_job_while_running_is_refused_and_a_rerun_adds_no_duplicates(
    celery_worker_process, httpserver
):
    serve_steam(httpserver, 2001, page_size=25)
    serve_steam_appdetails(httpserver, 2001, "Playback")  # the name is asked on the first run only
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=0.2)
    target = add_steam_target(project, 2001)
    job = jobs.start_job(project, triggered_by=user)
    with pytest.raises(jobs.JobRefused, match="already running"):
        jobs.start_job(project, triggered_by=user)
    wait_for(lambda: finished(job.pk))
    assert Result.objects.filter(target=target).count() == RECORDED

    again = jobs.start_job(project, triggered_by=user)
    again = wait_for(lambda: finished(again.pk))
    assert again.status == JobStatus.COMPLETED
    # Incremental: the first page held only stored reviews, so the run stopped there.
    assert again.stats.results_total == 0 and again.stats.requests_made == 1
    assert Result.objects.filter(target=target).count() == RECORDED
    assert collection("results").count_documents({"target_id": target.pk}) == RECORDED


def test_cancel_stops_a_running_job_within_seconds_and_keeps_what_was_collected(
    celery_worker_process, httpserver
):
    serve_steam(httpserver, 3001, page_size=10)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=1.0)
    target = add_steam_target(project, 3001)
    job = jobs.start_job(project, triggered_by=user)
    wait_for(lambda: Result.objects.filter(target=target).count() >= 10)
    jobs.cancel_job(ScrapeJob.objects.get(pk=job.pk))
    asked = time.monotonic()
    job = wait_for(lambda: finished(job.pk), timeout=30)
    # Stopped within seconds: left alone, the other pages would take a second each (16 in all).
    assert time.monotonic() - asked < 10
    assert job.status == JobStatus.CANCELLED
    kept = Result.objects.filter(target=target).count()
    assert 10 <= kept < RECORDED
    assert job.targets[0].status == JobStatus.CANCELLED and job.targets[0].partial
