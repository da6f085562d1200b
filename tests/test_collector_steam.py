"""The Steam collector against recorded Steam reviews served like the appreviews endpoint."""

import math
from datetime import UTC, datetime

import pytest
from werkzeug import Response

from projects.platforms import Platform
from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError, TargetSpec
from scraping.collectors.registry import get_collector
from scraping.collectors.steam import SteamCollector
from tests.playback import json_response, load, playback_client, serve_steam, steam_reviews, use_server

SMALL = "steamreviews_review_573170.json"
LARGE = "steamreviews_review_288120.json"


@pytest.fixture
def steam(settings, httpserver):
    use_server(settings, httpserver, "steam")
    return httpserver


def target(app_id, **options) -> TargetSpec:
    return TargetSpec(
        platform="steam",
        url=f"https://store.steampowered.com/app/{app_id}/",
        platform_data={"app_id": app_id},
        options=options,
    )


def run(app_id, cursor=None, *, options=None, max_items=10_000, **ctx_args):
    ctx = FetchContext(http=playback_client(), max_items=max_items, **ctx_args)
    return list(SteamCollector().pages(target(app_id, **(options or {})), ctx, cursor)), ctx


def test_registry_hands_out_the_steam_collector():
    collector = get_collector(Platform.STEAM)
    assert isinstance(collector, SteamCollector)
    assert collector.platform == "steam"
    with pytest.raises(CollectorError, match="no collector for the platform 'myspace'"):
        get_collector("myspace")


def test_pages_to_the_end_with_cursors_and_the_reported_total(steam):
    playback = serve_steam(steam, 573170, SMALL, page_size=40)
    recorded = load("steam", SMALL)
    pages, ctx = run(573170)

    # Pages of 40, then the empty page Steam answers at the end.
    assert len(pages) == math.ceil(len(recorded["reviews"]) / 40) + 1
    assert pages[-1].items == [] and pages[-1].next_cursor is None
    assert all(page.next_cursor for page in pages[:-1])
    ids = [item.platform_id for page in pages for item in page.items]
    assert sorted(ids) == sorted(recorded["reviews"])
    assert len(ids) == len(set(ids))
    assert pages[0].reported_total == recorded["query_summary"]["total_reviews"]
    assert all(page.reported_total is None for page in pages[1:])

    # Each request sends the cursor the previous page returned.
    sent = [request["cursor"] for request in playback.requests]
    assert sent == ["*"] + [page.next_cursor for page in pages[:-1]]
    assert sum(page.requests_made for page in pages) == ctx.http.requests_made == len(pages)
    first = playback.requests[0]
    assert first | {"cursor": "*"} == {
        "json": "1",
        "cursor": "*",
        "num_per_page": "100",
        "filter": "recent",
        "language": "all",
        "review_type": "all",
        "purchase_type": "all",
    }


def test_every_field_is_mapped(steam):
    serve_steam(steam, 288120, LARGE)
    pages, _ = run(288120)
    items = {item.platform_id: item for page in pages for item in page.items}
    recorded = load("steam", LARGE)["reviews"]
    assert set(items) == set(recorded)
    for review_id, review in recorded.items():
        item = items[review_id]
        author = review["author"]
        assert item.text == review["review"].strip()
        assert item.title == ""
        assert item.author == author["steamid"]
        assert item.rating == (5.0 if review["voted_up"] else 1.0)
        assert item.date == datetime.fromtimestamp(review["timestamp_created"], tz=UTC)
        assert item.url == f"https://steamcommunity.com/profiles/{author['steamid']}/recommended/288120/"
        assert item.parent_id is None
        meta = item.metadata
        assert meta["voted_up"] is review["voted_up"]
        assert meta["votes_up"] == review["votes_up"]
        assert meta["votes_funny"] == review["votes_funny"]
        assert meta["weighted_vote_score"] == float(review["weighted_vote_score"])
        assert meta["comment_count"] == review["comment_count"]
        assert meta["playtime_forever"] == author["playtime_forever"]
        assert meta["playtime_last_two_weeks"] == author["playtime_last_two_weeks"]
        assert meta["author_num_games_owned"] == author["num_games_owned"]
        assert meta["language"] == review["language"]
        assert meta["steam_purchase"] == review["steam_purchase"]
        assert meta["received_for_free"] == review["received_for_free"]
        assert meta["written_during_early_access"] == review["written_during_early_access"]
        assert meta["updated_at"] == datetime.fromtimestamp(review["timestamp_updated"], tz=UTC).isoformat()
    # The file has both kinds of verdict.
    assert {item.rating for item in items.values()} == {1.0, 5.0}


def test_newest_first(steam):
    serve_steam(steam, 573170, SMALL, page_size=50)
    pages, _ = run(573170)
    dates = [item.date for page in pages for item in page.items]
    assert dates == sorted(dates, reverse=True)


def test_language_and_review_type_options_reach_the_endpoint(steam):
    playback = serve_steam(steam, 288120, LARGE)
    pages, _ = run(288120, options={"language": "english", "filter": {"review_type": "negative"}})
    recorded = load("steam", LARGE)["reviews"].values()
    expected = {r["recommendationid"] for r in recorded if r["language"] == "english" and not r["voted_up"]}
    got = {item.platform_id for page in pages for item in page.items}
    assert got == expected
    assert pages[0].reported_total == len(expected)
    assert playback.requests[0]["language"] == "english"
    assert playback.requests[0]["review_type"] == "negative"


def test_sort_option_and_bad_option_values(steam):
    playback = serve_steam(steam, 573170, SMALL)
    run(573170, options={"sort_by": "updated"})
    assert playback.requests[0]["filter"] == "updated"
    with pytest.raises(CollectorError, match="sort order must be one of recent, updated, all"):
        run(573170, options={"sort_by": "funniest"})


def test_same_cursor_twice_stops_instead_of_looping(steam):
    playback = serve_steam(steam, 573170, SMALL, page_size=50, stuck_after=1)
    pages, ctx = run(573170)
    # Page 0 (cursor *) and page 1, whose answer repeats the cursor it was sent: then stop.
    assert len(playback.requests) == 2
    assert playback.requests[1]["cursor"] == pages[0].next_cursor
    assert pages[-1].next_cursor is None
    assert ctx.http.requests_made == 2


def test_a_cursor_seen_earlier_also_stops(steam):
    """Steam answering an older cursor (A, B, A) would loop just the same."""
    reviews = steam_reviews(SMALL)
    cursors = ["AoJ+first", "AoJ/second", "AoJ+first"]
    served = []

    def handler(request):
        served.append(request.args["cursor"])
        index = len(served) - 1
        return json_response(
            {
                "success": 1,
                "query_summary": {"num_reviews": 10},
                "reviews": reviews[index * 10 : index * 10 + 10],
                "cursor": cursors[min(index, 2)],
            }
        )

    steam.expect_request("/appreviews/573170").respond_with_handler(handler)
    pages, _ = run(573170)
    assert served == ["*", "AoJ+first", "AoJ/second"]
    assert pages[-1].next_cursor is None


def test_resume_from_a_cursor(steam):
    serve_steam(steam, 573170, SMALL, page_size=60)
    first_page = next(iter(run_pages(573170)))
    rest, _ = run(573170, cursor=first_page.next_cursor)
    ids = [item.platform_id for page in [first_page, *rest] for item in page.items]
    assert sorted(ids) == sorted(load("steam", SMALL)["reviews"])


def run_pages(app_id):
    ctx = FetchContext(http=playback_client(), max_items=10_000)
    return SteamCollector().pages(target(app_id), ctx)


def test_date_from_stops_paging_on_the_newest_first_listing(steam):
    playback = serve_steam(steam, 288120, LARGE, page_size=50)
    reviews = steam_reviews(LARGE)
    cutoff = datetime.fromtimestamp(reviews[120]["timestamp_created"], tz=UTC)
    pages, _ = run(288120, date_from=cutoff)
    items = [item for page in pages for item in page.items]
    assert items and all(item.date >= cutoff for item in items)
    assert {item.platform_id for item in items} == {
        r["recommendationid"] for r in reviews if r["timestamp_created"] >= cutoff.timestamp()
    }
    assert len(playback.requests) == math.ceil(121 / 50)
    assert pages[-1].next_cursor is None


def test_replicated_reviews_keep_ids_unique(steam):
    serve_steam(steam, 573170, SMALL, count=1000)
    pages, _ = run(573170)
    ids = [item.platform_id for page in pages for item in page.items]
    assert len(ids) == len(set(ids)) == 1000
    assert pages[0].reported_total == 1000
    dates = [item.date for page in pages for item in page.items]
    assert dates == sorted(dates, reverse=True)


def test_missing_app_id_is_a_target_error():
    ctx = FetchContext(http=playback_client())
    bad = TargetSpec(platform="steam", url="https://store.steampowered.com/", platform_data={})
    with pytest.raises(CollectorError, match="no app id"):
        list(SteamCollector().pages(bad, ctx))


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        ({"success": 2}, CollectorError, "Steam refused the review query for app 10"),
        (
            {"success": 1, "reviews": {"1": {}}, "cursor": "x"},
            LayoutChangedError,
            "'reviews' is no longer a list",
        ),
        ({"success": 1, "reviews": [{"review": "no id"}], "cursor": "x"}, LayoutChangedError, "lacks"),
        ([1, 2, 3], LayoutChangedError, "did not answer a JSON object"),
    ],
)
def test_changed_payloads_are_reported(steam, body, error, message):
    steam.expect_request("/appreviews/10").respond_with_json(body)
    with pytest.raises(error, match=message):
        run(10)


def test_html_instead_of_json_is_a_layout_error(steam):
    steam.expect_request("/appreviews/10").respond_with_handler(
        lambda _request: Response("<html>Access denied</html>", content_type="text/html")
    )
    with pytest.raises(LayoutChangedError, match="did not answer JSON"):
        run(10)
