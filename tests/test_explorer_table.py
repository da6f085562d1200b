"""The explorer's table view and its bulk actions: columns and page size in the URL (validated),
row selection (ticked rows or every result matching the filters, re-derived by the server), bulk
tag / untag / exclude / include / pin / export with their counts, ownership, human chip names, an
invalid date reported, scraped text escaped."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from analysis import bulk, display, stats
from projects.models import Project
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import XSS, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=110, extra=[f"Broken puzzle physics {XSS}"])


@pytest.fixture
def signed_in(client, seeded):
    client.force_login(seeded.project.user)
    return client


def explorer_url(seeded) -> str:
    return reverse("analysis:explorer", args=[seeded.project.pk])


def bulk_url(seeded, query: str = "") -> str:
    url = reverse("analysis:results_bulk", args=[seeded.project.pk])
    return f"{url}?{query}" if query else url


def stored(seeded) -> dict:
    """The project's results as stored now, by id."""
    return {d["_id"]: d for d in collection("results").find({"project_id": seeded.project.pk})}


def assert_counters_match_a_rebuild(project_id):
    # The incremental moves equal a recomputation: rebuild finds nothing to put right.
    assert stats.rebuild(project_id) == {}


# --- the table -------------------------------------------------------------------------------


def test_the_table_is_the_default_with_every_column_and_the_cards_stay_available(seeded, signed_in):
    response = signed_in.get(explorer_url(seeded))
    html = response.content.decode()
    shown = response.context["page"].object_list
    assert 'class="result-table' in html and 'class="result-list"' not in html
    heads = [label for key, label in display.COLUMNS.items() if f">{label}</th>" in html]
    assert heads == [display.COLUMNS[key] for key in display.DEFAULT_COLUMNS]
    every = signed_in.get(explorer_url(seeded), {"cols": ",".join(display.COLUMNS)}).content.decode()
    assert all(f">{label}</th>" in every for label in display.COLUMNS.values())
    # One checkbox per row, joined to the bulk form; every row opens its result.
    assert html.count('name="ids"') == len(shown)
    assert html.count('form="bulk-form"') == len(shown)
    for result in shown:
        assert reverse("analysis:result", args=[seeded.project.pk, result.pk]) in html
    assert 'action="/' in html and reverse("analysis:results_bulk", args=[seeded.project.pk]) in html
    cards = signed_in.get(explorer_url(seeded), {"layout": "cards"}).content.decode()
    assert 'class="result-list"' in cards and 'class="result-table' not in cards
    assert cards.count('class="triage"') == len(shown)


def test_chosen_columns_and_page_size_live_in_the_url_and_in_every_link(seeded, signed_in):
    response = signed_in.get(explorer_url(seeded), {"cols": "date,text,tags", "per_page": "50"})
    html = response.content.decode()
    page = response.context["page"]
    assert len(page.object_list) == 50 and page.paginator.num_pages == 3
    heads = [label for key, label in display.COLUMNS.items() if f">{label}</th>" in html]
    assert heads == ["Date", "Text", "Tags"]
    assert "cell-author" not in html and "cell-sentiment" not in html
    # Next page, filter chips and the filters form keep the display.
    assert "?page=2&amp;cols=date%2Ctext%2Ctags&amp;per_page=50" in html
    assert '<input type="hidden" name="cols" value="date,text,tags">' in html
    for size in (100, 200):
        bigger = signed_in.get(explorer_url(seeded), {"per_page": str(size)}).context["page"]
        assert len(bigger.object_list) == min(size, bigger.paginator.count)
    chips = signed_in.get(explorer_url(seeded), {"platform": "steam", "per_page": "100"}).context["chips"]
    assert chips == [("Platform: Steam", "per_page=100")]


def test_invalid_display_values_are_reported_and_left_out(seeded, signed_in):
    user = seeded.project.user
    response = signed_in.get(explorer_url(seeded), {"per_page": "37", "cols": "date,bogus", "layout": "grid"})
    html = response.content.decode()
    assert display.PER_PAGE_ERROR in html and display.LAYOUT_ERROR in html
    assert "Unknown column left out" in html
    assert len(response.context["page"].object_list) == user.settings.results_per_page
    assert response.context["display"].columns == ("date",) and 'class="result-table' in html


def test_an_invalid_date_in_the_url_is_reported_never_ignored_silently(seeded, signed_in):
    response = signed_in.get(explorer_url(seeded), {"date_from": "2026-13-45", "platform": "steam"})
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "“2026-13-45” is not a valid date and was left out." in html
    assert "Dates are written YYYY-MM-DD." in html
    # The rest of the filters still apply.
    steam = [d for d in seeded.visible() if d["platform"] == "steam"]
    assert response.context["page"].paginator.count == len(steam)


def test_filter_chips_show_human_names(seeded, signed_in):
    target = seeded.targets[1]
    response = signed_in.get(
        explorer_url(seeded),
        {"platform": "steam", "sentiment": "very_negative", "target": str(target.pk), "status": "all"},
    )
    labels = [label for label, _ in response.context["chips"]]
    assert labels == ["Target: Rival game", "Platform: Steam", "Sentiment: Very negative", "Status: All"]
    html = response.content.decode()
    assert "Platform: steam" not in html and "Sentiment: very_negative" not in html


def test_scraped_markup_is_escaped_in_the_table(seeded, signed_in):
    for query in ({"q": "physics"}, {"q": "script"}, {"cols": "author,text"}, {"sort": "oldest"}):
        html = signed_in.get(explorer_url(seeded), {**query, "per_page": "200"}).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, query
        assert "&lt;script&gt;" in html or "&lt;<mark>script</mark>&gt;" in html, query


def test_filters_fold_behind_a_button_and_the_keyboard_script_is_loaded(seeded, signed_in):
    html = signed_in.get(explorer_url(seeded)).content.decode()
    assert '<details class="filters-panel">' in html and "<summary" in html
    assert "js/explorer.js" in html


# --- bulk actions ----------------------------------------------------------------------------


def test_select_all_matching_tags_and_untags_every_match_in_a_few_updates(seeded, signed_in):
    steam = {d["_id"] for d in seeded.visible() if d["platform"] == "steam"}
    response = signed_in.post(
        bulk_url(seeded, "platform=steam&page=2"),
        {
            "scope": "all",
            "action": "tag",
            "tag": "  follow   up ",
            "next": explorer_url(seeded) + "?platform=steam",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == explorer_url(seeded) + "?platform=steam"
    assert f"Tagged {len(steam)} results “follow up”." in response.content.decode()
    now = stored(seeded)
    assert {pk for pk, d in now.items() if "follow up" in (d.get("tags") or [])} == steam
    # Tags already there stay; the second time nothing changes and the message says so.
    assert all("battery" in now[d["_id"]]["tags"] for d in seeded.docs if "battery" in d["tags"])
    again = signed_in.post(
        bulk_url(seeded, "platform=steam"), {"scope": "all", "action": "tag", "tag": "follow up"}
    )
    assert again.status_code == 302
    untag = signed_in.post(
        bulk_url(seeded, "tag=follow+up"),
        {"scope": "all", "action": "untag", "tag": "follow up"},
        follow=True,
    )
    assert f"Untagged {len(steam)} results “follow up”." in untag.content.decode()
    assert not [d for d in stored(seeded).values() if "follow up" in (d.get("tags") or [])]


def test_select_all_matching_excludes_and_includes_again_with_the_statistics(seeded, signed_in):
    negative = {
        d["_id"]
        for d in seeded.visible()
        if d["analysis"]["sentiment"] and d["analysis"]["sentiment"]["label"] == "negative"
    }
    before = Project.objects.get(pk=seeded.project.pk).stats.total_results
    response = signed_in.post(
        bulk_url(seeded, "sentiment=negative"), {"scope": "all", "action": "exclude"}, follow=True
    )
    assert f"Marked as spam/irrelevant {len(negative)} results." in response.content.decode()
    now = stored(seeded)
    assert {pk for pk in negative if now[pk]["excluded"]} == negative
    assert_counters_match_a_rebuild(seeded.project.pk)
    shown = signed_in.get(explorer_url(seeded), {"sentiment": "negative"}).context["page"].paginator.count
    assert shown == 0
    # Back in: the "excluded" view of the same filter, every match.
    response = signed_in.post(
        bulk_url(seeded, "sentiment=negative&status=excluded"),
        {"scope": "all", "action": "include"},
        follow=True,
    )
    excluded_negative = [
        d
        for d in seeded.docs
        if d["analysis"]["sentiment"] and d["analysis"]["sentiment"]["label"] == "negative"
    ]
    assert f"Included again {len(excluded_negative)} results." in response.content.decode()
    assert not [d for d in stored(seeded).values() if d["_id"] in negative and d["excluded"]]
    assert_counters_match_a_rebuild(seeded.project.pk)
    assert Project.objects.get(pk=seeded.project.pk).stats.total_results == before


def test_ticked_rows_are_pinned_and_another_users_ids_change_nothing(seeded, signed_in):
    other = seed(make_user(), count=4, name="Someone else's")
    theirs = [d["_id"] for d in other.docs if not d["pinned"]]
    mine = [d["_id"] for d in seeded.visible() if not d["pinned"]][:3]
    response = signed_in.post(
        bulk_url(seeded),
        {"scope": "ids", "action": "pin", "ids": [str(i) for i in [*mine, *theirs]] + ["not-an-id"]},
        follow=True,
    )
    assert "Pinned 3 results." in response.content.decode()
    now = stored(seeded)
    assert all(now[pk]["pinned"] for pk in mine)
    assert not [d for d in collection("results").find({"_id": {"$in": theirs}}) if d["pinned"]]
    unpin = signed_in.post(
        bulk_url(seeded), {"scope": "ids", "action": "unpin", "ids": [str(mine[0])]}, follow=True
    )
    assert "Unpinned 1 result." in unpin.content.decode()
    assert not collection("results").find_one({"_id": mine[0]})["pinned"]


def test_another_users_project_is_a_404_and_nothing_of_theirs_changes(seeded, signed_in):
    other = seed(make_user(), count=4, name="Someone else's")
    before = {d["_id"]: d for d in collection("results").find({"project_id": other.project.pk})}
    url = reverse("analysis:results_bulk", args=[other.project.pk])
    for action in ("tag", "exclude", "pin", "export"):
        response = signed_in.post(url, {"scope": "all", "action": action, "tag": "mine"})
        assert response.status_code == 404, action
    after = {d["_id"]: d for d in collection("results").find({"project_id": other.project.pk})}
    assert after == before
    # A target of theirs in the filters is refused like a malformed id: the own project only.
    response = signed_in.post(
        bulk_url(seeded, f"target={other.targets[0].pk}"),
        {"scope": "all", "action": "tag", "tag": "x"},
        follow=True,
    )
    assert f"Tagged {len(seeded.visible())} results" in response.content.decode()
    assert not [d for d in collection("results").find({"project_id": other.project.pk}) if "x" in d["tags"]]


def test_bulk_requests_that_cannot_apply_say_why(seeded, signed_in):
    before = stored(seeded)
    cases = {
        "No result chosen": {"scope": "ids", "action": "pin"},
        "Tags are 1 to 64 characters": {"scope": "all", "action": "tag", "tag": "a,b"},
        "Unknown action": {"scope": "all", "action": "delete"},
        "Choose the rows to change": {"scope": "everything", "action": "pin"},
    }
    for message, data in cases.items():
        response = signed_in.post(bulk_url(seeded), data, follow=True)
        assert message in response.content.decode(), message
    assert stored(seeded) == before
    assert signed_in.get(bulk_url(seeded)).status_code == 405
    # Somewhere else is never where a bulk action returns to.
    away = signed_in.post(
        bulk_url(seeded), {"scope": "ids", "action": "pin", "next": "https://evil.example/"}
    )
    assert away["Location"] == explorer_url(seeded)


def test_the_selection_exports_as_csv_ticked_rows_or_every_match(seeded, signed_in):
    def rows(response):
        assert response["Content-Type"].startswith("text/csv")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(body)))

    ticked = [d["_id"] for d in seeded.visible()][:4]
    exported = rows(
        signed_in.post(
            bulk_url(seeded), {"scope": "ids", "action": "export", "ids": [str(i) for i in ticked]}
        )
    )
    assert sorted(r["id"] for r in exported) == sorted(str(i) for i in ticked)
    amazon = [d for d in seeded.visible() if d["platform"] == "amazon"]
    every = rows(signed_in.post(bulk_url(seeded, "platform=amazon"), {"scope": "all", "action": "export"}))
    assert sorted(r["id"] for r in every) == sorted(str(d["_id"]) for d in amazon)
    assert {r["platform"] for r in every} == {"amazon"}


def test_a_bulk_action_over_many_results_runs_one_update_per_chunk(seeded, monkeypatch):
    """Updates of 20 over ~100 results: a handful of update_many calls, never one per result."""
    calls = []
    real = type(collection("results")).update_many

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(bulk, "CHUNK", 40)
    monkeypatch.setattr(bulk, "EMBEDDED_UPDATE_CHUNK", 20)
    monkeypatch.setattr(type(collection("results")), "update_many", counting)
    chosen = bulk.selection_for(seeded.project.user, seeded.project, {}, scope="all", ids=[], targets=None)
    total, changed = bulk.apply(chosen, "tag", "many")
    assert total == len(seeded.visible()) and changed == total
    reads_of_40 = [40] * (total // 40) + ([total % 40] if total % 40 else [])
    assert len(calls) == sum(-(-n // 20) for n in reads_of_40) < total / 10
