"""App Store collector against constructed RSS-JSON feed pages served by a local server.

The feed pages under tests/fixtures/constructed/ follow the documented shape of Apple's
customer-reviews RSS feed; no recording with a usable license exists.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraping.collectors.appstore import MAX_PAGES, AppStoreCollector
from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError, TargetSpec
from scraping.collectors.registry import get_collector
from tests.playback import playback_client, use_server

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
APP_ID = "1234567890"


def feed_page(number: int) -> dict:
    return json.loads(
        (FIXTURES / f"constructed_appstore_reviews_page{number}.json").read_text(encoding="utf-8")
    )


def feed_path(page: int, country: str = "us") -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={APP_ID}/sortby=mostrecent/json"


def target(country: str = "us") -> TargetSpec:
    return TargetSpec(
        platform="appstore",
        url=f"https://apps.apple.com/{country}/app/notes/id{APP_ID}",
        platform_data={"app_id": APP_ID, "country": country},
    )


def collect(spec: TargetSpec, **ctx_kwargs):
    return list(AppStoreCollector().pages(spec, FetchContext(http=playback_client(), **ctx_kwargs)))


def test_registry_knows_the_collector():
    collector = get_collector("appstore")
    assert isinstance(collector, AppStoreCollector)
    assert collector.caveat  # the 10-page cap is shown on the target


def test_paginates_to_the_last_page_and_maps_every_field(settings, httpserver):
    use_server(settings, httpserver, "appstore")
    for number in (1, 2):
        httpserver.expect_request(feed_path(number)).respond_with_json(feed_page(number))

    pages = collect(target())

    assert [page.next_cursor for page in pages] == ["2", None]
    items = [item for page in pages for item in page.items]
    entries = feed_page(1)["feed"]["entry"] + feed_page(2)["feed"]["entry"]
    assert [item.platform_id for item in items] == [entry["id"]["label"] for entry in entries]
    first = items[0]
    assert first.title == "Finally syncs properly"
    assert first.text.startswith("Since the last update my notes sync")
    assert first.author == "nightowl_reader"
    assert first.rating == 5.0
    # "2024-03-14T18:22:05-07:00" in UTC
    assert first.date == datetime(2024, 3, 15, 1, 22, 5, tzinfo=UTC)
    assert first.url == f"https://apps.apple.com/us/app/id{APP_ID}?see-all=reviews"
    assert first.metadata == {"app_version": "4.12.1", "country": "us", "vote_sum": 3, "vote_count": 4}
    assert [item.rating for item in items] == [float(entry["im:rating"]["label"]) for entry in entries]
    assert [item.metadata["app_version"] for item in items] == [
        entry["im:version"]["label"] for entry in entries
    ]


def test_never_asks_for_more_than_ten_pages(settings, httpserver):
    use_server(settings, httpserver, "appstore")
    template = feed_page(1)
    # A feed that would go on for ever: no "last" link, every page full.
    template["feed"]["link"] = [
        link for link in template["feed"]["link"] if link["attributes"]["rel"] != "last"
    ]
    for number in range(1, MAX_PAGES + 3):
        page = copy.deepcopy(template)
        for index, entry in enumerate(page["feed"]["entry"]):
            entry["id"]["label"] = f"{number}{index:03d}"
        httpserver.expect_request(feed_path(number)).respond_with_json(page)

    pages = collect(target(), max_items=10_000)

    assert len(pages) == MAX_PAGES
    assert len(httpserver.log) == MAX_PAGES
    assert pages[-1].next_cursor is None
    requested = [request.path for request, _response in httpserver.log]
    assert requested == [feed_path(number) for number in range(1, MAX_PAGES + 1)]


def test_single_entry_page_and_empty_page(settings, httpserver):
    use_server(settings, httpserver, "appstore")
    one = feed_page(2)
    one["feed"]["entry"] = one["feed"]["entry"][0]  # the feed carries a lone entry bare
    one["feed"]["link"] = [link for link in one["feed"]["link"] if link["attributes"]["rel"] != "last"]
    empty = feed_page(2)
    del empty["feed"]["entry"]
    httpserver.expect_request(feed_path(1, "gb")).respond_with_json(one)
    httpserver.expect_request(feed_path(2, "gb")).respond_with_json(empty)

    pages = collect(target("gb"))

    assert [len(page.items) for page in pages] == [1, 0]
    assert pages[0].items[0].metadata["country"] == "gb"
    assert pages[-1].next_cursor is None


def test_payload_without_a_feed_is_a_layout_change(settings, httpserver):
    use_server(settings, httpserver, "appstore")
    httpserver.expect_request(feed_path(1)).respond_with_json({"resultCount": 0, "results": []})

    with pytest.raises(LayoutChangedError):
        collect(target())


def test_target_without_app_id_is_refused():
    with pytest.raises(CollectorError, match="app id"):
        collect(TargetSpec(platform="appstore", url="", platform_data={}))
