"""The explorer's pages read by the results store: on the embedded server every sort order, alone
and with each filter, is read in windows (``analysis.results_store.windows``) and gives the same
results, order and count as the plain queryset's page; counts come from the project's counters
when nothing is filtered, are capped ("1,000+") when a filter has many matches, and a read that
reaches its scan limit says how far it looked. On MongoDB the plain queryset answers."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse

from analysis import explorer
from analysis.models import Result
from analysis.results_store import reads, server, sorting, windows
from analysis.results_store.reads import WindowPaginator
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import result_doc, seed
from tests.test_explorer import CASES


@pytest.fixture
def seeded(db, seed_clock):
    data = seed(make_user())
    # A result from long before the widest window, and one collected "in the future" (clock skew).
    rng = random.Random(1)
    old = result_doc(data.project, data.targets[0], "An old review", rng, now=data.today, i=1000)
    old["created_at"] = data.today - timedelta(days=4 * 365)
    future = result_doc(
        data.project, data.targets[1], "A review from the future", rng, now=data.today, i=1001
    )
    future["created_at"] = data.today + timedelta(minutes=3)
    collection("results").insert_many([old, future])
    collection("projects").update_one({"_id": data.project.pk}, {"$inc": {"stats.total_results": 2}})
    data.docs += [old, future]
    return data


def both(seeded, params: str, per_page: int):
    """(windowed page, plain page) for the same parameters."""
    selection = reads.select(seeded.project.user, seeded.project, QueryDict(params))
    plain = reads.paginate(selection.queryset, selection.state.page, per_page)
    return reads.page(selection, per_page), plain


def ids(page):
    return [r.pk for r in page.object_list]


PLAIN = ["", "status=all", "status=excluded", "page=2", "page=99", "sort=collected&page=3"]


def cases(seeded):
    made = [make(seeded) for make, _ in CASES.values()]
    return [*PLAIN, *made, *(f"{m}&status=all" for m in made), *(f"{m}&page=2" for m in made)]


def assert_same_page(windowed, plain, query):
    assert isinstance(windowed.paginator, WindowPaginator), query
    assert ids(windowed) == ids(plain), query
    assert windowed.number == plain.number, query
    assert windowed.paginator.count == plain.paginator.count, query
    assert not windowed.paginator.at_least and not windowed.paginator.partial, query
    assert windowed.start_index() == plain.start_index(), query
    assert windowed.has_next() == plain.has_next() and windowed.has_previous() == plain.has_previous(), query


@pytest.mark.parametrize("per_page", [5, 7, 25])
def test_windowed_pages_equal_the_plain_pages(seeded, per_page):
    assert server.server_profile().windowed
    for params in cases(seeded):
        assert_same_page(*both(seeded, params, per_page), params)


@pytest.mark.parametrize("sort", [s for s in sorting.SORTS if s != sorting.DEFAULT_SORT])
def test_every_order_with_every_filter_pages_as_the_plain_queryset(seeded, sort):
    made = [make(seeded) for make, _ in CASES.values()]
    for params in [*PLAIN, *made]:
        query = f"{params}&sort={sort}"
        assert_same_page(*both(seeded, query, 7), query)


def test_counters_give_the_real_count_and_follow_triage(seeded):
    for status in ("active", "all", "excluded"):
        windowed, plain = both(seeded, f"status={status}&page=2", 5)
        assert (
            windowed.paginator.count
            == plain.paginator.count
            == Result.objects.filter(
                project_id=seeded.project.pk,
                **({} if status == "all" else {"excluded": status == "excluded"}),
            ).count()
        )
    result = Result.objects.filter(project_id=seeded.project.pk, excluded=False).first()
    explorer.set_excluded(result, True)
    windowed, plain = both(seeded, "page=2", 5)
    assert windowed.paginator.count == plain.paginator.count
    assert result.pk not in ids(both(seeded, "", 200)[0])


def test_counters_that_drifted_never_hide_results(seeded):
    collection("projects").update_one({"_id": seeded.project.pk}, {"$set": {"stats.total_results": 3}})
    windowed, plain = both(seeded, "", 25)
    assert ids(windowed) == ids(plain) and windowed.paginator.count == plain.paginator.count


def test_a_filtered_view_counts_up_to_the_cap(seeded, client, monkeypatch):
    monkeypatch.setattr(reads, "COUNT_CAP", 12)
    user = seeded.project.user
    user.settings.results_per_page = 5
    user.save()
    windowed, plain = both(seeded, "platform=steam", 5)
    assert plain.paginator.count > 12
    assert windowed.paginator.at_least and windowed.paginator.shown_count == 12
    assert ids(windowed) == ids(plain) and windowed.has_next()
    client.force_login(user)
    url = reverse("analysis:explorer", args=[seeded.project.pk])
    html = client.get(url, {"platform": "steam"}).content.decode()
    assert "of 12+ results" in html and "Page 1</li>" in html and "page=2" in html
    # Past the cap the plain queryset answers, with the exact count.
    page = client.get(url, {"platform": "steam", "page": "3"}).context["page"]
    assert not isinstance(page.paginator, WindowPaginator) and page.paginator.count == plain.paginator.count
    # A filter with fewer matches than the cap is counted exactly.
    windowed, plain = both(seeded, "pinned=1", 5)
    assert not windowed.paginator.at_least and windowed.paginator.count == plain.paginator.count


def test_the_cap_is_shown_as_a_thousand_plus(db, client, seed_clock):
    big = seed(make_user(), count=0, texts=[], name="Many")
    rng = random.Random(3)
    docs = [
        result_doc(big.project, big.targets[i % 2], f"Review number {i}", rng, now=big.today, i=i)
        for i in range(1100)
    ]
    for doc in docs:
        doc["excluded"] = False
    collection("results").insert_many(docs)
    client.force_login(big.project.user)
    response = client.get(reverse("analysis:explorer", args=[big.project.pk]), {"platform": "steam"})
    page = response.context["page"]
    assert page.paginator.at_least and page.paginator.count > reads.COUNT_CAP
    html = response.content.decode()
    assert "of 1,000+ results" in html and "Page 1</li>" in html and "Page 1 of" not in html


def test_a_larger_project_counts_a_little_past_the_page(seeded, client, monkeypatch):
    """Beyond :data:`reads.SCAN_LIMIT` results a filtered view counts only the matches of a few
    more documents than its page needed, and says the count is a lower bound."""
    monkeypatch.setattr(reads, "SCAN_LIMIT", 40)  # the seeded project (62 results) is "larger"
    monkeypatch.setattr(reads, "COUNT_READ", 5)
    monkeypatch.setattr(windows, "TARGET", 4)
    windowed, plain = both(seeded, "platform=steam", 5)
    assert windowed.paginator.at_least and not windowed.paginator.partial
    assert 5 < windowed.paginator.count < plain.paginator.count
    assert ids(windowed) == ids(plain) and windowed.has_next()
    client.force_login(seeded.project.user)
    html = client.get(
        reverse("analysis:explorer", args=[seeded.project.pk]), {"platform": "steam"}
    ).content.decode()
    assert "+ results" in html and "Page 1</li>" in html


def test_a_read_stops_at_its_scan_limit_and_says_so(seeded, client, monkeypatch):
    monkeypatch.setattr(windows, "TARGET", 2)
    monkeypatch.setattr(reads, "SCAN_LIMIT", 10)
    query = QueryDict("sort=score_desc&language=de")
    selection = reads.select(seeded.project.user, seeded.project, query)
    page = reads.page(selection, 25)
    plain = reads.paginate(selection.queryset, 1, 25)
    assert page.paginator.partial and page.paginator.at_least and page.paginator.scanned >= 10
    # What it shows is the head of the full answer, in order, never a result that does not match.
    assert ids(page) == ids(plain)[: len(ids(page))] and len(ids(page)) < len(ids(plain))
    assert page.paginator.count == len(ids(page))
    client.force_login(seeded.project.user)
    html = client.get(reverse("analysis:explorer", args=[seeded.project.pk]), query).content.decode()
    assert f"of {page.paginator.count}+ result" in html
    assert "Only the first" in html and "results in this order were checked" in html


@pytest.mark.parametrize("sort", list(sorting.SORTS))
def test_paging_through_every_order_is_stable(seeded, sort):
    """Every page of every order, one after the other: each result once, in the plain order."""
    for params in ("", "platform=steam", "sentiment=negative&sentiment=very_negative", "status=all"):
        query = f"{params}&sort={sort}"
        selection = reads.select(seeded.project.user, seeded.project, QueryDict(query))
        want = [r.pk for r in selection.queryset]
        got, number = [], 1
        while True:
            page = reads.page(
                reads.select(seeded.project.user, seeded.project, QueryDict(f"{query}&page={number}")), 6
            )
            got += ids(page)
            if not page.has_next():
                break
            number += 1
        assert got == want, query


def test_mongodb_keeps_the_plain_queryset(seeded, monkeypatch):
    mongodb = server.ServerProfile(server.MONGODB, "7.0.12")
    monkeypatch.setattr(server, "profile_of", lambda client: mongodb)
    for params in ("", "sort=score_asc&sentiment=negative", "platform=steam&page=2"):
        windowed, plain = both(seeded, params, 5)
        assert ids(windowed) == ids(plain), params
        assert windowed.paginator.count == plain.paginator.count and not windowed.paginator.at_least


def test_mongodb_counts_are_capped(seeded, monkeypatch):
    monkeypatch.setattr(server, "profile_of", lambda client: server.ServerProfile(server.MONGODB, "7.0"))
    monkeypatch.setattr(reads, "MONGODB_COUNT_CAP", 10)
    windowed, plain = both(seeded, "platform=steam", 5)
    assert windowed.paginator.at_least and windowed.paginator.shown_count == 10
    assert ids(windowed) == ids(plain) and windowed.has_next()


def test_windows_never_leave_the_project(seeded):
    other = seed(make_user(), count=5, name="Someone else's")
    for sort in sorting.SORTS:
        windowed, _ = both(seeded, f"status=all&sort={sort}", 200)
        mine = {d["_id"] for d in seeded.docs}
        assert set(ids(windowed)) <= mine and not set(ids(windowed)) & {d["_id"] for d in other.docs}


def test_the_default_view_page_in_the_browser_shows_the_exact_count(seeded, client):
    client.force_login(seeded.project.user)
    response = client.get(reverse("analysis:explorer", args=[seeded.project.pk]))
    visible = len(seeded.visible())
    page = response.context["page"]
    assert isinstance(page.paginator, WindowPaginator) and page.paginator.count == visible
    assert f"of {visible} results" in response.content.decode()
    assert datetime.now(UTC) > seeded.today  # the seeded dates are in the past, the windows' origin now
