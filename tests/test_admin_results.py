"""The admin's results list: newest stored first, paged, filtered and searched with the explorer's
filters and search (through the results store), counted without counting every result."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import User
from analysis.admin import ResultAdmin
from analysis.models import Result
from analysis.results_store import admin_list, reads
from analysis.stats import bucket
from tests.factories import make_user
from tests.results_seed import seed

PER_PAGE = 7


@pytest.fixture
def two_projects(db, seed_clock):
    first = seed(make_user(), 40)
    second = seed(make_user(), 25, name="Second project")
    return first, second


@pytest.fixture
def admin_client(client, two_projects, monkeypatch):
    monkeypatch.setattr(ResultAdmin, "list_per_page", PER_PAGE)
    client.force_login(User.objects.create_superuser("boss@example.com", "a-Long-pass-phrase-42"))
    return client


URL = reverse("admin:analysis_result_changelist")


def newest_first(docs) -> list:
    """Ids of ``docs``, newest stored first (ties by id, the larger first)."""
    return [d["_id"] for d in sorted(docs, key=lambda d: (d["created_at"], d["_id"]), reverse=True)]


def shown(response) -> list:
    assert response.status_code == 200
    return [r.pk for r in response.context["cl"].result_list]


def test_the_plain_list_pages_through_every_project_newest_stored_first(admin_client, two_projects):
    docs = [d for s in two_projects for d in s.docs]
    everything = newest_first(docs)
    first = admin_client.get(URL)
    assert shown(first) == everything[:PER_PAGE]
    cl = first.context["cl"]
    # Counted from the projects' counters, exactly.
    assert cl.result_count == len(docs) and not cl.count_at_least
    assert f"{len(docs)} results" in first.content.decode()
    third = admin_client.get(URL, {"p": 3})
    assert shown(third) == everything[2 * PER_PAGE : 3 * PER_PAGE]
    last_page = -(-len(docs) // PER_PAGE)
    assert shown(admin_client.get(URL, {"p": last_page})) == everything[(last_page - 1) * PER_PAGE :]
    # A page past the end shows the last one.
    assert shown(admin_client.get(URL, {"p": 999})) == everything[(last_page - 1) * PER_PAGE :]
    # Each row names its project.
    assert "Second project" in first.content.decode()


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"platform__exact": "amazon"}, lambda d: d["platform"] == "amazon"),
        ({"platform": "steam"}, lambda d: d["platform"] == "steam"),
        ({"sentiment": "negative"}, lambda d: (d["analysis"]["sentiment"] or {}).get("label") == "negative"),
        ({"sentiment": "none"}, lambda d: d["analysis"]["sentiment"] is None),
        ({"excluded__exact": "1"}, lambda d: d["excluded"]),
        ({"excluded__exact": "0", "pinned__exact": "1"}, lambda d: not d["excluded"] and d["pinned"]),
        (
            {"pinned__exact": "0", "platform__exact": "steam"},
            lambda d: not d["pinned"] and d["platform"] == "steam",
        ),
    ],
)
def test_filters_show_the_right_rows(admin_client, two_projects, params, keep):
    wanted = newest_first(d for s in two_projects for d in s.docs if keep(d))
    assert wanted
    found, page = [], 1
    while True:
        response = admin_client.get(URL, {**params, "p": page})
        rows = shown(response)
        found += rows
        cl = response.context["cl"]
        if len(found) >= len(wanted) or not rows:
            break
        # A filtered list counts what it read: at least one more page while there is one.
        assert cl.count_at_least and cl.result_count > page * PER_PAGE
        page += 1
    assert found == wanted
    assert not response.context["cl"].count_at_least and response.context["cl"].result_count == len(wanted)


def test_the_search_is_the_explorers(admin_client, two_projects):
    for query in ("game", '"the game" -puzzle', "-game"):
        explorer = set()
        for seeded in two_projects:
            selection = reads.select(seeded.project.user, seeded.project, {"q": query, "status": "all"})
            explorer |= set(selection.queryset.values_list("pk", flat=True))
        assert explorer, query
        found, page = [], 1
        while len(found) < len(explorer):
            rows = shown(admin_client.get(URL, {"q": query, "p": page}))
            assert rows, (query, page)
            found += rows
            page += 1
        docs = [d for s in two_projects for d in s.docs if d["_id"] in explorer]
        assert found == newest_first(docs), query


def test_search_and_filters_together(admin_client, two_projects):
    keep = [
        d
        for s in two_projects
        for d in s.docs
        if d["platform"] == "steam" and bucket((d["analysis"]["sentiment"] or {}).get("label")) == "positive"
    ]
    response = admin_client.get(URL, {"platform__exact": "steam", "sentiment": "positive", "q": "game"})
    rows = shown(response)
    assert rows and set(rows) <= {d["_id"] for d in keep}
    assert all("game" in Result.objects.get(pk=pk).content.text.lower() for pk in rows)
    assert "at least" in response.content.decode() or len(rows) < PER_PAGE


def test_a_lookup_the_store_does_not_describe_is_still_answered(admin_client, two_projects):
    first, _ = two_projects
    response = admin_client.get(URL, {"project__id__exact": str(first.project.pk)})
    rows = shown(response)
    assert rows == newest_first(first.docs)[:PER_PAGE]
    assert admin.site._registry[Result].show_full_result_count is False


def test_a_rare_search_stops_after_the_scan_limit_and_says_so(admin_client, two_projects, monkeypatch):
    monkeypatch.setattr(admin_list, "SCAN_LIMIT", 20)
    response = admin_client.get(URL, {"q": "no-such-word-anywhere"})
    cl = response.context["cl"]
    assert cl.read_partial and cl.count_at_least and shown(response) == []
    assert f"(only the newest {cl.scanned} results were checked)" in response.content.decode()
    assert cl.scanned >= 20  # the window that reached the limit is read whole
