"""Cursor pagination: stable while results are being added, complete with ties and missing
values, in every sort order the explorer has, and strict about its cursors."""

import random
from datetime import timedelta

import pytest
from django.utils.http import urlencode

from analysis.results_store import reads
from api.pagination import MAX_PAGE_SIZE
from notifications import services
from sentimatrix.mongo import collection
from tests.api_helpers import api_client, error_of, make_token
from tests.factories import make_user
from tests.results_seed import result_doc, seed, steam_texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(fast_passwords, seed_clock):
    owner = make_user(plan="enterprise")
    return seed(owner, 40)


@pytest.fixture
def client(seeded):
    return api_client(make_token(seeded.project.user))


def _url(seeded, **params) -> str:
    return f"/api/v1/projects/{seeded.project.pk}/results/?" + urlencode(params, doseq=True)


def _pages(client, url: str) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([r["id"] for r in body["results"]])
        url = body["next"]
    return pages


def _add_results(seeded, count: int, *, created_at) -> list:
    """New results as a running job writes them (pymongo bulk insert), all at ``created_at``."""

    rng = random.Random(7)
    texts = steam_texts(count)
    docs = [
        result_doc(seeded.project, seeded.targets[0], text, rng, now=seeded.today, i=1000 + i)
        for i, text in enumerate(texts)
    ]
    for doc in docs:
        doc["created_at"] = created_at
        doc["excluded"] = False
    collection("results").insert_many(docs)
    return [doc["_id"] for doc in docs]


def test_pages_stay_stable_while_results_are_being_added(client, seeded):
    expected = reads.select(seeded.project.user, seeded.project, {}).queryset
    expected = [str(r.pk) for r in expected]
    first = client.get(_url(seeded, page_size=7)).json()
    seen = [r["id"] for r in first["results"]]
    url = first["next"]
    # A job stores new results between the client's requests: newer than everything paged.
    added = _add_results(seeded, 10, created_at=seeded.today + timedelta(minutes=5))
    for page in _pages(client, url):
        seen += page
    assert seen == expected  # every original result once, in order, none of the new ones
    assert not set(map(str, added)) & set(seen)
    # A new listing starts with the new results.
    fresh = client.get(_url(seeded, page_size=10)).json()["results"]
    assert {r["id"] for r in fresh} == set(map(str, added))


def test_results_sharing_a_collection_time_are_neither_lost_nor_repeated(client, seeded):
    tied = _add_results(seeded, 9, created_at=seeded.today - timedelta(hours=3, seconds=30))
    expected = reads.select(seeded.project.user, seeded.project, {}).queryset
    pages = _pages(client, _url(seeded, page_size=4))
    flat = [i for page in pages for i in page]
    assert flat == [str(r.pk) for r in expected]
    assert len(flat) == len(set(flat)) and set(map(str, tied)) <= set(flat)
    assert all(len(page) == 4 for page in pages[:-1])


@pytest.mark.parametrize("sort", ["newest", "oldest", "score_desc", "score_asc", "rating_desc", "rating_asc"])
def test_every_sort_pages_through_everything_including_missing_values(client, seeded, sort):
    params = {"sort": sort, "status": "all"}
    expected = reads.select(seeded.project.user, seeded.project, params).queryset
    expected = [str(r.pk) for r in expected]
    # The seed leaves some posted dates, ratings and sentiments empty: the cursor crosses them.
    pages = _pages(client, _url(seeded, page_size=6, **params))
    assert [i for page in pages for i in page] == expected


def test_other_lists_page_newest_first_too(client, seeded, settings):
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_LOOPBACK = True

    made = [
        services.create_webhook(
            seeded.project.user, url=f"http://127.0.0.1:9/{i}", events=["job.failed"]
        ).webhook
        for i in range(5)
    ]
    pages = _pages(client, "/api/v1/webhooks/?page_size=2")
    assert [len(p) for p in pages] == [2, 2, 1]
    newest_first = sorted(made, key=lambda w: (w.created_at, w.pk), reverse=True)
    assert [i for page in pages for i in page] == [str(w.pk) for w in newest_first]


def test_cursors_are_checked(client, seeded):
    first = client.get(_url(seeded, page_size=5)).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    forged = client.get(_url(seeded, cursor=cursor[:-3] + "abc"))
    assert forged.status_code == 400 and list(error_of(forged)["details"]) == ["cursor"]
    other_order = client.get(_url(seeded, sort="oldest") + "&cursor=" + cursor)
    assert other_order.status_code == 400
    assert "another sort order" in error_of(other_order)["details"]["cursor"][0]
    for size in (0, MAX_PAGE_SIZE + 1, "ten"):
        response = client.get(_url(seeded, page_size=size))
        assert response.status_code == 400 and "page_size" in error_of(response)["details"]
    assert len(client.get(_url(seeded, page_size=MAX_PAGE_SIZE)).json()["results"]) == len(seeded.visible())
