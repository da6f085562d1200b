"""A Google Play job run by a real Celery worker: the worker collects the app's reviews from the
local store server, and the analysis it is sent by name analyses every one of them."""

import pytest

from analysis.models import Result
from projects.services.targets import add_url_target
from scraping import job_progress, jobs
from scraping.models import JobStatus
from tests.factories import make_project, make_user
from tests.googleplay_server import PACKAGE, serve_generated
from tests.test_jobs import finished
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
REVIEWS = 320


def test_a_worker_collects_and_analyses_a_google_play_app(celery_worker_process, httpserver):
    served = serve_generated(httpserver, REVIEWS)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=0)
    target = add_url_target(project, f"https://play.google.com/store/apps/details?id={PACKAGE}")

    job = jobs.start_job(project, triggered_by=user)
    job = wait_for(lambda: finished(job.pk))

    assert job.status == JobStatus.COMPLETED, job.targets[0].error
    assert job.targets[0].results_count == REVIEWS
    assert [call.token for call in served.calls] == [None, "150", "300"]
    counts = wait_for(lambda: (c := job_progress.analysed_counts(job.pk))[0] == c[1] and c, timeout=120)
    assert counts == (REVIEWS, REVIEWS)
    labels = {r.analysis.sentiment.label for r in Result.objects.filter(target=target)}
    assert {"positive", "negative"} <= labels
    target.refresh_from_db()
    assert target.name == "Harmony Music: Songs & Podcasts"
