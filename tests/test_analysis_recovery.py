"""Every stored result gets analysed and counted, whatever happened to the worker that
stored it: rows of an attempt killed mid-target, batches lost with their worker, and results
an operator finds with ``rebuild_stats``."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from analysis import pipeline, stats
from projects.models import Project, Target
from scraping import job_progress, jobs, results_store
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from tests.conftest import playback_env
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, steam_reviews
from tests.results_seed import seed
from tests.test_jobs import finished
from tests.workers import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def unanalysed(query: dict) -> int:
    return sum(
        1
        for d in collection("results").find(query, {"analysis.engine": 1})
        if not results_store.is_analysed(d)
    )


def with_sentiment(project_id) -> int:
    """Results the statistics count: analysed with a sentiment and not excluded."""
    docs = collection("results").find(
        {"project_id": project_id}, {"analysis.sentiment.label": 1, "excluded": 1}
    )
    return sum(1 for d in docs if (d.get("analysis") or {}).get("sentiment") and not d.get("excluded"))


def daily_count(project_id) -> int:
    return sum(d.get("count", 0) for d in collection("daily_stats").find({"project_id": project_id}))


def test_rows_stored_by_a_killed_attempt_are_analysed_and_counted(httpserver, output_dir):
    recorded = len(steam_reviews())
    serve_steam(httpserver, 4101, page_size=10)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=0.4)
    target = add_steam_target(project, 4101)
    env = playback_env(httpserver)

    # The first worker takes scrapes only, so nothing it stored is analysed before it dies.
    first = WorkerProcess(output_dir / "recovery-killed.log", concurrency=1, queues="scrape", **env)
    first.wait_ready()
    job = jobs.start_job(project, triggered_by=user)
    try:
        wait_for(lambda: collection("results").count_documents({"target_id": target.pk}) >= 30)
    finally:
        first.kill()
    stored_by_dead_attempt = collection("results").count_documents({"target_id": target.pk})
    assert 30 <= stored_by_dead_attempt < recorded

    time.sleep(1.5)
    assert jobs.reap_stale_targets(stale_after=1)["requeued"] == 1
    second = WorkerProcess(output_dir / "recovery-second.log", concurrency=1, **env)
    try:
        second.wait_ready()
        job = wait_for(lambda: finished(job.pk), timeout=120)
        assert job.status == JobStatus.COMPLETED and job.targets[0].attempts == 2
        # Every stored row is analysed, those of the dead attempt included, within a bound.
        analysed = wait_for(
            lambda: (counts := job_progress.analysed_counts(job.pk))[0] == counts[1] and counts, timeout=120
        )
        # A batch writes its results, then its statistics: stop the worker only after both.
        wait_for(lambda: daily_count(project.pk) == with_sentiment(project.pk), timeout=60)
    finally:
        second.kill()
    assert analysed == (recorded, recorded)
    assert unanalysed({"target_id": target.pk}) == 0
    # The counters say what is stored, not what the finishing attempt inserted.
    job = ScrapeJob.objects.get(pk=job.pk)
    assert job.targets[0].results_count == job.stats.results_total == recorded
    assert Target.objects.get(pk=target.pk).stats.results_count == recorded
    assert Project.objects.get(pk=project.pk).stats.total_results == recorded
    assert stats.rebuild(project.pk) == {}  # nothing drifted


def test_the_sweep_queues_results_whose_batch_was_lost_and_a_worker_analyses_them(celery_worker_process):
    data = seed(make_user(), count=40, now=timezone.now())
    pending = [d["_id"] for d in data.docs if not d["analysis"]["engine"]]
    assert pending
    # Stored hours ago: younger than a week, so a sweep with that grace leaves them alone.
    assert pipeline.sweep_unanalysed([data.project.pk], older_than=7 * 24 * 3600) == {}
    queued = pipeline.sweep_unanalysed([data.project.pk], older_than=0)
    assert queued == {str(data.project.pk): len(pending)}
    # Queued just now: a second sweep leaves them to the batches it sent.
    assert pipeline.sweep_unanalysed([data.project.pk], older_than=60) == {}
    wait_for(lambda: unanalysed({"project_id": data.project.pk}) == 0, timeout=90)
    analysed = collection("results").find({"_id": {"$in": pending}}, {"analysis": 1})
    assert all(d["analysis"]["engine"] == "local" and d["analysis"]["sentiment"] for d in analysed)


def test_rebuild_stats_finds_and_queues_unanalysed_results(celery_worker_process):
    data = seed(make_user(), count=30, now=timezone.now())
    other = seed(make_user(), count=12, name="Someone else's", now=timezone.now())
    pending = sum(1 for d in data.docs if not d["analysis"]["engine"])
    out = StringIO()
    call_command("rebuild_stats", str(data.project.pk), stdout=out)
    assert f"project {data.project.pk}: {pending} result(s) not analysed; queued" in out.getvalue()
    assert f"{pending} unanalysed result(s) queued for analysis" in out.getvalue()
    wait_for(lambda: unanalysed({"project_id": data.project.pk}) == 0, timeout=90)
    # Only the project named was touched.
    assert unanalysed({"project_id": other.project.pk}) == sum(
        1 for d in other.docs if not d["analysis"]["engine"]
    )
    # Analysis moved the statistics with it (once each batch has written them): a rebuild now
    # finds nothing drifted.
    wait_for(lambda: daily_count(data.project.pk) == with_sentiment(data.project.pk), timeout=60)
    out = StringIO()
    call_command("rebuild_stats", str(data.project.pk), stdout=out)
    assert "0 had drifted" in out.getvalue() and "0 unanalysed result(s) queued" in out.getvalue()
