"""The explorer's windowed pages (``analysis.explorer_window``) on the embedded server: the same
results, order and count as the plain queryset's pages, counts from the project's counters, the
capped count of filtered views, and the fallbacks."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse

from analysis import explorer, explorer_window
from analysis.explorer_window import WindowPaginator
from analysis.models import Result
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
    user, project = seeded.project.user, seeded.project
    queryset, state = explorer.filter_results(user, project, QueryDict(params))
    plain = explorer.paginate(queryset, state, per_page)
    return explorer_window.page_for(user, project, queryset, state, per_page), plain


def ids(page):
    return [r.pk for r in page.object_list]


PLAIN = ["", "status=all", "status=excluded", "page=2", "page=99", "sort=collected&page=3"]


def cases(seeded):
    made = [make(seeded) for name, (make, _) in CASES.items() if "search" not in name]
    return [*PLAIN, *made, *(f"{m}&status=all" for m in made), *(f"{m}&page=2" for m in made)]


@pytest.mark.parametrize("per_page", [5, 7, 25])
def test_windowed_pages_equal_the_plain_pages(seeded, per_page):
    assert explorer_window.windowed_server()
    for params in cases(seeded):
        windowed, plain = both(seeded, params, per_page)
        assert isinstance(windowed.paginator, WindowPaginator), params
        assert ids(windowed) == ids(plain), params
        assert windowed.number == plain.number, params
        assert windowed.paginator.count == plain.paginator.count, params
        assert windowed.start_index() == plain.start_index(), params
        assert windowed.has_next() == plain.has_next() and windowed.has_previous() == plain.has_previous()


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
    monkeypatch.setattr(explorer_window, "COUNT_CAP", 12)
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


@pytest.mark.parametrize(
    "params", ["sort=score_asc", "sort=newest", "q=game", "sort=rating_desc&platform=amazon"]
)
def test_other_sorts_and_search_take_the_plain_queryset(seeded, params):
    windowed, plain = both(seeded, params, 5)
    assert not isinstance(windowed.paginator, WindowPaginator)
    assert ids(windowed) == ids(plain)


def test_mongodb_keeps_the_plain_queryset(seeded, monkeypatch):
    monkeypatch.setattr(explorer_window, "windowed_server", lambda alias="default": False)
    windowed, plain = both(seeded, "", 5)
    assert not isinstance(windowed.paginator, WindowPaginator) and ids(windowed) == ids(plain)


def test_windows_never_leave_the_project(seeded):
    other = seed(make_user(), count=5, name="Someone else's")
    windowed, _ = both(seeded, "status=all", 200)
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
