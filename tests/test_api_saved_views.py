"""Saved views in the API: the explorer's views, created, read, changed and deleted by token, refused
with the explorer's messages, kept to their owner, and applied to the results list by ``view=<id>``."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from analysis import saved_views
from analysis.models import SavedView
from analysis.results_store import reads
from tests.api_helpers import all_ids, api_client, error_of, make_token, post_json
from tests.factories import make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(seed_clock, fast_passwords):
    return seed(make_user(plan="advanced"), 24)


@pytest.fixture
def api(seeded):
    return api_client(make_token(seeded.project.user))


def views_url(seeded, view_id=None) -> str:
    base = f"/api/v1/projects/{seeded.project.pk}/views/"
    return f"{base}{view_id}/" if view_id else base


def test_create_read_list_change_and_delete(seeded, api):
    target = str(seeded.targets[2].pk)
    created = post_json(
        api, views_url(seeded), {"name": "Soundtrack", "params": {"target": target, "rating_max": 2}}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Soundtrack" and body["project_id"] == str(seeded.project.pk)
    assert body["query"] == f"target={target}&rating_max=2" and body["params"] == {
        "target": [target],
        "rating_max": ["2"],
    }
    # The page and the API share the view.
    view = SavedView.objects.get(pk=body["id"])
    assert view.query == body["query"] and saved_views.views_for(seeded.project) == [view]
    read = api.get(views_url(seeded, view.pk)).json()
    # Stored times keep milliseconds (BSON dates).
    assert read["created_at"][:23] == body["created_at"][:23] and read["created_at"].endswith("Z")
    assert {k: v for k, v in read.items() if not k.endswith("_at")} == {
        k: v for k, v in body.items() if not k.endswith("_at")
    }
    listed = api.get(views_url(seeded)).json()
    assert [v["id"] for v in listed["results"]] == [body["id"]] and listed["next"] is None
    changed = post_json(
        api, views_url(seeded, view.pk), {"query": "sentiment=negative&sort=newest"}, method="patch"
    )
    assert changed.status_code == 200
    assert (
        changed.json()["name"] == "Soundtrack" and changed.json()["query"] == "sentiment=negative&sort=newest"
    )
    renamed = post_json(api, views_url(seeded, view.pk), {"name": "Angry"}, method="patch").json()
    assert renamed["name"] == "Angry" and renamed["query"] == "sentiment=negative&sort=newest"
    assert api.delete(views_url(seeded, view.pk)).status_code == 204
    assert api.get(views_url(seeded, view.pk)).status_code == 404
    assert not SavedView.objects.exists()


def test_refusals_name_the_parameter_with_the_explorers_message(seeded, api):
    refused = post_json(api, views_url(seeded), {"name": "Bad", "query": "date_to=soon&sentiment=great"})
    assert refused.status_code == 400
    assert error_of(refused)["details"] == {
        "date_to": ["“soon” is not a valid date and was left out. Dates are written YYYY-MM-DD."],
        "sentiment": ["Unknown sentiment label left out."],
    }
    post_json(api, views_url(seeded), {"name": "Taken", "query": ""})
    taken = post_json(api, views_url(seeded), {"name": "taken", "query": "language=de"})
    assert taken.status_code == 400 and "already has a view" in error_of(taken)["details"]["name"][0]
    both = post_json(api, views_url(seeded), {"name": "Both", "query": "", "params": {}})
    assert both.status_code == 400 and "params" in error_of(both)["details"]
    assert SavedView.objects.count() == 1


def test_another_users_views_are_404(seeded, api):
    view = saved_views.create_view(seeded.project, seeded.project.user, "Mine", "language=de")
    stranger_user = make_user(plan="advanced")
    theirs = seed(stranger_user, 3, name="Theirs")
    stranger = api_client(make_token(stranger_user))
    for project_id in (seeded.project.pk, theirs.project.pk):
        url = f"/api/v1/projects/{project_id}/views/{view.pk}/"
        assert stranger.get(url).status_code == 404
        assert post_json(stranger, url, {"name": "Stolen"}, method="patch").status_code == 404
        assert stranger.delete(url).status_code == 404
    assert stranger.get(f"/api/v1/projects/{seeded.project.pk}/views/").status_code == 404
    assert stranger.get(f"/api/v1/projects/{theirs.project.pk}/views/").json()["results"] == []
    # Nor can their results list apply it.
    results = stranger.get(f"/api/v1/projects/{theirs.project.pk}/results/?view={view.pk}")
    assert results.status_code == 400 and "view" in error_of(results)["details"]
    view.refresh_from_db()
    assert view.name == "Mine"


def test_the_results_list_applies_a_view(seeded, api):
    view = saved_views.create_view(
        seeded.project, seeded.project.user, "Negative Steam", "platform=steam&sentiment=negative&sort=newest"
    )
    results = f"/api/v1/projects/{seeded.project.pk}/results/"
    wanted = reads.select(seeded.project.user, seeded.project, saved_views.params_of(view)).queryset
    ids = all_ids(api, f"{results}?" + urlencode({"view": str(view.pk), "page_size": 3}))
    assert ids == [str(r.pk) for r in wanted] and ids
    # A parameter given beside the view replaces the view's.
    positive = {"platform": "steam", "sentiment": "positive", "sort": "newest"}
    wanted = reads.select(seeded.project.user, seeded.project, positive).queryset
    ids = all_ids(api, f"{results}?" + urlencode({"view": str(view.pk), "sentiment": "positive"}))
    assert ids == [str(r.pk) for r in wanted] and ids
