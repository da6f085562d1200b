"""Job pages: a project's jobs, a job's live progress (htmx polling that stops when the job
ends, a reload without JavaScript), per-target status and caveats, and cancelling."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analysis.pipeline import analyze_results
from projects.recognition import recognize
from scraping.collectors.registry import collector_class
from scraping.models import JobOptions, JobStats, JobStatus, JobTarget, ScrapeJob
from sentimatrix.mongo import collection
from tests.datamodel_samples import result
from tests.factories import make_project, make_user
from tests.page_helpers import add_target, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


STEAM = "https://store.steampowered.com/app/{}/"
POLLING = 'hx-trigger="every 2s"'
RELOAD = '<noscript><meta http-equiv="refresh"'


@pytest.fixture
def project(owner):
    """A project of ``owner`` collecting at most 100 results a target (the running job below
    stops one target at that limit)."""
    return make_project(owner, name="Launch", max_reviews_per_target=100)


def running_job(project) -> tuple[ScrapeJob, dict]:
    """A job in the middle of its run: one target running, one stopped at the limit, one failed."""
    steam = add_target(project, STEAM.format(570), recognize(STEAM.format(570)).canonical_url)
    google_url = "https://www.google.com/maps?cid=123456789"
    google = add_target(project, google_url, recognize(google_url).canonical_url, platform="google")
    google.caveat = collector_class("google").caveat
    google.save()
    broken = add_target(project, STEAM.format(440), recognize(STEAM.format(440)).canonical_url)
    now = timezone.now()
    job = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.RUNNING,
        started_at=now,
        targets=[
            JobTarget(
                target_id=steam.pk, status=JobStatus.RUNNING, progress=40, results_count=40, heartbeat_at=now
            ),
            JobTarget(
                target_id=google.pk,
                status=JobStatus.COMPLETED,
                progress=100,
                results_count=100,
                available_total=2340,
                partial=True,
            ),
            JobTarget(
                target_id=broken.pk,
                status=JobStatus.FAILED,
                progress=100,
                error="no reviews found where expected: the page <layout> may have changed",
            ),
        ],
        stats=JobStats(targets_total=3, targets_completed=2, results_total=140, errors_count=1),
        partial=True,
    )
    return job, {"steam": steam, "google": google, "broken": broken}


def test_a_running_job_shows_each_target_and_polls_until_it_ends(client, project):
    job, targets = running_job(project)
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert POLLING in html and reverse("jobs:progress", args=[job.pk]) in html and RELOAD in html
    summary = page.context["summary"]
    assert summary.progress == round((40 + 100 + 100) / 3)
    rows = {row.target_id: row for row in summary.targets}
    google = rows[targets["google"].pk]
    assert google.partial and google.partial_reason == "stopped at the limit of 100 results per target"
    assert "collected 100 of 2,340 available" in html
    assert targets["google"].caveat.replace("'", "&#x27;") in html  # the platform's cap, beside it
    assert "the page &lt;layout&gt; may have changed" in html  # errors escaped
    assert rows[targets["broken"].pk].error and not google.error
    assert reverse("jobs:cancel", args=[job.pk]) in html

    partial = client.get(reverse("jobs:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    fragment = partial.content.decode()
    assert fragment.lstrip().startswith('<div id="job-progress"') and POLLING in fragment
    assert "<html" not in fragment

    # The job ends: the partial comes back without its trigger, so polling stops.
    collection("scrape_jobs").update_one(
        {"_id": job.pk, "targets.target_id": targets["steam"].pk},
        {
            "$set": {
                "status": JobStatus.COMPLETED,
                "progress": 100,
                "completed_at": timezone.now(),
                "targets.$.status": JobStatus.COMPLETED,
                "targets.$.progress": 100,
            }
        },
    )
    ended = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in ended and "Completed" in ended
    assert reverse("jobs:cancel", args=[job.pk]) not in ended
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert POLLING not in page and RELOAD not in page


def test_the_project_page_shows_the_running_job(client, project):
    job, _ = running_job(project)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Job running" in page and f"{reverse('jobs:progress', args=[job.pk])}?compact=1" in page
    assert RELOAD in page
    compact = client.get(reverse("jobs:progress", args=[job.pk]), {"compact": "1"}).content.decode()
    assert compact.lstrip().startswith("<article") and POLLING in compact
    assert "2 of 3 target(s) done" in compact

    collection("scrape_jobs").update_one({"_id": job.pk}, {"$set": {"status": JobStatus.FAILED}})
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Job running" not in page and "Last job" in page and RELOAD not in page


def test_cancel_stops_a_job_started_from_the_project_page(client, project):
    add_target(project, STEAM.format(570), recognize(STEAM.format(570)).canonical_url)
    add_target(project, STEAM.format(440), recognize(STEAM.format(440)).canonical_url)
    started = client.post(reverse("jobs:run", args=[project.pk]))
    job = ScrapeJob.objects.get(project=project)
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == JobStatus.QUEUED and len(job.targets) == 2

    response = client.post(reverse("jobs:cancel", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()
    # No worker took the targets yet: they stop at once and the job closes.
    assert job.status == JobStatus.CANCELLED and {t.status for t in job.targets} == {JobStatus.CANCELLED}
    assert collection("projects").find_one({"_id": project.pk})["running_job_id"] is None
    again = client.post(reverse("jobs:cancel", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "already ended" in " ".join(messages_of(again))
    assert '<div id="job-progress"' in again.content.decode()
    assert client.get(reverse("jobs:cancel", args=[job.pk])).status_code == 405  # POST only


def test_the_jobs_list_of_a_project_newest_first(client, project):
    empty = client.get(reverse("jobs:list", args=[project.pk]))
    assert empty.status_code == 200 and b"No job yet" in empty.content
    now = timezone.now()
    older = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.COMPLETED,
        created_at=now - timedelta(days=1),
        completed_at=now - timedelta(days=1),
        stats=JobStats(targets_total=1, targets_completed=1, results_total=12),
    )
    newer = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.FAILED,
        created_at=now,
        options=JobOptions(max_results=5),
        stats=JobStats(targets_total=2, targets_completed=2, errors_count=2),
    )
    other_project = make_project(project.user, name="Other")
    ScrapeJob.objects.create(project=other_project, user_id=project.user_id, status=JobStatus.COMPLETED)
    page = client.get(reverse("jobs:list", args=[project.pk]))
    assert [s.job.pk for s in page.context["summaries"]] == [newer.pk, older.pk]
    html = page.content.decode()
    assert html.index(reverse("jobs:detail", args=[newer.pk])) < html.index(
        reverse("jobs:detail", args=[older.pk])
    )


def test_every_job_view_belongs_to_the_owner(project, owner):
    job, _ = running_job(project)
    other = make_user()
    anonymous, intruder, mine = Client(), Client(), Client()
    intruder.force_login(other)
    mine.force_login(owner)
    views = [
        (reverse("jobs:list", args=[project.pk]), "get", 200),
        (reverse("jobs:detail", args=[job.pk]), "get", 200),
        (reverse("jobs:progress", args=[job.pk]), "get", 200),
        (reverse("jobs:cancel", args=[job.pk]), "post", 302),
    ]
    for url, method, owner_status in views:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), url
        assert getattr(intruder, method)(url).status_code == 404, url
        assert not ScrapeJob.objects.get(pk=job.pk).cancel_requested
        assert getattr(mine, method)(url).status_code == owner_status, url
    assert ScrapeJob.objects.get(pk=job.pk).cancel_requested  # the owner's cancel went through


def test_a_finished_job_keeps_polling_until_its_new_results_are_analysed(client, project):
    job, targets = running_job(project)
    collection("scrape_jobs").update_one(
        {"_id": job.pk}, {"$set": {"status": JobStatus.COMPLETED, "completed_at": timezone.now()}}
    )
    first = result(targets["steam"], "r1", "Great puzzles, loved every minute.", scrape_job=job)
    result(targets["steam"], "r2", "Crashes all the time, awful.", scrape_job=job)
    result(targets["steam"], "other", "Collected by another job.")
    analyze_results(project.pk, [first.pk])

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "1 of 2 new result(s) analysed" in page and POLLING in page and RELOAD in page
    compact = client.get(reverse("jobs:progress", args=[job.pk]), {"compact": "1"}).content.decode()
    assert POLLING in compact and "Analysing:" in compact

    analyze_results(project.pk, [doc["_id"] for doc in collection("results").find({"scrape_job_id": job.pk})])
    done = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "2 of 2 new result(s) analysed" in done and "hx-trigger" not in done
    assert reverse("analysis:dashboard", args=[project.pk]) in done

    # A job that ended long ago stops waiting, whatever is left unanalysed.
    result(targets["steam"], "r3", "Not analysed yet.", scrape_job=job)
    collection("scrape_jobs").update_one(
        {"_id": job.pk}, {"$set": {"completed_at": timezone.now() - timedelta(hours=2)}}
    )
    stale = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "2 of 3 new result(s) analysed" in stale and "hx-trigger" not in stale
