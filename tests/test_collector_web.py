"""Web page collector against constructed review pages served by a local server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraping.collectors._text import fallback_id
from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError, TargetSpec
from scraping.collectors.registry import get_collector
from scraping.collectors.web import WebPageCollector
from sentimatrix.netguard import BlockedAddressError
from tests.playback import playback_client

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
SELECTORS = {
    "item_selector": "article.review",
    "text_selector": ".review-body",
    "title_selector": ".review-title",
    "author_selector": ".reviewer",
    "rating_selector": ".stars",
    "date_selector": "time",
    "next_selector": "nav.pagination a.next",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def target(url: str, platform_data: dict | None = None, options: dict | None = None) -> TargetSpec:
    return TargetSpec(
        platform="web",
        url=url,
        platform_data={"page_url": url, **(platform_data if platform_data is not None else SELECTORS)},
        options=options or {},
    )


def collect(spec: TargetSpec, **ctx_kwargs):
    ctx = FetchContext(http=playback_client(), **ctx_kwargs)
    return list(WebPageCollector().pages(spec, ctx)), ctx


@pytest.fixture
def review_pages(httpserver):
    # Served without a charset: the page's own <meta charset> must be honoured.
    httpserver.expect_request("/products/brightwell/reviews", query_string="").respond_with_data(
        fixture("constructed_web_reviews_page1.html"), content_type="text/html"
    )
    httpserver.expect_request("/products/brightwell/reviews", query_string="page=2").respond_with_data(
        fixture("constructed_web_reviews_page2.html"), content_type="text/html"
    )
    return httpserver.url_for("/products/brightwell/reviews")


def test_registry_knows_the_collector():
    assert isinstance(get_collector("web"), WebPageCollector)


def test_selectors_map_every_field_and_next_page_is_followed(loopback, review_pages):
    pages, ctx = collect(target(review_pages))

    assert [page.next_cursor for page in pages] == [f"{review_pages}?page=2", None]
    assert [page.requests_made for page in pages] == [1, 1]
    assert ctx.http.requests_made == 2
    items = [item for page in pages for item in page.items]
    assert len(items) == 4

    first = items[0]
    assert first.platform_id == "review-3107"
    assert first.text == "Boils in under three minutes. You can barely hear it."
    assert first.title == "Fast and quiet"
    assert first.author == "Greta N."
    assert first.rating == 5.0  # data-rating, the text is only stars
    assert first.date == datetime(2024, 3, 13, 8, 15, tzinfo=UTC)  # the datetime attribute
    assert first.url == f"{review_pages}#review-3107"
    assert first.metadata == {"page_url": review_pages}

    second, third, fourth = items[1:]
    assert second.rating == 2.0  # "2/5"
    assert second.date == datetime(2024, 3, 9, tzinfo=UTC)
    assert third.platform_id == "3090"  # data-review-id
    assert third.rating == 3.0  # <meta itemprop="ratingValue" content="3">
    assert third.date == datetime(2024, 3, 2, tzinfo=UTC)  # "March 2, 2024" in the text
    assert third.url == review_pages  # no element id to anchor to
    assert fourth.author == "Léa M."  # decoded as UTF-8 from <meta charset>
    assert fourth.date == datetime(2024, 2, 20, 18, 0, tzinfo=UTC)
    assert fourth.url == f"{review_pages}?page=2#review-3051"


def test_options_override_platform_data_and_items_without_ids_get_stable_ones(loopback, review_pages):
    spec = target(
        review_pages,
        platform_data={"item_selector": "div.nothing-here"},
        options={
            "item_selector": "article.review",
            "text_selector": ".review-body",
            "author_selector": ".reviewer",
        },
    )

    pages, _ctx = collect(spec)

    assert len(pages) == 1  # no next selector given: one page
    items = pages[0].items
    assert [item.author for item in items] == ["Greta N.", "Tom", "anonymous"]
    third = items[2]
    assert third.platform_id == "3090"
    assert (third.title, third.rating, third.date) == ("", None, None)
    # Without any id attribute, the id is the hash of author, date and text.
    spec = target(review_pages, platform_data={"item_selector": "article.review .review-body"})
    pages, _ctx = collect(spec)
    item = pages[0].items[0]
    assert item.platform_id == fallback_id(item.author, item.date, item.text)
    assert item.text == "Boils in under three minutes. You can barely hear it."


def test_selectors_matching_nothing_are_a_layout_change(loopback, review_pages):
    spec = target(review_pages, platform_data={**SELECTORS, "item_selector": "li.comment"})

    with pytest.raises(LayoutChangedError, match=r"'li\.comment' matched nothing"):
        collect(spec)


def test_item_selector_is_required_and_must_be_valid(loopback, review_pages):
    with pytest.raises(CollectorError, match="item selector"):
        collect(target(review_pages, platform_data={"text_selector": "p"}))
    with pytest.raises(CollectorError, match="not a valid CSS selector"):
        collect(target(review_pages, platform_data={"item_selector": "article[["}))


def test_loopback_page_is_refused_when_not_allowed(settings, review_pages, httpserver):
    settings.SCRAPING_ALLOW_LOOPBACK = False

    with pytest.raises(BlockedAddressError, match="loopback"):
        collect(target(review_pages))

    assert httpserver.log == []


def test_next_link_to_a_private_address_is_refused(loopback, httpserver):
    page = fixture("constructed_web_reviews_page1.html").replace(
        b'href="?page=2"', b'href="http://192.168.1.10/admin"'
    )
    httpserver.expect_request("/reviews").respond_with_data(page, content_type="text/html")
    pages = WebPageCollector().pages(
        target(httpserver.url_for("/reviews")), FetchContext(http=playback_client())
    )

    assert len(next(pages).items) == 3
    with pytest.raises(BlockedAddressError, match="private"):
        next(pages)
    assert len(httpserver.log) == 1
