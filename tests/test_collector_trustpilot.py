"""Trustpilot collector against constructed review pages served by a local server.

The pages under tests/fixtures/constructed/ follow the structure of Trustpilot's public
review pages (a Next.js ``__NEXT_DATA__`` script and schema.org JSON-LD); no recording
with a usable license exists.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError, TargetSpec
from scraping.collectors.registry import get_collector
from scraping.collectors.trustpilot import TrustpilotCollector
from tests.playback import playback_client, use_server

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
DOMAIN = "brightwell.example"
HTML = "text/html; charset=utf-8"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def next_data(name: str) -> dict:
    match = re.search(
        r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', fixture(name), re.S
    )
    return json.loads(match.group(1))


def serve(httpserver, pages: dict[int, str]) -> None:
    for number, name in pages.items():
        httpserver.expect_request(
            f"/review/{DOMAIN}", query_string={"page": str(number), "sort": "recency"}
        ).respond_with_data(fixture(name), content_type=HTML)


def target() -> TargetSpec:
    return TargetSpec(
        platform="trustpilot",
        url=f"https://www.trustpilot.com/review/{DOMAIN}",
        platform_data={"domain": DOMAIN},
    )


def collect(**ctx_kwargs):
    return list(TrustpilotCollector().pages(target(), FetchContext(http=playback_client(), **ctx_kwargs)))


def test_registry_knows_the_collector():
    assert isinstance(get_collector("trustpilot"), TrustpilotCollector)


def test_next_data_reviews_paginated_to_the_end_with_every_field(settings, httpserver):
    base = use_server(settings, httpserver, "trustpilot")
    names = {1: "constructed_trustpilot_reviews_page1.html", 2: "constructed_trustpilot_reviews_page2.html"}
    serve(httpserver, names)

    pages = collect()

    assert [page.next_cursor for page in pages] == ["2", None]
    items = [item for page in pages for item in page.items]
    reviews = [
        review for number in (1, 2) for review in next_data(names[number])["props"]["pageProps"]["reviews"]
    ]
    assert [item.platform_id for item in items] == [review["id"] for review in reviews]
    pagination = next_data(names[1])["props"]["pageProps"]["filters"]["pagination"]
    assert {page.reported_total for page in pages} == {pagination["totalCount"]}
    assert len(items) == pagination["totalCount"]

    first, review = items[0], reviews[0]
    assert first.text == review["text"]
    assert first.title == review["title"]
    assert first.author == review["consumer"]["displayName"]
    assert first.rating == float(review["rating"])
    assert first.date == datetime.fromisoformat(review["dates"]["publishedDate"]).astimezone(UTC)
    assert first.date.tzinfo is UTC
    assert first.url == f"{base}/reviews/{review['id']}"
    assert first.parent_id is None
    assert first.metadata == {
        "verified": review["labels"]["verification"]["isVerified"],
        "source": review["labels"]["verification"]["reviewSourceName"],
        "country": review["consumer"]["countryCode"],
        "language": review["language"],
        "likes": review["likes"],
        "experienced_date": datetime.fromisoformat(review["dates"]["experiencedDate"]).isoformat(),
        "company_reply": review["reply"]["message"],
    }
    assert "company_reply" not in items[1].metadata  # no reply on that one


def test_json_ld_is_the_fallback_when_next_data_is_missing(settings, httpserver):
    base = use_server(settings, httpserver, "trustpilot")
    serve(
        httpserver,
        {1: "constructed_trustpilot_jsonld_page1.html", 2: "constructed_trustpilot_jsonld_page2.html"},
    )

    pages = collect()

    assert [page.next_cursor for page in pages] == ["2", None]  # from <link rel="next">
    items = [item for page in pages for item in page.items]
    # The same reviews as the __NEXT_DATA__ pages carry.
    reviews = [
        review
        for name in ("constructed_trustpilot_reviews_page1.html", "constructed_trustpilot_reviews_page2.html")
        for review in next_data(name)["props"]["pageProps"]["reviews"]
    ]
    assert [item.platform_id for item in items] == [review["id"] for review in reviews]
    assert pages[0].reported_total == len(reviews)  # aggregateRating.reviewCount
    for item, review in zip(items, reviews, strict=True):
        assert (item.text, item.title, item.author) == (
            review["text"],
            review["title"],
            review["consumer"]["displayName"],
        )
        assert item.rating == float(review["rating"])
        assert item.date == datetime.fromisoformat(review["dates"]["publishedDate"])
        assert item.url == f"{base}/reviews/{review['id']}"
        assert item.metadata["language"] == review["language"]


def test_next_data_without_reviews_falls_back_to_json_ld(settings, httpserver):
    use_server(settings, httpserver, "trustpilot")
    page = fixture("constructed_trustpilot_reviews_page2.html")
    data = next_data("constructed_trustpilot_reviews_page2.html")
    del data["props"]["pageProps"]["reviews"]
    page = re.sub(
        r'(<script id="__NEXT_DATA__" type="application/json">).*?(</script>)',
        lambda m: m.group(1) + json.dumps(data) + m.group(2),
        page,
        flags=re.S,
    )
    httpserver.expect_request(f"/review/{DOMAIN}").respond_with_data(page, content_type=HTML)

    items = [item for page in collect() for item in page.items]

    assert [item.platform_id for item in items] == [
        review["id"]
        for review in next_data("constructed_trustpilot_reviews_page2.html")["props"]["pageProps"]["reviews"]
    ]


def test_page_without_review_data_is_a_layout_change(settings, httpserver):
    use_server(settings, httpserver, "trustpilot")
    httpserver.expect_request(f"/review/{DOMAIN}").respond_with_data(
        "<html><body><h1>Brightwell</h1><p>Reviews 57</p></body></html>", content_type=HTML
    )

    with pytest.raises(LayoutChangedError, match="layout may have changed"):
        collect()


def test_max_items_stops_after_the_page_that_reaches_it(settings, httpserver):
    use_server(settings, httpserver, "trustpilot")
    serve(
        httpserver,
        {1: "constructed_trustpilot_reviews_page1.html", 2: "constructed_trustpilot_reviews_page2.html"},
    )

    pages = collect(max_items=2)

    assert len(pages) == 1 and pages[0].next_cursor is None
    assert len(httpserver.log) == 1


def test_target_without_domain_is_refused():
    with pytest.raises(CollectorError, match="domain"):
        list(TrustpilotCollector().pages(TargetSpec(platform="trustpilot", url=""), FetchContext(http=None)))
