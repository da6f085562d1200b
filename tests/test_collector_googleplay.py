"""Google Play collector against constructed batchexecute answers served by a local server.

The answers under tests/fixtures/constructed/constructed_googleplay_* follow the format the
maintained open-source scrapers read (google-play-scraper for Python and Node); no recording
with a usable license exists.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from werkzeug import Request, Response

from scraping.collectors.base import (
    CollectorError,
    FetchContext,
    LayoutChangedError,
    MissingCredentialError,
    TargetSpec,
)
from scraping.collectors.googleplay import (
    PAGE_SIZE,
    BlockedError,
    GooglePlayCollector,
    parse_app_page,
    rpc_payload,
)
from scraping.collectors.registry import get_collector
from tests.googleplay_server import (
    BATCH_PATH,
    PACKAGE,
    answer,
    decode_call,
    fixture,
    generated_review,
    serve_generated,
    serve_pages,
)
from tests.playback import playback_client, use_server

TOKEN = "CpEBCgk4NTAwMDA1MDASEgoQCgwIwLWxrwYQwJ3ZyAMQABgBIgEyKkQK-EXAMPLE-TOKEN-PAGE-2"
PAGES = {None: "constructed_googleplay_reviews_page1.txt", TOKEN: "constructed_googleplay_reviews_page2.txt"}
DETAILS = "constructed_googleplay_details.html"


def target(**options) -> TargetSpec:
    return TargetSpec(
        platform="googleplay",
        url=f"https://play.google.com/store/apps/details?id={PACKAGE}",
        platform_data={"package_id": PACKAGE, "country": "us"},
        options={"language": "en", "country": "us", "sort_by": "newest", **options},
    )


def collect(spec: TargetSpec, **ctx_kwargs):
    client = ctx_kwargs.pop("http", None) or playback_client()
    return list(GooglePlayCollector().pages(spec, FetchContext(http=client, **ctx_kwargs)))


def test_registry_knows_the_collector_and_its_caveat():
    collector = get_collector("googleplay")
    assert isinstance(collector, GooglePlayCollector)
    assert "language" in collector.caveat
    assert "ScraperAPI" in collector.caveat


def test_follows_the_continuation_token_and_maps_every_field(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_pages(httpserver, PAGES, details=DETAILS)

    pages = collect(target(language="de", country="at"), max_items=1000)

    assert [page.next_cursor for page in pages] == [TOKEN, None]
    assert [page.requests_made for page in pages] == [1, 1]
    # The request the store's own pages make: newest first (2), a page of 150, then the token.
    assert [(c.package, c.sort, c.count, c.token, c.rating, c.hl, c.gl) for c in served.calls] == [
        (PACKAGE, 2, PAGE_SIZE, None, None, "de", "at"),
        (PACKAGE, 2, PAGE_SIZE, TOKEN, None, "de", "at"),
    ]
    items = [item for page in pages for item in page.items]
    assert [item.platform_id for item in items] == [f"gp:AOqpTOEXAMPLE-review-000{n}" for n in range(1, 6)]
    assert [item.rating for item in items] == [5.0, 2.0, 4.0, 1.0, 3.0]
    first = items[0]
    assert first.author == "Nora Lindqvist"
    assert first.text.startswith("Offline playlists finally sync")
    assert first.date == datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
    assert first.url == (
        f"https://play.google.com/store/apps/details?id={PACKAGE}&reviewId=gp:AOqpTOEXAMPLE-review-0001"
    )
    assert first.metadata == {
        "thumbs_up": 42,
        "app_version": "8.9.18.512",
        "language": "de",
        "country": "at",
        "developer_reply": "Thanks Nora! Glad the sync fix landed for you.",
        "developer_reply_at": "2024-03-16T12:00:00+00:00",
    }
    assert [item.metadata["thumbs_up"] for item in items] == [42, 7, 0, 15, 1]
    assert [item.metadata["app_version"] for item in items] == [
        "8.9.18.512",
        "8.9.18.512",
        "",
        "8.9.16.402",
        "8.9.16.402",
    ]
    assert served.details_requests == 0  # pages with reviews need no app page


def test_a_review_without_a_reply_has_no_reply_fields(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    serve_pages(httpserver, PAGES, details=DETAILS)

    items = [item for page in collect(target()) for item in page.items]

    replied = {item.platform_id: item.metadata.get("developer_reply") for item in items}
    assert replied["gp:AOqpTOEXAMPLE-review-0002"].startswith("Sorry about that, Kofi")
    assert "developer_reply" not in items[2].metadata
    assert "developer_reply_at" not in items[2].metadata
    assert items[2].author == "A Google user"


def test_an_empty_first_page_of_an_app_with_reviews_says_why(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_pages(httpserver, {None: "constructed_googleplay_reviews_empty.txt"}, details=DETAILS)

    # The app page counts 412,877 reviews in all languages; the answer is for one language.
    with pytest.raises(CollectorError, match=r"no review in “en” although the app's page counts 412,877"):
        collect(target())
    assert served.details_requests == 1


def test_an_empty_page_under_a_rating_filter_reports_no_total(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    serve_pages(httpserver, {None: "constructed_googleplay_reviews_empty.txt"}, details=DETAILS)

    pages = collect(target(filter={"rating": 1}))

    assert pages[0].items == []
    assert pages[0].reported_total is None  # few one-star reviews is no silent failure


def test_an_app_the_store_does_not_know_is_a_clear_error(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    serve_pages(httpserver, {None: "constructed_googleplay_reviews_empty.txt"}, details=None)

    with pytest.raises(
        CollectorError, match=r"Google Play has no app 'com\.harmony\.music'.*check the package id"
    ):
        collect(target())


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (fixture("constructed_googleplay_reviews_changed.txt"), "has no id where expected"),
        ("<!doctype html><html><body>Sign in</body></html>", "does not start with )]}'"),
        (')]}\'\n\n[["di",57]]', "has no UsvDTd row"),
        (")]}'\n\n{not json", "is not JSON after its prefix"),
        (answer({"reviews": []}), "payload is not a list"),
        (answer([[["gp:x", ["A"], 9, None, "text", [1710504000, 0]]], [None]]), "no 1-5 star rating"),
        (answer([[["gp:x", ["A"], 4, None, "text", "yesterday"]], [None]]), "has no date where expected"),
    ],
)
def test_a_changed_layout_is_a_clear_error(settings, httpserver, body, detail):
    use_server(settings, httpserver, "googleplay")
    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_data(body)

    with pytest.raises(LayoutChangedError) as caught:
        collect(target())

    message = str(caught.value)
    assert "page layout may have changed" in message
    assert detail in message


def test_an_incremental_run_stops_at_the_last_date_it_has(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_pages(httpserver, PAGES, details=DETAILS)

    # The previous run ended with the review of 2024-03-14 12:00.
    pages = collect(target(), date_from=datetime(2024, 3, 14, 12, 0, tzinfo=UTC))

    assert len(served.calls) == 1  # page 1 already reaches older reviews: no second request
    assert [page.next_cursor for page in pages] == [None]
    assert [item.platform_id for item in pages[0].items] == [
        "gp:AOqpTOEXAMPLE-review-0001",
        "gp:AOqpTOEXAMPLE-review-0002",
    ]


def test_most_relevant_asks_for_sort_code_one_and_ignores_dates_for_stopping(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_pages(httpserver, PAGES, details=DETAILS)

    pages = collect(target(sort_by="most_relevant"), date_from=datetime(2024, 3, 14, 12, 0, tzinfo=UTC))

    assert [call.sort for call in served.calls] == [1, 1]
    assert len(pages) == 2


def test_the_rating_filter_is_sent_and_checked(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_generated(httpserver, 30)

    pages = collect(target(filter={"rating": "1"}))

    assert {call.rating for call in served.calls} == {1}
    items = [item for page in pages for item in page.items]
    assert items
    assert {item.rating for item in items} == {1.0}


def test_asks_for_no_more_than_it_may_keep(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_generated(httpserver, 500)

    pages = collect(target(), max_items=40)

    assert [call.count for call in served.calls] == [40]
    assert sum(len(page.items) for page in pages) == 40
    assert pages[-1].next_cursor == "40"  # there is more: the run is partial


def test_pages_through_many_reviews_newest_first(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    served = serve_generated(httpserver, 320)

    pages = collect(target(), max_items=1000)

    assert [call.token for call in served.calls] == [None, "150", "300"]
    items = [item for page in pages for item in page.items]
    assert len(items) == 320
    assert len({item.platform_id for item in items}) == 320
    dates = [item.date for item in items]
    assert dates == sorted(dates, reverse=True)


def test_a_token_handed_back_twice_ends_the_run(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    looping = answer([[generated_review(0)], [None, "again"]])
    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_data(looping)

    pages = collect(target(), max_items=1000)

    assert [page.next_cursor for page in pages] == ["again", None]


@pytest.mark.parametrize("status", [403, 429])
def test_a_blocked_client_is_told_about_scraperapi(settings, httpserver, status):
    use_server(settings, httpserver, "googleplay")
    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_data("unusual traffic", status=status)

    with pytest.raises(BlockedError, match=rf"HTTP {status}.*ScraperAPI"):
        collect(target(), http=playback_client(max_retries=0))


def test_through_scraperapi_the_same_call_is_forwarded_with_the_key(settings, httpserver):
    use_server(settings, httpserver, "googleplay", "scraperapi")
    forwarded = []

    def scraperapi(request: Request) -> Response:
        forwarded.append((request.method, request.args["api_key"], request.args["url"], decode_call(request)))
        return Response(fixture("constructed_googleplay_reviews_page2.txt"), content_type="application/json")

    httpserver.expect_request("/", method="POST").respond_with_handler(scraperapi)
    spec = target(commercial_provider="scraperapi")
    assert GooglePlayCollector().credentials_needed(spec) == ("scraperapi",)
    assert GooglePlayCollector().credentials_needed(target()) == ()

    pages = collect(spec, credentials={"scraperapi": "sk-test"})

    base = httpserver.url_for("").rstrip("/")
    [(method, key, url, call)] = forwarded
    assert (method, key) == ("POST", "sk-test")
    assert url == f"{base}{BATCH_PATH}?hl=en&gl=us"
    assert (call.package, call.sort, call.token) == (PACKAGE, 2, None)
    assert len(pages[0].items) == 2


def test_scraperapi_without_a_stored_key_says_so():
    with pytest.raises(MissingCredentialError, match="no ScraperAPI key is stored"):
        collect(target(commercial_provider="scraperapi"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sort_by": "rating"}, "sort order must be one of newest, most_relevant"),
        ({"filter": {"rating": 6}}, "rating filter is a number of stars from 1 to 5"),
        ({"commercial_provider": "apify"}, "directly or through ScraperAPI, not through 'apify'"),
    ],
)
def test_bad_options_are_clear_errors(options, message):
    with pytest.raises(CollectorError, match=message):
        collect(target(**options))


def test_a_target_without_package_id_is_a_clear_error():
    spec = TargetSpec(platform="googleplay", url="https://play.google.com/store/apps/details")
    with pytest.raises(CollectorError, match="no package id"):
        collect(spec)


def test_the_app_name_comes_from_its_store_page(settings, httpserver):
    use_server(settings, httpserver, "googleplay")
    serve_pages(httpserver, PAGES, details=DETAILS)

    name = GooglePlayCollector().fetch_name(target(), FetchContext(http=playback_client()))

    assert name == "Harmony Music: Songs & Podcasts"


def test_without_its_data_block_the_page_title_names_the_app():
    html = (
        '<html><head><title>x</title><meta property="og:title" '
        'content="Harmony Music \u2013 Apps bei Google Play"></head></html>'
    )
    page = parse_app_page(html)
    assert page.name == "Harmony Music"
    assert page.reviews is None


def test_the_rpc_row_is_found_among_the_others():
    rows = [["di", 1], ["wrb.fr", "UsvDTd", json.dumps([[], [None]]), None, None, None, "generic"]]
    assert rpc_payload(")]}'\n\n" + json.dumps(rows)) == [[], [None]]
