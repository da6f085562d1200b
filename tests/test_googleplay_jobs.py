"""Google Play targets through the whole pipeline, in this process: a pasted link becomes a
target, a job collects and stores its reviews, they are analysed, the next run is incremental,
and the runner's fallbacks and silent-zero check apply to Google Play as to the others."""

from __future__ import annotations

import pytest
from werkzeug import Request, Response

from accounts import vault
from analysis import pipeline
from analysis.models import Result
from projects.models import Target
from projects.platforms import CAVEATS, Platform
from projects.services.targets import add_url_target
from scraping.models import JobStatus
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user, run_in_process
from tests.googleplay_server import BATCH_PATH, PACKAGE, decode_call, fixture, serve_generated, serve_pages
from tests.playback import use_server

pytestmark = pytest.mark.django_db

TOKEN = "CpEBCgk4NTAwMDA1MDASEgoQCgwIwLWxrwYQwJ3ZyAMQABgBIgEyKkQK-EXAMPLE-TOKEN-PAGE-2"
PAGES = {None: "constructed_googleplay_reviews_page1.txt", TOKEN: "constructed_googleplay_reviews_page2.txt"}
LINK = f"https://play.google.com/store/apps/details?id={PACKAGE}&hl=en&gl=us"


def test_a_pasted_link_is_collected_stored_named_and_analysed(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_pages(httpserver, PAGES, details="constructed_googleplay_details.html")
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000)

    target = add_url_target(project, LINK)

    assert (target.platform, target.detected_type) == (Platform.GOOGLE_PLAY, "app")
    assert target.platform_data.package_id == PACKAGE
    assert (target.options.language, target.options.country, target.options.sort_by) == ("en", "us", "newest")
    assert target.caveat == CAVEATS[Platform.GOOGLE_PLAY]

    job = run_in_process(project, user, target)

    assert job.status == JobStatus.COMPLETED
    entry = job.targets[0]
    assert entry.status == JobStatus.COMPLETED and entry.results_count == 5
    # Two review pages and the app page for its name: every request is counted.
    assert entry.requests_made == 3 and served.details_requests == 1
    target.refresh_from_db()
    assert target.name == target.label == "Harmony Music: Songs & Podcasts"
    stored = {d["content"]["platform_id"]: d for d in collection("results").find({"target_id": target.pk})}
    assert len(stored) == 5
    first = stored["gp:AOqpTOEXAMPLE-review-0001"]
    assert first["platform"] == "googleplay"
    assert first["content"]["rating"] == 5.0
    assert first["content"]["metadata"]["thumbs_up"] == 42
    assert first["content"]["metadata"]["app_version"] == "8.9.18.512"
    assert first["content"]["metadata"]["developer_reply"].startswith("Thanks Nora")

    assert pipeline.analyze_results(project.pk, [d["_id"] for d in stored.values()]) == 5
    analysed = Result.objects.filter(target=target)
    labels = {r.content.platform_id: r.analysis.sentiment.label for r in analysed}
    assert len(labels) == 5 and all(labels.values())
    assert labels["gp:AOqpTOEXAMPLE-review-0004"] == "negative"  # lost songs, no support


def test_the_next_run_stops_at_reviews_it_already_has(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_pages(httpserver, PAGES, details="constructed_googleplay_details.html")
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000)
    target = add_url_target(project, LINK)
    assert run_in_process(project, user, target).targets[0].results_count == 5
    calls_before = len(served.calls)

    again = run_in_process(project, user, target)

    assert again.status == JobStatus.COMPLETED
    assert again.targets[0].results_count == 0
    # Page 1 holds only stored reviews: the run ends there, without asking for page 2.
    assert len(served.calls) == calls_before + 1
    assert served.calls[-1].token is None
    assert Result.objects.filter(target=target).count() == 5


def test_an_empty_answer_for_an_app_with_reviews_fails_and_says_why(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    serve_pages(
        httpserver,
        {None: "constructed_googleplay_reviews_empty.txt"},
        details="constructed_googleplay_details.html",
    )
    user = make_user()
    project = make_project(user)
    target = add_url_target(project, LINK)

    job = run_in_process(project, user, target)

    assert job.status == JobStatus.FAILED
    assert job.targets[0].error.startswith("Google Play returned no review in “en” although the app's page")
    assert "another one" in job.targets[0].error


def test_a_blocked_direct_fetch_is_retried_through_scraperapi(settings, httpserver):
    use_server(settings, httpserver, "googleplay", "scraperapi")
    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_data(
        "Our systems have detected unusual traffic", status=403
    )

    def provider(request: Request) -> Response:
        assert request.args["api_key"] == "scraper-key"
        assert request.args["url"].endswith(f"{BATCH_PATH}?hl=en&gl=us")
        call = decode_call(request)
        return Response(fixture(PAGES[call.token]), content_type="application/json; charset=utf-8")

    httpserver.expect_request("/", method="POST").respond_with_handler(provider)
    httpserver.expect_request("/", method="GET").respond_with_data(
        fixture("constructed_googleplay_details.html")
    )
    user = make_user()
    vault.store_key(user, provider="scraperapi", name="ScraperAPI", plaintext="scraper-key")
    project = make_project(user, max_reviews_per_target=1000)
    project.config.scrapers.commercial_provider = "scraperapi"
    project.save()
    target = add_url_target(project, LINK)

    job = run_in_process(project, user, target)

    assert job.status == JobStatus.COMPLETED
    assert job.targets[0].results_count == 5
    assert Result.objects.filter(target=target).count() == 5


def test_a_blocked_fetch_without_a_provider_says_what_to_do(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_data("denied", status=403)
    user = make_user()
    project = make_project(user)
    target = add_url_target(project, LINK)

    job = run_in_process(project, user, target)

    assert job.status == JobStatus.FAILED
    assert "Google Play refused automated requests (HTTP 403)" in job.targets[0].error
    assert "ScraperAPI" in job.targets[0].error


def test_the_project_limit_caps_what_is_collected(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_generated(httpserver, 400)
    user = make_user()
    project = make_project(user, max_reviews_per_target=200)
    target = Target.objects.get(pk=add_url_target(project, LINK).pk)

    job = run_in_process(project, user, target)

    entry = job.targets[0]
    assert entry.results_count == 200 and entry.partial
    assert [call.count for call in served.calls] == [150, 50]
