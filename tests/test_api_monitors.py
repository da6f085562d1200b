"""Keyword monitors through /api/v1/ like other targets: created with type "keyword", edited
with PATCH, listed with their per-platform counts; another user's monitors are 404."""

from __future__ import annotations

import pytest

from projects.models import Target
from scraping import jobs
from tests.api_helpers import all_ids, api_client, error_of, make_token, post_json
from tests.factories import make_project, make_user
from tests.monitor_playback import QUERY, serve_search

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unpaced_reddit")]


@pytest.fixture
def owner():
    user = make_user()
    return user, make_project(user), api_client(make_token(user))


def create(client, project, **data):
    return post_json(client, f"/api/v1/projects/{project.pk}/targets/", {"type": "keyword", **data})


def test_a_monitor_is_created_edited_and_listed_with_its_counts(owner, settings, httpserver):
    serve_search(settings, httpserver)
    user, project, client = owner
    response = create(client, project, query=QUERY, platforms=["hackernews", "reddit"], language="en")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["platform"], body["detected_type"], body["url"]) == (
        "keyword",
        "keyword",
        "keyword:battery -refund",
    )
    assert body["platform_data"]["search_platforms"] == ["reddit", "hackernews"]
    assert body["options"]["language"] == "en"
    assert [p["found"] for p in body["monitor"]] == [None, None]  # not run yet

    job = jobs.start_job(project, triggered_by=user)
    jobs.run_target(job.pk, Target.objects.get(pk=body["id"]).pk)
    listed = client.get(f"/api/v1/projects/{project.pk}/targets/").json()
    monitor = next(t for t in listed["results"] if t["id"] == body["id"])
    assert {p["platform"]: (p["found"], p["new"]) for p in monitor["monitor"]} == {
        "reddit": (5, 3), "hackernews": (4, 2),
    }  # fmt: skip

    one = f"/api/v1/projects/{project.pk}/targets/{body['id']}/"
    patched = post_json(client, one, {"platforms": ["mastodon"], "max_results": 20}, method="patch")
    assert patched.status_code == 200, patched.content
    data = patched.json()
    assert data["platform_data"]["query"] == QUERY  # what is left out stays
    assert data["platform_data"]["instances"] == ["mastodon.social"] and data["options"]["max_results"] == 20
    assert data["options"]["language"] == "en"


def test_a_monitor_is_refused_with_the_field_to_fix(owner):
    _, project, client = owner
    only_exclusions = create(client, project, query="-refund", platforms=["reddit"])
    assert only_exclusions.status_code == 400 and list(error_of(only_exclusions)["details"]) == ["query"]
    not_searchable = create(client, project, query="battery", platforms=["steam"])
    assert not_searchable.status_code == 400 and list(error_of(not_searchable)["details"]) == ["platforms.0"]
    bad_host = create(client, project, query="battery", platforms=["mastodon"], instances=["no host!"])
    assert bad_host.status_code == 400 and list(error_of(bad_host)["details"]) == ["instances"]
    nothing = create(client, project, platforms=["reddit"])
    assert nothing.status_code == 400
    assert create(client, project, query="battery", platforms=["reddit"]).status_code == 201
    again = create(client, project, query="Battery", platforms=["hackernews"])
    assert again.status_code == 409 and error_of(again)["message"] == "This target is already in the project."
    # A URL is still required for other targets.
    no_url = post_json(client, f"/api/v1/projects/{project.pk}/targets/", {"label": "x"})
    assert no_url.status_code == 400 and list(error_of(no_url)["details"]) == ["url"]


def test_another_users_monitor_is_404(owner):
    _, project, client = owner
    body = create(client, project, query="battery", platforms=["reddit"]).json()
    intruder = api_client(make_token(make_user()))
    one = f"/api/v1/projects/{project.pk}/targets/{body['id']}/"
    assert intruder.get(one).status_code == 404
    assert post_json(intruder, one, {"query": "mine now"}, method="patch").status_code == 404
    assert create(intruder, project, query="battery", platforms=["reddit"]).status_code == 404
    assert body["id"] in all_ids(client, f"/api/v1/projects/{project.pk}/targets/")
