"""``manage.py scrape``: a job from the shell, run by a real worker on recorded Steam responses."""

import re
from io import StringIO

import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command
from werkzeug import Response

from analysis.models import Result
from projects.models import Target
from scraping.models import JobStatus, ScrapeJob
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, steam_reviews
from tests.test_jobs import finished
from tests.workers import wait_for

RECORDED = len(steam_reviews())
PROGRESS = re.compile(r"^\[[#-]{30}\]\s+(\d+)%\s+(\d+)/(\d+) targets\s+(\d+) new results\s+(\w+)$")


def scrape(*args) -> str:
    out = StringIO()
    call_command("scrape", *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_wait_shows_progress_until_the_job_ends_and_reports_each_target(celery_worker_process, httpserver):
    serve_steam(httpserver, 4101, page_size=20)
    limit = 60
    project = make_project(make_user(), max_reviews_per_target=limit, rate_limit_delay=0.1)
    target = add_steam_target(project, 4101, label="Recorded game")

    output = scrape(project.pk, "--wait", "--interval", "0.1")

    job = ScrapeJob.objects.get(project=project)
    lines = output.splitlines()
    assert lines[0] == f"Job {job.pk} started for “{project.name}”: 1 target(s)."
    progress = [PROGRESS.match(line) for line in lines if line.startswith("[")]
    assert all(progress) and len(progress) >= 2
    percents = [int(m.group(1)) for m in progress]
    assert percents == sorted(percents) and percents[-1] == 100
    assert progress[-1].group(5) == JobStatus.COMPLETED and int(progress[-1].group(4)) == limit
    # Stopped at the project's limit: a partial run, with what the platform says exists.
    assert (
        f"  Recorded game: completed, collected {limit} of {RECORDED} available (partial: stopped at the limit of {limit} results per target)"
        in lines
    )
    assert lines[-1] == f"Job {job.pk} completed: {limit} new result(s)."
    assert Result.objects.filter(target=target).count() == limit


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_one_target_without_waiting_and_a_failed_job_is_an_error(celery_worker_process, httpserver):
    serve_steam(httpserver, 4201, page_size=50)
    httpserver.expect_request("/appreviews/4202").respond_with_handler(
        lambda request: Response("<html>Access denied</html>", content_type="text/html")
    )
    project = make_project(make_user(), max_reviews_per_target=1000)
    wanted, skipped = add_steam_target(project, 4201), add_steam_target(project, 4202)

    output = scrape(project.pk, "--target", wanted.pk)
    job = ScrapeJob.objects.get(project=project)
    assert output.strip() == f"Job {job.pk} started for “{project.name}”: 1 target(s)."
    assert [entry.target_id for entry in job.targets] == [wanted.pk]
    assert wait_for(lambda: finished(job.pk)).status == JobStatus.COMPLETED
    assert Result.objects.filter(target=wanted).count() == RECORDED
    assert not Result.objects.filter(target=skipped).exists()

    with pytest.raises(CommandError, match=r"failed: 0 new result\(s\)") as failure:
        scrape(project.pk, "--target", skipped.pk, "--wait", "--interval", "0.1")
    assert "1 of 1 targets failed" in str(failure.value)


@pytest.mark.django_db
def test_refusals_say_why():
    user = make_user()
    project = make_project(user)
    other = make_project(user, name="Other")
    foreign_target = add_steam_target(other, 570)
    with pytest.raises(CommandError, match="not a project id"):
        scrape("not-an-id")
    with pytest.raises(CommandError, match="No project"):
        scrape(ObjectId())
    with pytest.raises(CommandError, match="no active target"):
        scrape(project.pk)
    with pytest.raises(CommandError, match="has no target"):
        scrape(project.pk, "--target", foreign_target.pk)
    add_steam_target(project, 440)
    project.status = "archived"
    project.save()
    with pytest.raises(CommandError, match="archived"):
        scrape(project.pk)
    assert not ScrapeJob.objects.exists() and Target.objects.count() == 2
