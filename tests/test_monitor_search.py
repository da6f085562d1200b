"""Reddit and Hacker News search sources and the keyword monitor's collector, against
constructed search answers (tests/fixtures/constructed/) served by a local server."""

from __future__ import annotations

import pytest

from scraping.collectors.base import CollectorError, FetchContext, TargetSpec
from scraping.collectors.keyword import KeywordMonitorCollector, fingerprint, normalised_url
from scraping.collectors.registry import get_collector
from scraping.collectors.search.base import SEARCH_SOURCES, SearchQuery, search_source
from scraping.collectors.search.hackernews import HackerNewsSearch, algolia_query
from scraping.collectors.search.reddit import RedditSearch, reddit_query, window_for
from sentimatrix.search_syntax import matches, parse_query
from tests.monitor_playback import KEPT, NEWEST, QUERY, rate_limited, serve_search
from tests.playback import playback_client, use_server


def ctx(**kwargs) -> FetchContext:
    return FetchContext(http=playback_client(), **kwargs)


def monitor(platforms=("reddit", "hackernews"), cursors=None, query=QUERY) -> TargetSpec:
    return TargetSpec(
        platform="keyword",
        url=f"keyword:{query}",
        platform_data={"query": query, "search_platforms": list(platforms)},
        metadata={"search_cursors": cursors} if cursors else {},
    )


def run(spec: TargetSpec, **kwargs):
    pages = list(KeywordMonitorCollector().pages(spec, ctx(**kwargs)))
    return pages, [item for page in pages for item in page.items]


def test_query_is_translated_to_each_platforms_syntax():
    parsed = parse_query('battery "screen glare" -refund -"dead pixel"')
    assert reddit_query(parsed) == 'battery "screen glare" NOT refund NOT "dead pixel"'
    assert algolia_query(parsed) == 'battery "screen glare" -refund -"dead pixel"'


def test_plain_matcher_follows_the_explorers_rules():
    parsed = parse_query('battery "screen glare" -refund')
    assert matches(parsed, "The BATTERY and the screen glare", "")
    assert not matches(parsed, "battery only")
    assert matches(parsed, "battery", "title with Screen Glare")  # any field holds a term
    assert not matches(parsed, "battery and screen glare", "a refund")


def test_reddit_window_reaches_back_to_the_cursor():
    now = 1_000_000_000
    assert window_for(None, now) == "week"
    assert window_for(now - 60, now) == "hour"
    assert window_for(now - 2 * 86400, now) == "week"
    assert window_for(now - 400 * 86400, now) == "all"


def test_registry_and_sources():
    assert isinstance(get_collector("keyword"), KeywordMonitorCollector)
    assert isinstance(search_source("reddit"), RedditSearch)
    assert isinstance(search_source("hackernews"), HackerNewsSearch)


def test_reddit_search_pages_with_after_and_sorts_new(settings, httpserver):
    served = serve_search(settings, httpserver)
    pages = list(RedditSearch().search(SearchQuery(QUERY), ctx()))
    assert [len(p.items) for p in pages] == [3, 2]
    assert [r.get("after") for r in served.requests["reddit"]] == [None, "t3_r3"]
    first = served.requests["reddit"][0]
    assert first["q"] == "battery NOT refund" and first["sort"] == "new" and first["restrict_sr"] == ""
    assert pages[0].newest == NEWEST["reddit"] and pages[0].searched
    item = pages[0].items[0]
    assert item.platform_id == "t3_r1" and item.title == "Battery life after a month"
    assert item.metadata["source_url"] == "https://www.reddit.com/r/gadgets/comments/r1/post_1/"


def test_reddit_search_reads_comments_with_replies(settings, httpserver):
    served = serve_search(settings, httpserver)
    items = [i for p in RedditSearch().search(SearchQuery(QUERY), ctx(include_replies=True)) for i in p.items]
    assert "t1_r6" in {i.platform_id for i in items}
    assert any(r.get("type") == "comment" for r in served.requests["reddit"])


def test_reddit_since_cursor_asks_only_for_newer(settings, httpserver):
    served = serve_search(settings, httpserver)
    pages = list(RedditSearch().search(SearchQuery(QUERY), ctx(), since="1764899800:t3_r2"))
    assert [i.platform_id for p in pages for i in p.items] == ["t3_r1"]
    assert len(served.requests["reddit"]) == 1  # the first page reached the cursor


def test_hackernews_search_pages_and_uses_the_since_cursor(settings, httpserver):
    served = serve_search(settings, httpserver, page_size=2)
    pages = list(HackerNewsSearch().search(SearchQuery(QUERY), ctx()))
    assert [len(p.items) for p in pages] == [2, 2]
    assert [r["page"] for r in served.requests["hackernews"]] == ["0", "1"]
    first = served.requests["hackernews"][0]
    assert first["tags"] == "(story,comment)" and first["query"] == "battery -refund"
    assert "numericFilters" not in first
    story = pages[0].items[0]
    assert story.title == "Ask HN: phone battery in 2025" and story.metadata["type"] == "story"
    assert pages[0].newest == NEWEST["hackernews"]
    comment = pages[0].items[1]
    assert comment.text == "My battery lasts a day, no complaints at all." and comment.parent_id == "8000"

    served.requests["hackernews"].clear()
    again = list(HackerNewsSearch().search(SearchQuery(QUERY), ctx(), since="1764899900"))
    assert served.requests["hackernews"][0]["numericFilters"] == "created_at_i>1764899900"
    assert [i.platform_id for p in again for i in p.items] == ["9001"]


def test_monitor_keeps_matching_new_mentions_once_with_their_platform(settings, httpserver):
    serve_search(settings, httpserver)
    pages, items = run(monitor())
    assert [i.platform_id for i in items] == KEPT["reddit"] + KEPT["hackernews"]
    assert {i.platform for i in items[:3]} == {"reddit"} and {i.platform for i in items[3:]} == {"hackernews"}
    assert all(i.metadata["matched_query"] == QUERY and i.metadata["source_url"] for i in items)
    updates = pages[-1].target_updates
    assert updates["metadata.search_cursors"] == NEWEST
    summary = updates["metadata.monitor_summary"]["platforms"]
    assert summary["reddit"] | {"searched": None} == {
        "searched": None, "found": 5, "new": 3, "not_matching": 2, "duplicates": 0, "requests": 2, "error": "",
    }  # fmt: skip
    assert summary["hackernews"]["duplicates"] == 1  # 9003 is r4 cross-posted
    assert summary["hackernews"]["not_matching"] == 1 and summary["hackernews"]["new"] == 2
    assert all(page.target_updates is None for page in pages[:-1])


def test_second_run_asks_only_for_newer_mentions(settings, httpserver):
    served = serve_search(settings, httpserver)
    _, items = run(monitor(cursors=NEWEST))
    assert items == []
    assert len(served.requests["reddit"]) == 1
    assert served.requests["hackernews"][0]["numericFilters"] == "created_at_i>1764899950"


def test_a_rate_limited_platform_is_reported_and_the_others_continue(settings, httpserver):
    rate_limited(httpserver, "/search.json")
    serve_search(settings, httpserver)  # Hacker News is served, Reddit answers 429 first
    pages, items = run(monitor(cursors={"reddit": "1700000000:t3_old"}))
    assert [i.platform for i in items] == ["hackernews"] * 3  # 9003 is no cross-post without Reddit
    assert pages[0].problem == "Reddit: rate limited, try later"
    updates = pages[-1].target_updates
    assert updates["metadata.search_cursors"]["reddit"] == "1700000000:t3_old"  # unchanged
    assert updates["metadata.search_cursors"]["hackernews"] == NEWEST["hackernews"]
    assert (
        updates["metadata.monitor_summary"]["platforms"]["reddit"]["error"]
        == "Reddit: rate limited, try later"
    )


def test_every_platform_failing_fails_the_run(settings, httpserver):
    use_server(settings, httpserver, "reddit", "hackernews")
    rate_limited(httpserver, "/search.json")
    rate_limited(httpserver, "/search_by_date")
    with pytest.raises(CollectorError, match="Reddit: rate limited, try later; Hacker News: rate limited"):
        run(monitor())


def test_per_platform_cap(settings, httpserver):
    serve_search(settings, httpserver, count=30, page_size=10)
    _, items = run(monitor(), max_items=7)
    assert sum(i.platform == "reddit" for i in items) == 7
    assert sum(i.platform == "hackernews" for i in items) == 7
    assert KeywordMonitorCollector().run_limit(monitor(), 7) == 14


def test_cross_posts_and_same_addresses_count_once():
    assert normalised_url("https://www.reddit.com/r/x/comments/1/a/?utm_source=share#c") == normalised_url(
        "http://old.reddit.com/r/x/comments/1/a"
    )
    assert normalised_url("https://news.ycombinator.com/item?id=1") != normalised_url(
        "https://news.ycombinator.com/item?id=2"
    )
    assert fingerprint("Great game!") == ""  # too short to be called a copy
    long = "The new phone battery lasts two full days"
    assert fingerprint(long) == fingerprint(f"<{long.upper()}.>")


def test_a_platform_without_a_search_source_fails_alone(settings, httpserver, monkeypatch):
    serve_search(settings, httpserver)
    monkeypatch.setitem(SEARCH_SOURCES, "bluesky", "scraping.collectors.search.not_there:Nothing")
    pages, items = run(monitor(platforms=("reddit", "bluesky")))
    assert {i.platform for i in items} == {"reddit"}
    assert pages[-1].problem == "Bluesky: searching bluesky is not available on this server"


def test_reddit_search_goes_through_the_oauth_api_with_a_stored_app(settings, httpserver):
    use_server(settings, httpserver, "reddit_oauth", "reddit_auth")
    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_json(
        {"access_token": "tok"}
    )
    listing = {"kind": "Listing", "data": {"after": None, "children": [{"kind": "t3", "data": {
        "name": "t3_o1", "created_utc": 1764899000.0, "title": "Battery report", "selftext": "", "permalink": "/r/x/o1/",
    }}]}}  # fmt: skip
    httpserver.expect_request("/search", headers={"Authorization": "bearer tok"}).respond_with_json(listing)
    pages = list(RedditSearch().search(SearchQuery(QUERY), ctx(credentials={"reddit": "app-id:app-secret"})))
    assert [(i.platform_id, i.text) for p in pages for i in p.items] == [("t3_o1", "Battery report")]
    assert KeywordMonitorCollector().credentials_needed(monitor()) == ("reddit",)


def test_a_cross_post_found_by_a_later_run_still_counts_once(settings, httpserver):
    serve_search(settings, httpserver)
    first, _ = run(monitor(platforms=("reddit",)))
    prints = first[-1].target_updates["metadata.recent_prints"]
    assert len(prints) == 3  # r1, r2, r4: every kept mention long enough to be copied
    spec = monitor(platforms=("hackernews",))
    spec.metadata["recent_prints"] = prints
    pages, items = run(spec)
    assert [i.platform_id for i in items] == KEPT["hackernews"]  # 9003 repeats r4, kept by run one
    assert pages[-1].target_updates["metadata.monitor_summary"]["platforms"]["hackernews"]["duplicates"] == 1
    assert pages[-1].target_updates["metadata.recent_prints"][:3] == prints
