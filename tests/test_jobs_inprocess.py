"""Job logic run in this process (the task bodies), for cases that need no worker."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug import Response

from accounts import vault
from accounts.usage import PlanLimitReached
from analysis.models import Result
from projects.models import PlatformData, Target
from scraping import jobs
from scraping.models import JobStatus, ScrapeJob
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, use_server

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
ASIN = "B0EXAMPLE1"


def _html(name):
    return Response((FIXTURES / name).read_text(encoding="utf-8"), content_type="text/html; charset=utf-8")


@pytest.mark.django_db
def test_blocked_direct_fetch_is_retried_through_the_commercial_provider(settings, httpserver):
    use_server(settings, httpserver, "amazon", "scraperapi")
    pages = {"1": "constructed_amazon_reviews_page1.html", "2": "constructed_amazon_reviews_page2.html"}
    httpserver.expect_request(f"/product-reviews/{ASIN}/").respond_with_response(
        _html("constructed_amazon_robot_check.html")
    )

    def provider(request):
        assert request.args["api_key"] == "scraper-key"
        page = parse_qs(urlsplit(request.args["url"]).query)["pageNumber"][0]
        return _html(pages[page])

    httpserver.expect_request("/").respond_with_handler(provider)
    user = make_user()
    vault.store_key(user, provider="scraperapi", name="ScraperAPI", plaintext="scraper-key")
    project = make_project(user, max_reviews_per_target=1000)
    project.config.scrapers.commercial_provider = "scraperapi"
    project.save()

    target = Target.objects.create(
        project=project, user_id=user.pk, url=f"https://www.amazon.com/dp/{ASIN}", platform="amazon",
        platform_data=PlatformData(asin=ASIN, country="us", tld="com"),
    )  # fmt: skip
    job = jobs.start_job(project, triggered_by=user)
    assert jobs.run_target(job.pk, target.pk) == JobStatus.COMPLETED
    assert jobs.run_target(job.pk, target.pk) == "skipped"  # a second delivery does nothing
    job = ScrapeJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.COMPLETED
    collected = Result.objects.filter(target=target).count()
    assert collected > 0 and job.targets[0].results_count == collected
    assert any(request.path == "/" for request, _ in httpserver.log)


@pytest.mark.django_db
def test_zero_collected_where_the_platform_reports_some_fails_the_target(settings, httpserver):
    use_server(settings, httpserver, "steam")
    httpserver.expect_request("/appreviews/5001").respond_with_json(
        {
            "success": 1,
            "query_summary": {"num_reviews": 0, "total_reviews": 240},
            "reviews": [],
            "cursor": "*",
        }
    )

    user = make_user()
    project = make_project(user)
    target = add_steam_target(project, 5001)
    job = jobs.start_job(project, triggered_by=user)
    jobs.run_target(job.pk, target.pk)
    job = ScrapeJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED
    assert job.targets[0].error == "0 collected of 240 reported"


@pytest.mark.django_db
def test_daily_request_cap_stops_the_target_as_partial(settings, httpserver):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 5002, page_size=20)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, max_requests_per_day=3)
    target = add_steam_target(project, 5002)
    job = jobs.start_job(project, triggered_by=user)
    jobs.run_target(job.pk, target.pk)
    job = ScrapeJob.objects.get(pk=job.pk)
    entry = job.targets[0]
    assert job.status == JobStatus.COMPLETED and job.partial and entry.partial
    assert entry.requests_made == 3 and entry.results_count == 60
    assert "3 requests per day" in entry.error


@pytest.mark.django_db
def test_plan_limit_refuses_a_job_with_a_clear_message():
    user = make_user(plan="starter")
    user.usage.scrapes_this_month = user.get_plan().scrapes_per_month
    user.save()
    project = make_project(user)
    add_steam_target(project, 5003)
    # The plan's own refusal, not re-wrapped: pages and the API catch every Refused once.
    with pytest.raises(PlanLimitReached, match="Starter plan allows"):
        jobs.start_job(project, triggered_by=user)
    # The refused job released the project's slot: once the quota allows, a job starts.
    user.usage.scrapes_this_month = 0
    user.save()
    assert jobs.start_job(project, triggered_by=user).status == JobStatus.QUEUED
