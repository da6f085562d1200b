"""A bulk action over more matching results than a request should change runs on a real worker."""

import pytest
from django.urls import reverse

from analysis import bulk
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import seed
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def tagged(project, tag: str) -> set:
    return {d["_id"] for d in collection("results").find({"project_id": project.pk, "tags": tag}, {"_id": 1})}


def test_a_large_selection_is_tagged_by_a_worker_and_only_in_the_users_project(
    celery_worker_process, client, settings, seed_clock
):
    settings.BULK_BACKGROUND_ABOVE = 10
    seeded = seed(make_user(), count=60)
    other = seed(make_user(), count=20, name="Someone else's")
    steam = {d["_id"] for d in seeded.visible() if d["platform"] == "steam"}
    assert len(steam) > settings.BULK_BACKGROUND_ABOVE
    client.force_login(seeded.project.user)
    url = reverse("analysis:results_bulk", args=[seeded.project.pk]) + "?platform=steam"

    response = client.post(url, {"scope": "all", "action": "tag", "tag": "to read"}, follow=True)

    page = response.content.decode()
    assert f"Tagged {len(steam)} results “to read”: in the background" in page
    assert wait_for(lambda: tagged(seeded.project, "to read") == steam)
    assert not tagged(other.project, "to read")

    # Applied twice (a redelivered task, or the user clicking again), nothing else changes.
    client.post(url, {"scope": "all", "action": "tag", "tag": "to read"})
    assert bulk.apply_for(
        str(seeded.project.user.pk), str(seeded.project.pk), "platform=steam", "tag", "to read"
    ) == (len(steam), 0)
    assert tagged(seeded.project, "to read") == steam


def test_a_queued_action_for_a_project_that_is_not_the_users_changes_nothing(db, seed_clock):
    mine = seed(make_user(), count=20)
    theirs = seed(make_user(), count=20, name="Theirs")
    user_id, their_project = str(mine.project.user.pk), str(theirs.project.pk)
    assert bulk.apply_for(user_id, their_project, "", "tag", "x") == (0, 0)
    assert not tagged(theirs.project, "x")


def test_ticked_rows_and_small_selections_stay_in_the_request(db, client, settings, seed_clock):
    settings.BULK_BACKGROUND_ABOVE = 1000
    seeded = seed(make_user(), count=30)
    client.force_login(seeded.project.user)
    url = reverse("analysis:results_bulk", args=[seeded.project.pk])
    response = client.post(url, {"scope": "all", "action": "pin"}, follow=True)
    visible = len(seeded.visible())
    already = sum(1 for d in seeded.visible() if d.get("pinned"))
    suffix = f" ({already:,} already so)" if already else ""
    assert f"Pinned {visible} results{suffix}." in response.content.decode()
    assert collection("results").count_documents({"project_id": seeded.project.pk, "pinned": True}) == visible
