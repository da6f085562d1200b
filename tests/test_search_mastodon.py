"""Mastodon search for keyword monitors: hashtag timelines and full-text search of chosen instances.

The instances are local servers answering constructed statuses
(``constructed_mastodon_tag_timeline.json``, ``constructed_mastodon_search.json``) the way
Mastodon's API documents them.
"""

import pytest
from pytest_httpserver import HTTPServer

from scraping.collectors._dates import parse_date
from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError
from scraping.collectors.search.base import SearchQuery, search_source
from scraping.collectors.search.mastodon import (
    NEEDS_ACCOUNT,
    PAGE_SIZE,
    MastodonSearch,
    instance_base,
    snowflake,
)
from sentimatrix.http import RateLimitedError
from tests.playback import json_response, playback_client
from tests.search_playback import constructed, mastodon_statuses, serve_mastodon

STATUSES = [s for s in constructed("constructed_mastodon_tag_timeline.json") if not s.get("reblog")]


def base_of(server: HTTPServer) -> str:
    return server.url_for("").rstrip("/")


@pytest.fixture
def instance(loopback, httpserver):
    """A Mastodon instance on this machine, named the way a test may name one."""
    return httpserver


@pytest.fixture
def other_instance(loopback):
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def run(query, *servers, since=None, language=""):
    ctx = FetchContext(http=playback_client())
    search = SearchQuery(query, language=language, instances=tuple(base_of(s) for s in servers))
    return list(MastodonSearch().search(search, ctx, since)), ctx


def ids(pages):
    return [item.platform_id for page in pages for item in page.items]


def test_the_registry_hands_out_the_mastodon_search():
    assert isinstance(search_source("mastodon"), MastodonSearch)


def test_an_instance_is_a_host_name_and_https(settings):
    settings.SCRAPING_ALLOW_LOOPBACK = False
    assert instance_base("mastodon.social") == "https://mastodon.social"
    assert instance_base(" Mastodon.Social/ ") == "https://mastodon.social"
    assert instance_base("https://fosstodon.org") == "https://fosstodon.org"
    for wrong in (
        "http://mastodon.social",
        "https://mastodon.social/@ana",
        "mastodon social",
        "ftp://a.b",
        "",
    ):
        with pytest.raises(CollectorError, match="give its host name"):
            instance_base(wrong)
    # Plain http only where collectors may reach this machine (the tests' servers).
    settings.SCRAPING_ALLOW_LOOPBACK = True
    assert instance_base("http://127.0.0.1:8123") == "http://127.0.0.1:8123"


def test_a_private_address_is_refused_by_the_guard(settings, httpserver):
    serve_mastodon(httpserver)
    settings.SCRAPING_ALLOW_LOOPBACK = False
    # https is allowed as a scheme, but the guard refuses the address before anything is sent.
    address = f"https://127.0.0.1:{httpserver.port}"
    ctx = FetchContext(http=playback_client())
    with pytest.raises(CollectorError, match="could not be searched"):
        list(MastodonSearch().search(SearchQuery("#nimbusnotes", instances=(address,)), ctx))
    assert len(httpserver.log) == 0


def test_a_hashtag_reads_the_public_tag_timeline_page_by_page(instance):
    recorded = serve_mastodon(instance, page_size=2)
    pages, ctx = run("#NimbusNotes", instance)

    asked = recorded.params("/timelines/tag/")
    assert [path for path, _params, _headers in recorded.requests] == [
        "/api/v1/timelines/tag/NimbusNotes"
    ] * 5
    assert asked[0] == {"limit": str(PAGE_SIZE)}
    # Each next page starts below the last id of the page before (the Link header's max_id).
    timeline = mastodon_statuses()
    assert [params.get("max_id") for params in asked] == [
        None,
        timeline[1]["id"],
        timeline[3]["id"],
        timeline[5]["id"],
        timeline[6]["id"],  # a short page still has a next link; the empty one after it ends
    ]
    assert ctx.http.requests_made == 5 == sum(page.requests_made for page in pages)

    # The boost is not a mention of its own; the statuses come newest first.
    assert ids(pages) == [s["uri"] for s in STATUSES]
    first = pages[0].items[0]
    assert first.text == "Switched my whole team to #NimbusNotes this week. Sync is finally fast & reliable."
    assert first.author == f"ana@{instance.host}"  # a local account, written with its server
    assert [item for page in pages for item in page.items][1].author == "jonas@social.example"
    assert first.date == parse_date(STATUSES[0]["created_at"])
    assert first.url == STATUSES[0]["url"]
    assert first.metadata == {
        "source_url": STATUSES[0]["url"],
        "instance": instance.host,
        "status_id": STATUSES[0]["id"],
        "language": "en",
        "favourites_count": 10,
        "reblogs_count": 0,
        "replies_count": 0,
        "author_name": "Ana Ruiz",
        "author_url": "https://mastodon.example/@ana",
    }
    price = next(item for page in pages for item in page.items if item.author.startswith("li@"))
    assert price.title == "Price rant"  # the content warning
    assert pages[0].searched == [f"#NimbusNotes on {instance.host}:{instance.port}"]
    assert pages[-1].newest == STATUSES[0]["created_at"]


def test_a_second_run_asks_only_for_statuses_after_the_cursor(instance):
    recorded = serve_mastodon(instance)
    cursor = STATUSES[2]["created_at"]
    pages, _ctx = run("#nimbusnotes", instance, since=cursor)
    assert recorded.params()[0]["since_id"] == snowflake(parse_date(cursor))
    assert ids(pages) == [s["uri"] for s in STATUSES[:2]]
    newest = pages[-1].newest
    assert newest == STATUSES[0]["created_at"]

    again, _ctx = run("#nimbusnotes", instance, since=newest)
    assert recorded.params()[-1]["since_id"] == snowflake(parse_date(newest))
    assert ids(again) == []
    assert again[-1].newest == newest


def test_the_language_keeps_statuses_in_it(instance):
    serve_mastodon(instance)
    pages, _ctx = run("#nimbusnotes", instance, language="en")
    assert ids(pages) == [s["uri"] for s in STATUSES if s["language"] == "en"]
    assert pages[0].searched[0].endswith("(language en)")


def test_statuses_left_out_still_move_the_cursor(instance):
    serve_mastodon(instance)
    pages, _ctx = run("#nimbusnotes", instance, language="de")
    assert [item.author for page in pages for item in page.items] == ["jonas@social.example"]
    # The newer English status was read too: the next run does not ask for it again.
    assert pages[-1].newest == STATUSES[0]["created_at"]


def test_other_queries_use_full_text_search_in_mastodons_syntax(instance):
    recorded = serve_mastodon(instance)
    pages, _ctx = run('nimbus "battery use" -refund', instance, language="en")
    params = recorded.params("/api/v2/search")[0]
    assert params == {
        "q": 'nimbus "battery use" -refund language:en',
        "type": "statuses",
        "limit": str(PAGE_SIZE),
        "resolve": "false",
    }
    assert [item.author for page in pages for item in page.items] == ["sam@fosstodon.example"]
    assert pages[0].searched == [
        f'full-text search for "nimbus "battery use" -refund" on {instance.host}:{instance.port} (language en)'
    ]


def test_exclusions_are_checked_even_where_the_instance_ignores_them(instance):
    serve_mastodon(instance)
    pages, _ctx = run("nimbus -REFUND", instance)
    assert all("refund" not in item.text.lower() for page in pages for item in page.items)
    assert len(ids(pages)) == len(STATUSES) - 1


def test_full_text_search_since_uses_min_id(instance):
    recorded = serve_mastodon(instance)
    cursor = STATUSES[3]["created_at"]
    pages, _ctx = run("nimbus", instance, since=cursor)
    assert recorded.params("/api/v2/search")[0]["min_id"] == snowflake(parse_date(cursor))
    assert ids(pages) == [s["uri"] for s in STATUSES[:3]]


def test_an_empty_full_text_answer_says_an_account_may_be_needed(instance):
    serve_mastodon(instance, search="empty")
    pages, _ctx = run("nimbus notes", instance)
    assert ids(pages) == []
    assert pages[0].searched == [
        f'full-text search for "nimbus notes" on {instance.host}:{instance.port}: nothing found ({NEEDS_ACCOUNT})'
    ]


def test_a_refused_full_text_search_is_an_error_naming_the_account(instance):
    serve_mastodon(instance, search="refused")
    with pytest.raises(CollectorError) as caught:
        run("nimbus notes", instance)
    assert (
        str(caught.value)
        == f"full-text search on {instance.host}:{instance.port} was refused (401): {NEEDS_ACCOUNT}"
    )


def test_one_refusing_instance_does_not_hide_the_others(instance, other_instance):
    serve_mastodon(instance, search="refused")
    serve_mastodon(other_instance)
    pages, _ctx = run("nimbus", instance, other_instance)
    assert ids(pages) == [s["uri"] for s in STATUSES]
    assert pages[0].searched == [
        f"full-text search on {instance.host}:{instance.port} was refused (401): {NEEDS_ACCOUNT}"
    ]


def test_a_status_seen_through_two_instances_is_one_mention(instance, other_instance):
    # The other instance knows three of the statuses, under its own local ids.
    shared = {s["uri"] for s in STATUSES[:3]}
    serve_mastodon(other_instance, mastodon_statuses(id_offset=1, uris=shared))
    serve_mastodon(instance)
    pages, _ctx = run("#nimbusnotes", other_instance, instance)
    assert ids(pages) == [s["uri"] for s in STATUSES[:3]] + [s["uri"] for s in STATUSES[3:]]
    assert len(set(ids(pages))) == len(STATUSES)
    # Each mention keeps the local id of the instance it was first read on.
    status_ids = [item.metadata["status_id"] for page in pages for item in page.items]
    assert status_ids == [str(int(s["id"]) + 1) for s in STATUSES[:3]] + [s["id"] for s in STATUSES[3:]]


def test_an_instance_named_twice_is_asked_once(instance):
    recorded = serve_mastodon(instance)
    base = base_of(instance)
    search = SearchQuery(
        "#nimbusnotes", instances=(base, f"{base}/", base.upper().replace("HTTP://", "http://"))
    )
    pages = list(MastodonSearch().search(search, FetchContext(http=playback_client())))
    assert [params.get("max_id") for params in recorded.params()] == [None, STATUSES[-1]["id"]]  # one walk
    assert ids(pages) == [s["uri"] for s in STATUSES]


def test_no_instance_is_an_error():
    with pytest.raises(CollectorError, match="at least one Mastodon instance"):
        list(MastodonSearch().search(SearchQuery("#nimbusnotes"), FetchContext(http=playback_client())))


def test_a_rate_limit_answer_is_the_clients_rate_limited_error(instance):
    instance.expect_request("/api/v1/timelines/tag/nimbusnotes").respond_with_response(json_response({}, 429))
    with pytest.raises(RateLimitedError):
        run("#nimbusnotes", instance)


def test_a_changed_answer_is_a_layout_change(instance):
    instance.expect_request("/api/v1/timelines/tag/nimbusnotes").respond_with_response(
        json_response({"statuses": []})
    )
    with pytest.raises(LayoutChangedError, match="not a list of statuses"):
        run("#nimbusnotes", instance)


def test_an_instance_that_does_not_answer_as_mastodon_does_not_hide_the_others(instance, other_instance):
    instance.expect_request("/api/v1/timelines/tag/nimbusnotes").respond_with_data("<html>Misskey</html>")
    serve_mastodon(other_instance)
    pages, _ctx = run("#nimbusnotes", instance, other_instance)
    assert ids(pages) == [s["uri"] for s in STATUSES]
    assert (
        pages[0]
        .searched[0]
        .startswith(f"{instance.host}:{instance.port} did not answer as a Mastodon instance:")
    )
    assert "did not answer JSON" in pages[0].searched[0]


def test_a_status_without_its_fields_is_a_layout_change(instance):
    instance.expect_request("/api/v2/search").respond_with_response(
        json_response({"statuses": [{"id": "1", "text": "no uri"}]})
    )
    with pytest.raises(LayoutChangedError, match="Mastodon status lacks"):
        run("nimbus", instance)


def test_an_answer_that_is_not_json_is_a_layout_change(instance):
    instance.expect_request("/api/v1/timelines/tag/nimbusnotes").respond_with_data(
        "<html>Maintenance</html>", content_type="text/html"
    )
    with pytest.raises(LayoutChangedError, match="did not answer JSON"):
        run("#nimbusnotes", instance)
