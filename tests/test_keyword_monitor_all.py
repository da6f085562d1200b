"""One keyword monitor searching all five platforms (Reddit, Hacker News, YouTube, Mastodon,
Bluesky) through the whole pipeline: job -> collect -> store -> analyse, on local servers that
answer like each platform (:mod:`tests.monitor_all_playback`), with the YouTube key and the
Bluesky app password in the user's vault and Mastodon asked at a local instance."""

from __future__ import annotations

import copy

import pytest
from django.test import Client
from django.urls import reverse

from analysis.models import Result
from analysis.pipeline import analyze_results
from projects.services.monitors import MonitorSpec
from scraping.collectors._dates import parse_date
from scraping.collectors.search.mastodon import snowflake
from scraping.collectors.youtube import MISSING_KEY
from scraping.models import JobStatus
from scraping.monitor_preview import preview_monitor
from sentimatrix.search_syntax import matches, parse_query
from tests.factories import make_project, make_user, run_in_process
from tests.monitor_all_playback import (
    CROSS_POST_URI,
    CROSS_POSTED,
    PLATFORMS,
    QUERY,
    add_all_five,
    serve_all_five,
    store_credentials,
)
from tests.monitor_playback import rate_limited

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unpaced_reddit")]

#: (found, new, duplicates) per platform on the first run: Reddit's "Refund process" post is
#: left out by the query; Hacker News 9003 is Reddit's t3_r4 cross-posted; YouTube's comments
#: are found through their videos (one with comments turned off); the Mastodon search leaves
#: out the status that says "refund"; Bluesky's post repeating a Mastodon status is a duplicate.
FIRST_RUN = {
    "reddit": (5, 4, 0),
    "hackernews": (4, 3, 1),
    "youtube": (7, 7, 0),
    "mastodon": (5, 5, 0),
    "bluesky": (6, 5, 1),
}
STORED = sum(new for _found, new, _dup in FIRST_RUN.values())


def monitor_of_all_five(settings, httpserver):
    served = serve_all_five(settings, httpserver)
    user = make_user()
    store_credentials(user)
    project = make_project(user)
    return served, user, project, add_all_five(project, served)


def test_one_monitor_collects_analyses_and_counts_all_five_platforms(settings, httpserver):
    served, user, project, target = monitor_of_all_five(settings, httpserver)

    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert job.status == JobStatus.COMPLETED and not entry.partial and entry.error == ""
    assert entry.results_count == STORED
    assert {p: (c["found"], c["new"], c["duplicates"]) for p, c in entry.coverage.items()} == FIRST_RUN
    assert all(entry.coverage[p]["searched"] for p in PLATFORMS)

    results = list(Result.objects.filter(target=target))
    assert len(results) == STORED
    by_platform = {p: [r for r in results if r.platform == p] for p in PLATFORMS}
    assert {p: len(rows) for p, rows in by_platform.items()} == {p: c[1] for p, c in FIRST_RUN.items()}
    parsed = parse_query(QUERY)
    for result in results:
        content = result.content
        assert content.platform_id.startswith(f"{result.platform}:")
        assert content.metadata["matched_query"] == QUERY
        assert content.metadata["source_url"].startswith("https://")
        # Every mention says the query; a YouTube comment with the video it answers.
        assert matches(parsed, content.text, content.title, content.metadata.get("video_title"))
    # The Bluesky post repeating a Mastodon status word for word is kept once, as the status.
    ids = {r.content.platform_id for r in results}
    assert f"mastodon:{CROSS_POSTED}" in ids and f"bluesky:{CROSS_POST_URI}" not in ids
    assert analyze_results(project.pk, [r.pk for r in results]) == STORED
    assert not Result.objects.filter(target=target, analysis__engine="").exists()

    # The target keeps each platform's cursor and counts.
    target.refresh_from_db()
    assert target.stats.results_count == STORED
    cursors = target.metadata["search_cursors"]
    assert cursors == {
        "reddit": "1764899900:t3_r1",
        "hackernews": "1764899950",
        "youtube": "2019-11-26T15:51:44Z",
        "mastodon": "2026-11-20T18:00:00.250Z",
        "bluesky": "2026-11-21T09:30:00.125Z",
    }
    summary = target.metadata["monitor_summary"]["platforms"]
    assert {p: (s["found"], s["new"], s["duplicates"]) for p, s in summary.items()} == FIRST_RUN

    # The project page shows the five platforms' counts.
    client = Client()
    client.force_login(user)
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    for label, (found, new, _dup) in zip(
        ("Reddit", "Hacker News", "YouTube", "Mastodon", "Bluesky"), FIRST_RUN.values(), strict=True
    ):
        assert f"{label} {found} found, {new} new" in html

    # The next run asks each platform only for what is newer than its cursor, and finds nothing.
    served.reddit_hn.requests["reddit"].clear()
    served.reddit_hn.requests["hackernews"].clear()
    for recorded in (served.youtube, served.mastodon, served.bluesky):
        recorded.requests.clear()
    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert job.status == JobStatus.COMPLETED and entry.results_count == 0 and not entry.partial
    assert {p: c["new"] for p, c in entry.coverage.items()} == dict.fromkeys(PLATFORMS, 0)
    assert len(served.reddit_hn.requests["reddit"]) == 1  # the first page reaches the cursor
    assert served.reddit_hn.requests["hackernews"][0]["numericFilters"] == "created_at_i>1764899950"
    assert served.youtube.params("/search")[0]["publishedAfter"] == cursors["youtube"]
    assert served.mastodon.params("/api/v2/search")[0]["min_id"] == snowflake(parse_date(cursors["mastodon"]))
    assert served.bluesky.params("searchPosts")[0]["since"] == cursors["bluesky"]
    target.refresh_from_db()
    assert target.metadata["search_cursors"] == cursors
    assert Result.objects.filter(target=target).count() == STORED


def test_one_platform_rate_limited_leaves_the_other_four_collected(settings, httpserver):
    rate_limited(httpserver, "/xrpc/app.bsky.feed.searchPosts")
    served, user, project, target = monitor_of_all_five(settings, httpserver)

    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert entry.status == JobStatus.COMPLETED and entry.partial
    assert entry.error == "Bluesky: rate limited, try later"
    assert entry.coverage["bluesky"]["error"] == entry.error
    kept = {p: c for p, c in FIRST_RUN.items() if p != "bluesky"}
    assert {
        p: (c["found"], c["new"], c["duplicates"]) for p, c in entry.coverage.items() if p != "bluesky"
    } == kept
    stored = set(Result.objects.filter(target=target).values_list("platform", flat=True))
    assert stored == set(PLATFORMS) - {"bluesky"}
    target.refresh_from_db()
    assert set(target.metadata["search_cursors"]) == set(PLATFORMS) - {"bluesky"}
    assert served.bluesky.requests == [("/xrpc/com.atproto.server.createSession", {}, {})]


def test_the_preview_shows_the_first_matches_of_all_five_platforms(settings, httpserver):
    served, _user, project, _target = monitor_of_all_five(settings, httpserver)
    spec = MonitorSpec(query=QUERY, platforms=PLATFORMS, instances=(served.instance,))
    previews = preview_monitor(project, spec, limit=3)
    assert [p.platform for p in previews] == list(PLATFORMS)
    assert all(p.error == "" for p in previews)
    # Reddit's first page of three holds the "Refund process" post the query leaves out.
    assert {p.platform: len(p.items) for p in previews} == {**dict.fromkeys(PLATFORMS, 3), "reddit": 2}
    youtube = next(p for p in previews if p.platform == "youtube")
    assert all(item.metadata["video_title"].startswith("Nimbus Notes") for item in youtube.items)


def test_the_preview_page_shows_youtube_comments_with_their_video(client, settings, httpserver):
    serve_all_five(settings, httpserver)
    user = make_user()
    store_credentials(user)
    project = make_project(user)
    client.force_login(user)
    html = client.post(
        reverse("jobs:monitor_preview", args=[project.pk]),
        {"query": QUERY, "platforms": ["youtube", "bluesky"], "instances": ""},
    ).content.decode()
    assert html.count('class="monitor-preview"') == 2 and 'role="alert"' not in html
    assert "On the video “Nimbus Notes review after six months”" in html
    assert "Nimbus Notes just shipped tables. Finally!" in html


def test_the_cap_per_run_applies_to_each_platform_and_the_cursors_are_still_stored(settings, httpserver):
    served = serve_all_five(settings, httpserver)
    user = make_user()
    store_credentials(user)
    project = make_project(user)
    target = add_all_five(project, served, max_results=2)
    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert job.status == JobStatus.COMPLETED and entry.error == ""
    assert {p: c["new"] for p, c in entry.coverage.items()} == dict.fromkeys(PLATFORMS, 2)
    assert entry.results_count == Result.objects.filter(target=target).count() == 2 * len(PLATFORMS)
    target.refresh_from_db()
    assert set(target.metadata["search_cursors"]) == set(PLATFORMS)


def test_the_daily_request_cap_reached_part_way_makes_the_run_partial_and_keeps_the_cursors(
    settings, httpserver
):
    served = serve_all_five(settings, httpserver)
    user = make_user()
    store_credentials(user)
    # Reddit's two pages leave one request of three; Hacker News' two pages use it up.
    project = make_project(user, max_requests_per_day=3)
    target = add_all_five(project, served)
    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert entry.status == JobStatus.COMPLETED and entry.partial
    assert entry.error == "stopped at the project's limit of 3 requests per day"
    stored = set(Result.objects.filter(target=target).values_list("platform", flat=True))
    assert stored == {"reddit", "hackernews"}
    assert served.youtube.requests == [] and served.mastodon.requests == [] and served.bluesky.requests == []
    target.refresh_from_db()
    assert "search_cursors" not in target.metadata  # the next run searches every platform again


def test_without_the_youtube_key_and_bluesky_password_those_two_say_what_to_add(settings, httpserver):
    served = serve_all_five(settings, httpserver)
    user = make_user()
    project = make_project(user)
    target = add_all_five(project, served)
    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert entry.status == JobStatus.COMPLETED and entry.partial
    assert entry.coverage["youtube"]["error"] == f"YouTube: {MISSING_KEY}"
    assert "add a Bluesky app password on the API keys page" in entry.coverage["bluesky"]["error"]
    assert served.youtube.requests == []
    stored = set(Result.objects.filter(target=target).values_list("platform", flat=True))
    assert stored == {"reddit", "hackernews", "mastodon"}


def test_a_later_run_collects_only_what_is_new_on_each_platform(settings, httpserver):
    served, user, project, target = monitor_of_all_five(settings, httpserver)
    run_in_process(project, user, target)
    first = {r.content.platform_id for r in Result.objects.filter(target=target)}

    # One newer mention on each platform but YouTube (whose next search finds no newer video),
    # and a Bluesky post repeating a Reddit post of the first run.
    post = copy.deepcopy(served.reddit_hn.reddit_posts[0])
    post["data"].update(name="t3_r9", created_utc=1764899990.0, permalink="/r/phones/comments/r9/new/")
    post["data"]["selftext"] = "Nimbus Notes: the widget finally shows my notes on the lock screen."
    served.reddit_hn.reddit_posts.insert(0, post)
    hit = copy.deepcopy(served.reddit_hn.hn_hits[1])
    hit.update(
        objectID="9009", created_at_i=1764899990, comment_text="Nimbus Notes: export to markdown works now."
    )
    served.reddit_hn.hn_hits.insert(0, hit)
    status = copy.deepcopy(next(s for s in served.mastodon_statuses if s["uri"] == CROSS_POSTED))
    status.update(
        id=str(int(snowflake(parse_date("2026-11-22T08:00:00Z"))) + 3),
        uri="https://mastodon.example/users/tom/statuses/new1",
        url="https://mastodon.example/@tom/new1",
        created_at="2026-11-22T08:00:00.000Z",
        content="<p>Nimbus Notes 5.0 is out with a calendar view.</p>",
    )
    served.mastodon_statuses.insert(0, status)
    for n, text in enumerate(
        ("Nimbus Notes handles my recipes well.", served.reddit_hn.reddit_posts[1]["data"]["selftext"])
    ):
        fresh = copy.deepcopy(served.bluesky_posts[1])
        fresh["uri"] = f"{fresh['uri']}-later{n}"
        fresh["record"].update(text=text, createdAt=f"2026-11-22T09:0{n}:00.000Z")
        fresh["indexedAt"] = f"2026-11-22T09:0{n}:01.000Z"
        served.bluesky_posts.insert(0, fresh)

    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert entry.status == JobStatus.COMPLETED and not entry.partial
    assert {p: (c["new"], c["duplicates"]) for p, c in entry.coverage.items()} == {
        "reddit": (1, 0), "hackernews": (1, 0), "youtube": (0, 0), "mastodon": (1, 0), "bluesky": (1, 1),
    }  # fmt: skip
    new = {r.content.platform_id for r in Result.objects.filter(target=target)} - first
    assert new == {
        "reddit:t3_r9",
        "hackernews:9009",
        "mastodon:https://mastodon.example/users/tom/statuses/new1",
        f"bluesky:{served.bluesky_posts[1]['uri']}",
    }
    target.refresh_from_db()
    assert target.metadata["search_cursors"] == {
        "reddit": "1764899990:t3_r9",
        "hackernews": "1764899990",
        "youtube": "2019-11-26T15:51:44Z",
        "mastodon": "2026-11-22T08:00:00.000Z",
        "bluesky": "2026-11-22T09:01:00.000Z",
    }
