"""A target's rows are counted once for its job and its project whenever its workers died: the
attempts here are played by hand (claim, store, reap), in a module of their own so that no
worker of another test's module can take their job."""

import pytest

from projects.models import Project
from scraping import jobs, runner
from scraping.collectors.base import CollectedItem
from scraping.models import JobStatus, ScrapeJob
from scraping.results_store import TargetRef, write_items
from sentimatrix.mongo import collection
from tests.factories import add_steam_target, make_project, make_user

pytestmark = pytest.mark.django_db


def test_a_target_given_up_after_dead_workers_still_has_its_rows_counted(settings):
    user = make_user()
    project = make_project(user)
    target = add_steam_target(project, 4102)
    job = jobs.start_job(project, triggered_by=user)

    ref = TargetRef(project.pk, target.pk, user.pk, "steam")
    for attempt in range(settings.SCRAPE_MAX_ATTEMPTS):
        assert runner.claim(job.pk, target.pk) is not None
        # Each dead attempt stored a few rows and died before it reported them.
        items = [CollectedItem(platform_id=f"a{attempt}-{i}", text=f"Review {attempt}.{i}") for i in range(3)]
        assert write_items(items, ref, job.pk).inserted == 3
        collection("scrape_jobs").update_one({"_id": job.pk}, {"$set": {"targets.0.heartbeat_at": None}})
        jobs.reap_stale_targets(stale_after=0)
    job = ScrapeJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED and job.targets[0].status == JobStatus.FAILED
    stored = 3 * settings.SCRAPE_MAX_ATTEMPTS
    assert job.targets[0].results_count == job.stats.results_total == stored


def test_a_project_counts_each_row_once_whenever_its_worker_died():
    """One dead attempt died right after counting its page for the project (before the job heard
    of it), the other before counting: the project's total is what is stored, no more, no less."""
    user = make_user()
    project = make_project(user)
    target = add_steam_target(project, 4103)
    job = jobs.start_job(project, triggered_by=user)
    ref = TargetRef(project.pk, target.pk, user.pk, "steam")
    for attempt, counted in enumerate((True, False)):
        assert runner.claim(job.pk, target.pk) is not None
        items = [CollectedItem(platform_id=f"c{attempt}-{i}", text=f"Review {attempt}.{i}") for i in range(4)]
        assert write_items(items, ref, job.pk).inserted == 4
        if counted:
            runner._count_for_project(project.pk, job.pk, target.pk, 4)
        collection("scrape_jobs").update_one({"_id": job.pk}, {"$set": {"targets.0.heartbeat_at": None}})
        jobs.reap_stale_targets(stale_after=0)
    assert runner.claim(job.pk, target.pk) is not None
    target_doc = collection("targets").find_one({"_id": target.pk})
    assert runner.finish_target(job.pk, target_doc, runner.RunOutcome(status=JobStatus.COMPLETED))
    assert Project.objects.get(pk=project.pk).stats.total_results == 8
    assert not collection("projects").find_one({"_id": project.pk}).get("counting")  # the tally is done
