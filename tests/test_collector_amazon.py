"""Amazon collector against constructed review pages served by a local server.

No recorded Amazon responses with a usable license exist, so the pages under
tests/fixtures/constructed/ are written from the structure of Amazon's public
review pages (see the comment at the top of each file).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from scraping.collectors.amazon import (
    ROBOT_CHECK_MESSAGE,
    AmazonCollector,
    RobotCheckError,
    parse_helpful_votes,
    parse_reviewed_in,
)
from scraping.collectors.base import (
    CollectorError,
    FetchContext,
    LayoutChangedError,
    MissingCredentialError,
    TargetSpec,
)
from scraping.collectors.registry import get_collector
from tests.playback import playback_client, use_server

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
ASIN = "B0EXAMPLE1"
HTML = "text/html; charset=utf-8"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def target(**options) -> TargetSpec:
    return TargetSpec(
        platform="amazon",
        url=f"https://www.amazon.com/dp/{ASIN}",
        platform_data={"asin": ASIN, "country": "us", "tld": "com"},
        options=options,
    )


def serve_direct(httpserver, pages: dict[int, str], path: str = f"/product-reviews/{ASIN}/") -> None:
    for number, name in pages.items():
        httpserver.expect_request(
            path, query_string={"pageNumber": str(number), "sortBy": "recent"}
        ).respond_with_data(fixture(name), content_type=HTML)


def run(collector, spec, **ctx_kwargs):
    ctx = FetchContext(http=playback_client(), **ctx_kwargs)
    return list(collector.pages(spec, ctx))


def test_registry_knows_the_collector():
    assert isinstance(get_collector("amazon"), AmazonCollector)


def test_direct_fetch_paginates_to_the_end_and_maps_every_field(settings, httpserver):
    base = use_server(settings, httpserver, "amazon")
    serve_direct(
        httpserver, {1: "constructed_amazon_reviews_page1.html", 2: "constructed_amazon_reviews_page2.html"}
    )

    pages = run(AmazonCollector(), target(), max_items=100)

    assert [page.next_cursor for page in pages] == ["2", None]
    assert len(httpserver.log) == 2
    items = [item for page in pages for item in page.items]
    # The page reports "8 with reviews"; every one of them is collected, each once.
    assert {page.reported_total for page in pages} == {len(items)}
    assert len({item.platform_id for item in items}) == len(items)

    first = items[0]
    assert first.platform_id == "R2KX7EXAMPLE1A"
    assert first.title == "Quiet, fast and easy to clean"
    assert first.text.startswith("Boils a full litre in under three minutes")
    assert "\n\nThe wide lid makes descaling easy." in first.text
    assert first.author == "Dana K."
    assert first.rating == 5.0
    assert first.date == datetime(2024, 3, 14, tzinfo=UTC)
    assert first.url == f"{base}/gp/customer-reviews/R2KX7EXAMPLE1A"
    assert first.parent_id is None
    assert first.metadata == {
        "asin": ASIN,
        "verified_purchase": True,
        "helpful_votes": 12,
        "country": "United States",
        "variant": "Color: Black | Size: 1.5 L",
    }
    by_id = {item.platform_id: item for item in items}
    assert by_id["R1QW3EXAMPLE2B"].metadata["helpful_votes"] == 1  # "One person found this helpful"
    assert by_id["R1QW3EXAMPLE2B"].metadata["verified_purchase"] is False
    assert by_id["R8MT2EXAMPLE4D"].metadata["helpful_votes"] == 1204
    assert "Read more" not in by_id["R3ZP9EXAMPLE3C"].text
    # A review from another storefront: its country and date, the original words, not the translation.
    foreign = by_id["R2DEEXAMPLE5E"]
    assert foreign.metadata["country"] == "Germany"
    assert foreign.date == datetime(2024, 3, 3, tzinfo=UTC)
    assert foreign.title == "Sehr leise"
    assert foreign.text == "Kocht schnell und leise. Der Deckel lässt sich gut öffnen."
    assert foreign.metadata["verified_purchase"] is True
    assert foreign.metadata["other_storefront"] is True
    assert all(item.date.tzinfo is UTC for item in items)


def test_scraperapi_request_carries_the_key_and_the_encoded_page_url(settings, httpserver):
    use_server(settings, httpserver, "scraperapi")
    settings.PLATFORM_BASE_URLS = {**settings.PLATFORM_BASE_URLS, "amazon": "https://www.amazon.{tld}"}
    spec = TargetSpec(
        platform="amazon",
        url=f"https://www.amazon.de/dp/{ASIN}",
        platform_data={"asin": ASIN, "country": "de", "tld": "de"},
        options={"commercial_provider": "scraperapi", "render": True, "country_code": "DE", "premium": True},
    )
    for number, name in (
        (1, "constructed_amazon_reviews_page1.html"),
        (2, "constructed_amazon_reviews_page2.html"),
    ):
        page_url = AmazonCollector.review_page_url("https://www.amazon.de", ASIN, number)
        httpserver.expect_request(
            "/",
            query_string={
                "api_key": "scraper-key",
                "url": page_url,
                "render": "true",
                "country_code": "de",
                "premium": "true",
            },
        ).respond_with_data(fixture(name), content_type=HTML)
    ctx = FetchContext(http=playback_client(), credentials={"scraperapi": "scraper-key"})

    pages = list(AmazonCollector().pages(spec, ctx))

    assert len(httpserver.log) == 2
    raw_query = httpserver.log[0][0].query_string.decode()
    # The target URL travels percent-encoded as one parameter.
    assert "url=https%3A%2F%2Fwww.amazon.de%2Fproduct-reviews%2FB0EXAMPLE1%2F%3FpageNumber%3D1" in raw_query
    assert parse_qs(raw_query)["api_key"] == ["scraper-key"]
    items = [item for page in pages for item in page.items]
    assert len(items) == pages[0].reported_total
    # Review links point at the storefront, never at the provider.
    assert items[0].url == "https://www.amazon.de/gp/customer-reviews/R2KX7EXAMPLE1A"


def test_scraperapi_without_a_stored_key_is_a_clear_error(settings):
    with pytest.raises(MissingCredentialError, match="ScraperAPI"):
        run(AmazonCollector(), target(commercial_provider="scraperapi"))


def test_apify_actor_dataset_items_are_mapped(settings, httpserver):
    use_server(settings, httpserver, "apify")
    settings.PLATFORM_BASE_URLS = {**settings.PLATFORM_BASE_URLS, "amazon": "https://www.amazon.{tld}"}
    rows = json.loads(fixture("constructed_apify_amazon_reviews.json"))
    httpserver.expect_request(
        "/acts/junglee~amazon-reviews-scraper/run-sync-get-dataset-items",
        method="POST",
        headers={"Authorization": "Bearer apify-token"},
        json={
            "productUrls": [{"url": f"https://www.amazon.com/dp/{ASIN}"}],
            "maxReviews": 50,
            "sort": "recent",
        },
    ).respond_with_json(rows)
    ctx = FetchContext(http=playback_client(), max_items=50, credentials={"apify": "apify-token"})

    pages = list(AmazonCollector().pages(target(commercial_provider="apify"), ctx))

    assert len(pages) == 1 and pages[0].next_cursor is None
    items = pages[0].items
    assert [item.platform_id for item in items] == [row["reviewId"] for row in rows]
    first = items[0]
    assert (first.title, first.author, first.rating) == ("Quiet, fast and easy to clean", "Dana K.", 5.0)
    assert first.date == datetime(2024, 3, 14, tzinfo=UTC)
    assert first.url == rows[0]["reviewUrl"]
    assert first.metadata["helpful_votes"] == 12
    assert first.metadata["verified_purchase"] is True
    assert items[1].metadata["helpful_votes"] == 1
    # No "country" field: the country comes from the "Reviewed in ..." line.
    assert items[2].metadata["country"] == "Germany"


def test_robot_check_page_is_a_clear_error(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    serve_direct(httpserver, {1: "constructed_amazon_robot_check.html"})

    with pytest.raises(RobotCheckError) as raised:
        run(AmazonCollector(), target())

    assert isinstance(raised.value, CollectorError)
    assert str(raised.value) == ROBOT_CHECK_MESSAGE
    assert "configure ScraperAPI or Apify" in str(raised.value)


def test_page_with_a_review_count_but_no_review_elements_is_a_layout_change(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    serve_direct(httpserver, {1: "constructed_amazon_layout_changed.html"})

    with pytest.raises(LayoutChangedError, match="the page layout may have changed"):
        run(AmazonCollector(), target())


def test_german_storefront_ratings_dates_and_votes(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    serve_direct(httpserver, {1: "constructed_amazon_de_reviews.html"})
    spec = TargetSpec(platform="amazon", url="", platform_data={"asin": ASIN, "country": "de", "tld": "de"})

    pages = run(AmazonCollector(), spec)

    assert len(pages) == 1 and pages[0].next_cursor is None
    assert pages[0].reported_total == 1204  # "1.532 Gesamtbewertungen, 1.204 mit Rezensionen"
    first, second = pages[0].items
    assert first.rating == 4.0  # "4,0 von 5 Sternen"
    assert first.date == datetime(2024, 3, 3, tzinfo=UTC)  # "vom 3. März 2024"
    assert first.metadata["country"] == "Deutschland"
    assert first.metadata["helpful_votes"] == 1  # "Eine Person fand ..."
    assert first.metadata["verified_purchase"] is True
    assert second.metadata["helpful_votes"] == 14
    assert second.date == datetime(2024, 2, 17, tzinfo=UTC)


def test_an_old_review_from_another_storefront_does_not_end_the_date_window(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    # Page 1 ends with a review from another storefront, older than everything else.
    page1 = fixture("constructed_amazon_reviews_page1.html").replace(
        "Reviewed in Germany on 3 March 2024", "Reviewed in Germany on 3 March 2022"
    )
    for number, body in ((1, page1), (2, fixture("constructed_amazon_reviews_page2.html"))):
        httpserver.expect_request(
            f"/product-reviews/{ASIN}/", query_string={"pageNumber": str(number), "sortBy": "recent"}
        ).respond_with_data(body, content_type=HTML)
    date_from = datetime(2024, 2, 1, tzinfo=UTC)

    pages = run(AmazonCollector(), target(), date_from=date_from)

    assert len(httpserver.log) == 2  # page 1's own reviews are all in range: page 2 is read
    items = [item for page in pages for item in page.items]
    assert "R2DEEXAMPLE5E" not in {item.platform_id for item in items}
    assert all(item.date >= date_from for item in items)


def test_max_items_stops_pagination(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    serve_direct(
        httpserver, {1: "constructed_amazon_reviews_page1.html", 2: "constructed_amazon_reviews_page2.html"}
    )

    pages = run(AmazonCollector(), target(), max_items=3)

    assert len(pages) == 1 and pages[0].next_cursor is None
    assert len(httpserver.log) == 1


def test_resuming_from_a_cursor_fetches_that_page(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    serve_direct(httpserver, {2: "constructed_amazon_reviews_page2.html"})
    ctx = FetchContext(http=playback_client())

    pages = list(AmazonCollector().pages(target(), ctx, cursor="2"))

    assert len(pages) == 1 and pages[0].next_cursor is None
    assert pages[0].items[0].platform_id == "R5HB1EXAMPLE6F"


def test_date_window_stops_once_reviews_are_older(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    serve_direct(
        httpserver, {1: "constructed_amazon_reviews_page1.html", 2: "constructed_amazon_reviews_page2.html"}
    )
    everything = [item for page in run(AmazonCollector(), target()) for item in page.items]
    httpserver.clear_log()
    date_from = datetime(2024, 3, 10, tzinfo=UTC)

    pages = run(AmazonCollector(), target(), date_from=date_from)

    assert len(httpserver.log) == 1  # the last local review of page 1 is already older
    assert [item.platform_id for item in pages[0].items] == [
        item.platform_id for item in everything if item.date >= date_from
    ]


@pytest.mark.parametrize(
    ("line", "country", "day"),
    [
        ("Reviewed in the United States on March 3, 2024", "United States", datetime(2024, 3, 3, tzinfo=UTC)),
        ("Reviewed in Germany on 3 March 2024", "Germany", datetime(2024, 3, 3, tzinfo=UTC)),
        ("Rezension aus Deutschland vom 3. März 2024", "Deutschland", datetime(2024, 3, 3, tzinfo=UTC)),
        ("Commenté en France le 1er mars 2024", "France", datetime(2024, 3, 1, tzinfo=UTC)),
        ("Commenté aux États-Unis le 12 février 2024", "États-Unis", datetime(2024, 2, 12, tzinfo=UTC)),
        ("Calificado en España el 3 de marzo de 2024", "España", datetime(2024, 3, 3, tzinfo=UTC)),
    ],
)
def test_reviewed_in_lines_of_each_storefront(line, country, day):
    assert parse_reviewed_in(line) == (country, day)


@pytest.mark.parametrize(
    ("statement", "votes"),
    [
        ("One person found this helpful", 1),
        ("12 people found this helpful", 12),
        ("1,204 people found this helpful", 1204),
        ("Eine Person fand diese Informationen hilfreich", 1),
        ("3 personnes ont trouvé cela utile", 3),
        ("", 0),
    ],
)
def test_helpful_vote_statements(statement, votes):
    assert parse_helpful_votes(statement) == votes


def test_a_bare_503_from_amazon_is_reported_as_a_robot_check(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    httpserver.expect_request(f"/product-reviews/{ASIN}/").respond_with_data(
        fixture("constructed_amazon_robot_check.html"), status=503, content_type=HTML
    )

    with pytest.raises(RobotCheckError, match="configure ScraperAPI or Apify"):
        run(AmazonCollector(), target())


def test_a_refused_provider_key_is_named(settings, httpserver):
    use_server(settings, httpserver, "scraperapi", "apify")
    httpserver.expect_request("/").respond_with_json({"error": "Unauthorized"}, status=401)
    httpserver.expect_request(
        "/acts/junglee~amazon-reviews-scraper/run-sync-get-dataset-items", method="POST"
    ).respond_with_json({"error": {"type": "token-not-valid"}}, status=401)
    ctx = FetchContext(http=playback_client(), credentials={"scraperapi": "bad", "apify": "bad"})

    with pytest.raises(CollectorError, match="ScraperAPI refused the stored key"):
        list(AmazonCollector().pages(target(commercial_provider="scraperapi"), ctx))
    with pytest.raises(CollectorError, match="Apify refused the stored token"):
        list(AmazonCollector().pages(target(commercial_provider="apify"), ctx))
