"""The results explorer: every filter, combinations, search with highlights, sorting, URL state,
htmx partials, ownership and escaping. Expected results are computed from the seeded documents."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse

from analysis import explorer
from analysis.results_store import reads, sorting
from analysis.results_store.state import FilterState
from analysis.templatetags.analysis_tags import highlight_html
from scraping.models import ScrapeJob
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import XSS, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), extra=[f"Broken puzzle physics {XSS}"])


def ids_of(queryset):
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


def expected(seeded, keep, *, status="active"):
    docs = (
        seeded.docs
        if status == "all"
        else [d for d in seeded.docs if d["excluded"] == (status == "excluded")]
    )
    return {str(d["_id"]) for d in docs if keep(d)}


def run(seeded, params):
    selection = reads.select(seeded.project.user, seeded.project, QueryDict(params))
    return ids_of(selection.queryset), selection.state


def label(d):
    return (d["analysis"]["sentiment"] or {}).get("label")


def rating(d):
    return d["content"]["rating"]


def posted(d):
    """The posted date, else the collection date (what the explorer and the statistics use)."""
    return d["content"]["date"] or d["created_at"]


def in_days(when, first, last):
    return when is not None and first <= when.astimezone(UTC).date() <= last


CASES = {
    "target": (lambda s: f"target={s.targets[1].pk}", lambda s: lambda d: d["target_id"] == s.targets[1].pk),
    "two targets": (
        lambda s: f"target={s.targets[0].pk}&target={s.targets[2].pk}",
        lambda s: lambda d: d["target_id"] in {s.targets[0].pk, s.targets[2].pk},
    ),
    "platform": (lambda s: "platform=amazon", lambda s: lambda d: d["platform"] == "amazon"),
    "sentiment": (lambda s: "sentiment=negative", lambda s: lambda d: label(d) == "negative"),
    "sentiment bucket": (
        lambda s: "sentiment=positive&sentiment=very_positive",
        lambda s: lambda d: label(d) in {"positive", "very_positive"},
    ),
    "emotion": (
        lambda s: "emotion=joy",
        lambda s: lambda d: (d["analysis"]["emotions"] or {}).get("primary") == "joy",
    ),
    "rating from": (lambda s: "rating_min=4", lambda s: lambda d: rating(d) is not None and rating(d) >= 4),
    "rating range": (
        lambda s: "rating_min=2&rating_max=4",
        lambda s: lambda d: rating(d) is not None and 2 <= rating(d) <= 4,
    ),
    "language": (lambda s: "language=de", lambda s: lambda d: d["language"] == "de"),
    "posted dates": (
        lambda s: (
            f"date_field=content&tz=UTC&date_from={(s.today - timedelta(days=30)).date()}&date_to={s.today.date()}"
        ),
        lambda s: lambda d: in_days(posted(d), (s.today - timedelta(days=30)).date(), s.today.date()),
    ),
    "collected dates": (
        lambda s: f"date_field=collected&tz=UTC&date_from={(s.today - timedelta(days=1)).date()}",
        lambda s: lambda d: d["created_at"].date() >= (s.today - timedelta(days=1)).date(),
    ),
    "flagged": (lambda s: "flagged=1", lambda s: lambda d: d["flags"]["rating_disagreement"]),
    "pinned": (lambda s: "pinned=1", lambda s: lambda d: d["pinned"]),
    "tag": (lambda s: "tag=battery", lambda s: lambda d: "battery" in d["tags"]),
    "combination": (
        lambda s: (
            f"platform=steam&sentiment=negative&sentiment=very_negative&rating_max=2&language=en"
            f"&date_field=content&tz=UTC&date_from={(s.today - timedelta(days=60)).date()}"
        ),
        lambda s: (
            lambda d: (
                d["platform"] == "steam"
                and label(d) in {"negative", "very_negative"}
                and rating(d) is not None
                and rating(d) <= 2
                and d["language"] == "en"
                and in_days(posted(d), (s.today - timedelta(days=60)).date(), s.today.date())
            )
        ),
    ),
    "combination with search": (
        lambda s: f"q=game&target={s.targets[0].pk}&sentiment=positive&sentiment=very_positive",
        lambda s: (
            lambda d: (
                "game" in d["content"]["text"].lower()
                and d["target_id"] == s.targets[0].pk
                and label(d) in {"positive", "very_positive"}
            )
        ),
    ),
}


def test_each_filter_and_combinations_match_a_recomputation(seeded):
    # One seeded project for every case (each case is one query): fast, and each case says its name.
    for case, (params, keep) in CASES.items():
        want = expected(seeded, keep(seeded))
        got, state = run(seeded, params(seeded))
        assert not state.errors, case
        assert want, f"the seed has no result for {case}: the case would prove nothing"
        assert len(want) < len(seeded.visible()), case
        assert got == want, case


@pytest.mark.parametrize("status", ["excluded", "all"])
def test_status_shows_excluded_results_on_request(seeded, status):
    got, _ = run(seeded, f"status={status}")
    assert got == expected(seeded, lambda d: True, status=status)
    assert got  # the seed excludes some


def test_default_view_hides_excluded_results(seeded):
    got, state = run(seeded, "")
    assert got == {str(d["_id"]) for d in seeded.visible()} and not state.is_filtered


def test_search_finds_every_match_and_highlights_it(seeded, client):
    got, state = run(seeded, "q=PUZZLE")
    want = expected(seeded, lambda d: "puzzle" in (d["content"]["text"] + d["content"]["title"]).lower())
    assert got == want and state.terms == ["PUZZLE"] and state.search_mode == "pattern"
    client.force_login(seeded.project.user)
    page = client.get(
        reverse("analysis:explorer", args=[seeded.project.pk]), {"q": "puzzle"}
    ).content.decode()
    assert "<mark>puzzle</mark>" in page.lower()
    assert "<mark>" not in client.get(reverse("analysis:explorer", args=[seeded.project.pk])).content.decode()


def test_highlight_escapes_first_then_marks():
    assert highlight_html("a <b>bold</b> & Bold", ["bold"]) == (
        "a &lt;b&gt;<mark>bold</mark>&lt;/b&gt; &amp; <mark>Bold</mark>"
    )
    # A term that looks like markup is matched as text, never injected.
    assert highlight_html("x <script>y", ["<script>"]) == "x <mark>&lt;script&gt;</mark>y"
    assert highlight_html("a.b axb", ["a.b"]) == "<mark>a.b</mark> axb"


SORT_KEYS = {
    "score_desc": (lambda d: d["analysis"]["sentiment"]["score"], True),
    "score_asc": (lambda d: d["analysis"]["sentiment"]["score"], False),
    "rating_desc": (lambda d: d["content"]["rating"], True),
    "rating_asc": (lambda d: d["content"]["rating"], False),
    "newest": (lambda d: d["content"]["date"], True),
    "oldest": (lambda d: d["content"]["date"], False),
    "collected": (lambda d: d["created_at"], True),
}


def test_sorting(seeded):
    by_id = {str(d["_id"]): d for d in seeded.docs}
    for sort, (key, descending) in SORT_KEYS.items():
        selection = reads.select(
            seeded.project.user,
            seeded.project,
            {"sort": sort, "sentiment": ["negative", "positive", "neutral"]},
        )
        queryset, state = selection.queryset, selection.state
        assert state.sort == sort
        values = [key(by_id[str(pk)]) for pk in queryset.values_list("pk", flat=True)]
        present = [v for v in values if v is not None]
        assert len(present) > 5, sort
        assert present == sorted(present, reverse=descending), sort


def test_url_state_round_trip():
    params = QueryDict(
        "q=screen+glare&target=65a000000000000000000001&platform=steam&platform=amazon&sentiment=negative"
        "&emotion=Joy&language=en&rating_min=4.5&rating_max=2&date_field=collected&date_from=2024-03-31"
        "&date_to=2024-03-01&tz=Europe%2FBerlin&flagged=1&pinned=on&tag=battery&status=all&sort=score_asc&page=3"
    )
    state = FilterState.parse(params)
    assert not state.errors
    # Ranges given backwards are put the right way round; values are normalised.
    assert (state.rating_min, state.rating_max) == (2.0, 4.5)
    assert (state.date_from, state.date_to) == (date(2024, 3, 1), date(2024, 3, 31))
    assert state.emotions == ["joy"] and state.pinned and state.page == 3
    again = FilterState.parse(QueryDict(state.query_string(page=3)))
    assert again == state
    assert again.query_string(page=3) == state.query_string(page=3)
    # Changing a filter starts again at page 1; defaults are left out of the URL.
    assert "page=" not in state.query_string(sort="newest")
    assert FilterState.parse(QueryDict("")).query_string() == ""


def test_invalid_parameters_are_reported_not_raised(seeded):
    other = seed(make_user(), count=3, name="Someone else's")
    _, state = run(
        seeded,
        f"target={other.targets[0].pk}&platform=myspace&sentiment=ecstatic&rating_min=lots&date_from=yesterday"
        "&tz=Mars/Olympus&sort=random&status=maybe&page=-4",
    )
    assert set(state.errors) == {
        "target", "platform", "sentiment", "rating_min", "date_from", "tz", "sort", "status",
    }  # fmt: skip
    assert state.targets == [] and state.page == 1 and state.sort == sorting.DEFAULT_SORT
    got, _ = run(seeded, f"target={other.targets[0].pk}")
    assert got == {str(d["_id"]) for d in seeded.visible()}  # never the other project's results


def test_page_uses_the_users_results_per_page_and_keeps_the_filters(seeded, client):
    user = seeded.project.user
    user.settings.results_per_page = 5
    user.save()
    client.force_login(user)
    url = reverse("analysis:explorer", args=[seeded.project.pk])
    response = client.get(url, {"platform": "steam", "page": "2"})
    page = response.context["page"]
    want = expected(seeded, lambda d: d["platform"] == "steam")
    assert page.number == 2 and len(page.object_list) == 5 and page.paginator.count == len(want)
    html = response.content.decode()
    assert "?platform=steam&amp;page=3" in html and "?platform=steam&amp;page=1" not in html.replace(
        "page=1&", ""
    )
    assert response.context["state"].query_string(page=1) == "platform=steam"


def test_htmx_gets_the_list_partial_and_a_history_restore_the_page(seeded, client):
    client.force_login(seeded.project.user)
    url = reverse("analysis:explorer", args=[seeded.project.pk])
    # The card layout (the table has its own test: tests/test_explorer_table.py).
    query = {"sentiment": "negative", "layout": "cards"}
    full = client.get(url, query)
    partial = client.get(url, query, headers={"HX-Request": "true"})
    restore = client.get(url, query, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in full.content and b'hx-push-url="true"' in full.content
    assert b"<html" not in partial.content and b"result-list" in partial.content
    assert b"<html" in restore.content
    assert all("HX-Request" in r["Vary"] for r in (full, partial, restore))
    assert partial.context["page"].paginator.count == full.context["page"].paginator.count


def test_each_row_shows_what_the_issue_lists(seeded, client):
    client.force_login(seeded.project.user)
    doc = next(
        d for d in seeded.docs if d["analysis"]["emotions"] and d["content"]["rating"] and not d["excluded"]
    )
    html = client.get(
        reverse("analysis:explorer", args=[seeded.project.pk]), {"q": doc["content"]["text"][:40]}
    )
    html = html.content.decode()
    assert doc["content"]["author"] in html
    assert doc["content"]["url"] in html and 'rel="noopener noreferrer nofollow"' in html
    assert f'class="chip {doc["analysis"]["sentiment"]["label"]}"' in html
    assert doc["analysis"]["emotions"]["primary"].capitalize() in html
    assert "platform-icon platform-" in html
    assert reverse("analysis:result", args=[seeded.project.pk, doc["_id"]]) in html


def test_result_page_shows_every_part_and_its_job(seeded, client):
    doc = next(d for d in seeded.docs if d["analysis"]["emotions"])
    job = ScrapeJob.objects.create(project=seeded.project, user=seeded.project.user, status="completed")
    collection("results").update_one({"_id": doc["_id"]}, {"$set": {"scrape_job_id": job.pk}})
    client.force_login(seeded.project.user)
    html = client.get(reverse("analysis:result", args=[seeded.project.pk, doc["_id"]])).content.decode()
    analysis = doc["analysis"]
    for part in ("Sentiment", "Emotions", "Summary", "Pros", "Cons", "Topics", "Collected by", "Triage"):
        assert part in html
    assert f"{analysis['sentiment']['score']:+.2f}" in html
    assert str(job.pk) in html and "Completed" in html
    assert analysis["insights"]["topics"][0]["topic"] in html


def test_scraped_markup_is_shown_escaped(seeded, client):
    client.force_login(seeded.project.user)
    doc = next(d for d in seeded.docs if XSS in d["content"]["text"])
    pages = [
        client.get(reverse("analysis:explorer", args=[seeded.project.pk]), {"q": "physics"}),
        client.get(reverse("analysis:explorer", args=[seeded.project.pk]), {"q": "script"}),
        client.get(reverse("analysis:result", args=[seeded.project.pk, doc["_id"]])),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert (
            "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
            or "&lt;<mark>script</mark>&gt;" in html
        )


def test_another_users_project_and_results_are_never_reachable(seeded, client):
    mallory = make_user()
    own = seed(mallory, count=3, name="Mallory's")
    client.force_login(mallory)
    pid, rid = seeded.project.pk, seeded.docs[0]["_id"]
    for url in (
        reverse("analysis:explorer", args=[pid]),
        reverse("analysis:explorer", args=[pid]) + f"?target={seeded.targets[0].pk}",
        reverse("analysis:result", args=[pid, rid]),
        reverse("analysis:dashboard", args=[pid]),
        reverse("analysis:compare", args=[pid])
        + f"?target={seeded.targets[0].pk}&target={seeded.targets[1].pk}",
        reverse("analysis:report", args=[pid]),
        # Someone else's result under one's own project id.
        reverse("analysis:result", args=[own.project.pk, rid]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("analysis:export", args=[pid, "csv"]),
        reverse("analysis:result_pin", args=[pid, rid]),
        reverse("analysis:result_exclude", args=[pid, rid]),
        reverse("analysis:result_tags", args=[pid, rid]),
        reverse("analysis:result_pin", args=[own.project.pk, rid]),
    ):
        assert client.post(url, {"tag": "x"}).status_code == 404, url
    # A filter naming the other user's target shows only one's own results.
    got = client.get(
        reverse("analysis:explorer", args=[own.project.pk]), {"target": str(seeded.targets[0].pk)}
    )
    assert {r.project_id for r in got.context["page"].object_list} == {own.project.pk}
    with pytest.raises(explorer.ProjectNotFound):
        reads.select(mallory, seeded.project, {})


def test_anonymous_visitors_are_sent_to_sign_in(seeded, client):
    response = client.get(reverse("analysis:explorer", args=[seeded.project.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_empty_project_says_what_to_do_next(db, client, seed_clock):
    empty = seed(make_user(), count=0, texts=[])
    client.force_login(empty.project.user)
    html = client.get(reverse("analysis:explorer", args=[empty.project.pk])).content.decode()
    assert "No results collected yet" in html and "run a scrape" in html
    filtered = client.get(reverse("analysis:explorer", args=[empty.project.pk]), {"platform": "steam"})
    assert "No result matches these filters" in filtered.content.decode()


def test_dates_are_whole_days_in_the_users_time_zone(seeded):
    user = seeded.project.user
    user.settings.timezone = "Pacific/Auckland"
    first = (seeded.today - timedelta(days=20)).date()
    selection = reads.select(user, seeded.project, {"date_from": first.isoformat()})
    queryset, state = selection.queryset, selection.state
    start = datetime(first.year, first.month, first.day, tzinfo=state.time_zone(user.settings.timezone))
    want = expected(seeded, lambda d: posted(d) >= start)
    assert ids_of(queryset) == want
