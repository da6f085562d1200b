"""Google Play targets through ``/api/v1/``: added from any link shape, edited with the same
checks as the pages, bulk-added, collected by a job started through the API, their results
read back, and another user's Google Play target is 404."""

from __future__ import annotations

import pytest

from projects.models import Target
from scraping import jobs
from scraping.models import JobStatus, ScrapeJob
from tests.api_helpers import api_client, error_of, make_token, post_json
from tests.factories import make_project, make_user
from tests.googleplay_server import PACKAGE, serve_pages
from tests.playback import use_server

pytestmark = pytest.mark.django_db

TOKEN = "CpEBCgk4NTAwMDA1MDASEgoQCgwIwLWxrwYQwJ3ZyAMQABgBIgEyKkQK-EXAMPLE-TOKEN-PAGE-2"
PAGES = {None: "constructed_googleplay_reviews_page1.txt", TOKEN: "constructed_googleplay_reviews_page2.txt"}
STORE = "https://play.google.com/store/apps/details"


@pytest.fixture
def owner(fast_passwords):
    return make_user(plan="advanced")


@pytest.fixture
def client(owner):
    return api_client(make_token(owner))


@pytest.fixture
def project(owner):
    return make_project(owner, name="Apps", max_reviews_per_target=1000)


def targets_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/targets/"


def test_a_google_play_link_adds_an_app_target_with_its_language_and_country(client, project):
    response = post_json(
        client, targets_url(project), {"url": f"{STORE}?id={PACKAGE}&hl=de&gl=AT&showAllReviews=true"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["platform"], body["detected_type"]) == ("googleplay", "app")
    assert body["platform_data"]["package_id"] == PACKAGE
    assert body["canonical_url"] == f"{STORE}?id={PACKAGE}&hl=de&gl=at"
    assert (body["options"]["language"], body["options"]["country"], body["options"]["sort_by"]) == (
        "de",
        "at",
        "newest",
    )
    # The same app in the same language, spelt as Android opens the store, is a duplicate.
    again = post_json(client, targets_url(project), {"url": f"market://details?id={PACKAGE}&hl=de&gl=at"})
    assert again.status_code == 409


def test_google_play_options_are_checked_like_on_the_pages(client, project):
    added = post_json(client, targets_url(project), {"url": f"{STORE}?id={PACKAGE}"}).json()
    one = f"{targets_url(project)}{added['id']}/"

    relevant = post_json(client, one, {"options": {"sort_by": "most_relevant"}}, method="patch")
    assert relevant.status_code == 200, relevant.content
    assert relevant.json()["options"]["sort_by"] == "most_relevant"
    wrong = post_json(client, one, {"options": {"sort_by": "rating"}}, method="patch")
    assert wrong.status_code == 400 and list(error_of(wrong)["details"]) == ["sort_by"]


def test_links_without_an_app_and_bare_package_ids_are_refused_with_the_reason(client, project):
    no_id = post_json(client, targets_url(project), {"url": STORE})
    assert no_id.status_code == 400
    assert "No app id in this Google Play URL" in " ".join(error_of(no_id)["details"]["url"])
    bare = post_json(client, targets_url(project), {"url": PACKAGE})
    assert bare.status_code == 400
    assert "looks like a Google Play package id" in " ".join(error_of(bare)["details"]["url"])


def test_bulk_add_takes_google_play_links(client, project):
    lines = [f"{STORE}?id=com.whatsapp, WhatsApp", f"market://details?id={PACKAGE}", f"{STORE}?id=x"]
    response = post_json(client, f"{targets_url(project)}bulk/", {"urls": lines})

    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(t["platform_data"]["package_id"] for t in body["added"]) == sorted(
        ["com.whatsapp", PACKAGE]
    )
    assert [line["input"] for line in body["invalid"]] == [f"{STORE}?id=x"]
    assert "not a valid Google Play package id" in body["invalid"][0]["reason"]


def test_a_job_started_through_the_api_collects_the_app_and_its_results_are_listed(
    settings, httpserver, client, project
):
    use_server(settings, httpserver, "googleplay")
    serve_pages(httpserver, PAGES, details="constructed_googleplay_details.html")
    added = post_json(client, targets_url(project), {"url": f"{STORE}?id={PACKAGE}"}).json()

    started = post_json(client, f"/api/v1/projects/{project.pk}/jobs/", {"target_ids": [added["id"]]})
    assert started.status_code == 201, started.content
    assert jobs.run_target(
        ScrapeJob.objects.get(pk=started.json()["id"]).pk, Target.objects.get(pk=added["id"]).pk
    )
    job = client.get(f"/api/v1/jobs/{started.json()['id']}/").json()
    assert job["status"] == JobStatus.COMPLETED

    listed = client.get(f"/api/v1/projects/{project.pk}/results/?platform=googleplay&page_size=10").json()
    assert len(listed["results"]) == 5
    by_id = {r["content"]["platform_id"]: r for r in listed["results"]}
    first = by_id["gp:AOqpTOEXAMPLE-review-0001"]
    assert first["platform"] == "googleplay" and first["target_id"] == added["id"]
    one = client.get(f"/api/v1/projects/{project.pk}/results/{first['id']}/").json()
    assert one["content"]["metadata"]["developer_reply"].startswith("Thanks Nora")
    target = client.get(f"{targets_url(project)}{added['id']}/").json()
    assert target["name"] == "Harmony Music: Songs & Podcasts"
    assert target["stats"]["results_count"] == 5


def test_another_users_google_play_target_is_404(client, owner):
    stranger = make_user()
    theirs = make_project(stranger, name="Theirs")
    their_target = post_json(
        api_client(make_token(stranger)), targets_url(theirs), {"url": f"{STORE}?id={PACKAGE}"}
    ).json()

    one = f"{targets_url(theirs)}{their_target['id']}/"
    assert client.get(one).status_code == 404
    assert post_json(client, one, {"label": "mine"}, method="patch").status_code == 404
    assert client.delete(one).status_code == 404
    assert post_json(client, targets_url(theirs), {"url": f"{STORE}?id=com.whatsapp"}).status_code == 404
    assert Target.objects.filter(project=theirs).count() == 1
