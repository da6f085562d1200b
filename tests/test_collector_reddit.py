"""The Reddit collector against PRAW's recorded crawl of a post (tree, morechildren, continues)."""

import json
from datetime import UTC, datetime

import pytest

from scraping.collectors.base import (
    CollectorError,
    FetchContext,
    LayoutChangedError,
    MissingCredentialError,
    TargetSpec,
)
from scraping.collectors.reddit import OAUTH_DELAY, PUBLIC_DELAY, RedditCollector
from scraping.collectors.registry import get_collector
from tests.playback import load, playback_client, reddit_cassette, serve_reddit, use_server

APP = "playback-app:playback-secret"


@pytest.fixture
def reddit(settings, httpserver):
    use_server(settings, httpserver, "reddit", "reddit_oauth", "reddit_auth")
    return httpserver


def target(post_id="3hahrw", subreddit="funny", **options) -> TargetSpec:
    return TargetSpec(
        platform="reddit",
        url=f"https://www.reddit.com/r/{subreddit}/comments/{post_id}/",
        platform_data={"post_id": post_id, "subreddit": subreddit},
        options=options,
    )


def context(max_items=10_000, credentials=None, **kwargs) -> FetchContext:
    return FetchContext(http=playback_client(), max_items=max_items, credentials=credentials or {}, **kwargs)


def recorded_comments(things, found):
    """Every t1 in a listing (nested replies included), by fullname: an independent walk."""
    for thing in things:
        if thing["kind"] == "t1":
            found[thing["data"]["name"]] = thing["data"]
            replies = thing["data"].get("replies")
            if isinstance(replies, dict):
                recorded_comments(replies["data"]["children"], found)
    return found


def full_recording(post_id="3hahrw"):
    """All comments of the recorded crawl: the tree, every morechildren answer, every continue page."""
    found = recorded_comments(load("reddit", f"reddit_comments_{post_id}.json")[1]["data"]["children"], {})
    morechildren, continued = reddit_cassette()
    for body in morechildren.values():
        recorded_comments(json.loads(body)["json"]["data"]["things"], found)
    for body in continued.values():
        recorded_comments(json.loads(body)[1]["data"]["children"], found)
    return found


def with_text(comments):
    return {name for name, data in comments.items() if data["body"] not in ("[deleted]", "[removed]")}


def test_registry_hands_out_the_reddit_collector():
    assert isinstance(get_collector("reddit"), RedditCollector)


def test_public_listing_flattens_the_tree_and_expands_every_stub(reddit):
    playback = serve_reddit(reddit)
    ctx = context()
    pages = list(RedditCollector().pages(target(), ctx))
    items = [item for page in pages for item in page.items]
    recorded = full_recording()

    ids = [item.platform_id for item in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == with_text(recorded)
    morechildren, continued = reddit_cassette()
    # One page for the tree, one per stub the tree and its expansions left.
    assert len(pages) == 1 + len(morechildren) + len(continued)
    assert (
        pages[0].reported_total
        == load("reddit", "reddit_comments_3hahrw.json")[0]["data"]["children"][0]["data"]["num_comments"]
    )
    assert pages[-1].next_cursor is None
    assert all(page.next_cursor for page in pages[:-1])

    # Public endpoints: .json paths, no token, spaced for Reddit's unauthenticated limit.
    paths = [path for _method, path, _params in playback.requests]
    assert paths[0] == "/comments/3hahrw.json"
    assert sum(path == "/api/morechildren.json" for path in paths) == len(morechildren)
    assert sum(path.startswith("/comments/3hahrw/_/") for path in paths) == len(continued)
    assert all(request.headers.get("Authorization") is None for request, _ in reddit.log)
    assert ctx.http.requests_made == len(paths) == sum(page.requests_made for page in pages)
    assert len(ctx.http.sleep.waits) == len(paths) - 1
    assert all(PUBLIC_DELAY - 1 < wait <= PUBLIC_DELAY for wait in ctx.http.sleep.waits)


def test_every_field_is_mapped_and_replies_keep_their_parent(reddit):
    serve_reddit(reddit)
    items = [item for page in RedditCollector().pages(target(), context()) for item in page.items]
    recorded = full_recording()
    by_id = {item.platform_id: item for item in items}
    top_level = 0
    for name, data in recorded.items():
        if name not in by_id:
            assert data["body"] in ("[deleted]", "[removed]")
            continue
        item = by_id[name]
        assert item.text == data["body"].strip()
        assert item.author == data["author"]
        assert item.title == ""
        assert item.rating is None
        assert item.date == datetime.fromtimestamp(data["created_utc"], tz=UTC)
        assert item.url == f"https://www.reddit.com/r/funny/comments/3hahrw/_/{data['id']}/"
        assert item.metadata["score"] == data["score"]
        assert item.metadata["post_id"] == "t3_3hahrw"
        assert item.metadata["subreddit"] == data["subreddit"]
        if data["parent_id"].startswith("t3_"):
            top_level += 1
            assert item.parent_id is None
            assert item.metadata["depth"] == 0
        else:
            assert item.parent_id == data["parent_id"]
    assert 0 < top_level < len(items)


def test_depth_counts_comment_ancestors(reddit):
    serve_reddit(reddit)
    items = [item for page in RedditCollector().pages(target(), context()) for item in page.items]
    recorded = full_recording()

    def depth(name):
        parent = recorded[name]["parent_id"]
        return 0 if parent.startswith("t3_") else depth(parent) + 1

    nested = [item for item in items if item.metadata.get("depth", 0) > 0]
    assert max(item.metadata["depth"] for item in nested) >= 10  # past the "continue this thread" cut
    for item in items:
        assert item.metadata["depth"] == depth(item.platform_id)


def test_each_expansion_page_holds_what_its_request_returned(reddit):
    playback = serve_reddit(reddit)
    pages = list(RedditCollector().pages(target(), context()))
    morechildren, continued = reddit_cassette()
    expansions = playback.requests[1:]
    assert len(expansions) == len(pages) - 1
    seen = {item.platform_id for item in pages[0].items}
    for page, (_method, path, params) in zip(pages[1:], expansions, strict=True):
        if path.startswith("/api/morechildren"):
            assert params["link_id"] == "t3_3hahrw"
            assert params["api_type"] == "json"
            body = morechildren[frozenset(params["children"].split(","))]
            returned = recorded_comments(json.loads(body)["json"]["data"]["things"], {})
        else:
            comment_id = path.split("/_/")[1].removesuffix(".json")
            returned = recorded_comments(json.loads(continued[comment_id])[1]["data"]["children"], {})
        fresh = [name for name in returned if name in with_text(returned) and name not in seen]
        assert [item.platform_id for item in page.items] == fresh
        seen.update(fresh)
    # Every "more comments" stub with ids was expanded exactly once.
    asked = [
        frozenset(params["children"].split(","))
        for _method, path, params in expansions
        if path.startswith("/api/morechildren")
    ]
    assert sorted(map(sorted, asked)) == sorted(map(sorted, morechildren))


def test_small_post_has_one_page_with_a_reply(reddit):
    serve_reddit(reddit, post_id="2gmzqe", cassette=None)
    pages = list(RedditCollector().pages(target("2gmzqe", "redditdev"), context()))
    assert len(pages) == 1
    assert pages[0].next_cursor is None
    recorded = recorded_comments(load("reddit", "reddit_comments_2gmzqe.json")[1]["data"]["children"], {})
    items = pages[0].items
    assert [item.platform_id for item in items] == list(recorded)
    top, reply = items
    assert top.parent_id is None
    assert reply.parent_id == top.platform_id
    assert reply.metadata["depth"] == 1


def test_oauth_when_the_user_has_a_reddit_app(reddit):
    playback = serve_reddit(reddit)
    ctx = context(credentials={"reddit": APP})
    items = [item for page in RedditCollector().pages(target(), ctx) for item in page.items]
    assert {item.platform_id for item in items} == with_text(full_recording())

    method, path, params = playback.requests[0]
    assert (method, path, params["grant_type"]) == ("POST", "/api/v1/access_token", "client_credentials")
    token_request = reddit.log[0][0]
    assert (token_request.authorization.username, token_request.authorization.password) == tuple(
        APP.split(":")
    )
    # One token for the whole crawl; API paths without .json, with the bearer token.
    assert sum(path == "/api/v1/access_token" for _m, path, _p in playback.requests) == 1
    assert playback.requests[1][1] == "/comments/3hahrw"
    for request, _ in reddit.log[1:]:
        assert request.headers["Authorization"] == f"bearer {playback.token}"
    # 60 requests a minute.
    api_waits = ctx.http.sleep.waits[1:]
    assert api_waits and all(OAUTH_DELAY - 0.5 < wait <= OAUTH_DELAY for wait in api_waits)


def test_expired_token_is_renewed_once(reddit):
    # The first token handed out is refused (as an expired one is), the second accepted.
    playback = serve_reddit(reddit, cassette=None, tokens=("expired-token", "fresh-token"))
    pages = list(RedditCollector().pages(target(), context(credentials={"reddit": APP}, max_items=1)))
    assert pages[0].items
    calls = [(method, path) for method, path, _params in playback.requests]
    assert calls == [
        ("POST", "/api/v1/access_token"),
        ("GET", "/comments/3hahrw"),
        ("POST", "/api/v1/access_token"),
        ("GET", "/comments/3hahrw"),
    ]
    assert reddit.log[1][1].status_code == 401
    assert reddit.log[3][0].headers["Authorization"] == "bearer fresh-token"


def test_wrong_app_secret_points_at_the_api_keys_page(reddit):
    serve_reddit(reddit)
    with pytest.raises(
        MissingCredentialError, match="refused the app id and secret stored on the API keys page"
    ):
        list(RedditCollector().pages(target(), context(credentials={"reddit": "playback-app:wrong"})))


def test_malformed_credential_says_the_expected_form(reddit):
    with pytest.raises(MissingCredentialError, match='"client_id:client_secret"'):
        list(RedditCollector().pages(target(), context(credentials={"reddit": "just-an-id"})))


def test_expansion_stops_at_the_item_limit(reddit):
    playback = serve_reddit(reddit)
    tree_page = next(RedditCollector().pages(target(), context()))
    limit = len(tree_page.items) + 5
    playback.requests.clear()
    pages = list(RedditCollector().pages(target(), context(max_items=limit)))
    collected = sum(len(page.items) for page in pages)
    assert limit <= collected < limit + 20
    expansions = [path for _m, path, _p in playback.requests if not path.startswith("/comments/3hahrw.")]
    assert 0 < len(expansions) < len(reddit_cassette()[0])
    assert pages[-1].next_cursor is None


def test_resume_from_the_cursor_of_an_interrupted_run(reddit):
    serve_reddit(reddit)
    pages = RedditCollector().pages(target(), context())
    first, second = next(pages), next(pages)
    pages.close()  # the worker died here
    rest = list(RedditCollector().pages(target(), context(), cursor=second.next_cursor))
    ids = {item.platform_id for page in [first, second, *rest] for item in page.items}
    assert ids == with_text(full_recording())


def test_fo7p5b_tree_alone_within_the_limit(reddit):
    playback = serve_reddit(reddit, post_id="fo7p5b", cassette=None)
    pages = list(RedditCollector().pages(target("fo7p5b", "announcements"), context(max_items=100)))
    assert len(pages) == 1
    assert pages[0].next_cursor is None  # the limit was reached: the collector stops here
    recorded = recorded_comments(load("reddit", "reddit_comments_fo7p5b.json")[1]["data"]["children"], {})
    assert {item.platform_id for item in pages[0].items} == with_text(recorded)
    assert len(playback.requests) == 1


def test_replicated_tree_for_benchmarks(reddit):
    serve_reddit(reddit, post_id="2gmzqe", cassette=None, count=300)
    items = next(RedditCollector().pages(target("2gmzqe"), context())).items
    ids = [item.platform_id for item in items]
    assert len(ids) == len(set(ids)) >= 300
    by_id = set(ids)
    assert all(item.parent_id is None or item.parent_id in by_id for item in items)


def test_missing_post_is_a_clear_error(reddit):
    reddit.expect_request("/comments/abc123.json").respond_with_json({"message": "Not Found"}, status=404)
    with pytest.raises(CollectorError, match="Reddit has no post abc123"):
        list(RedditCollector().pages(target("abc123"), context()))


def test_changed_payload_is_a_layout_error(reddit):
    reddit.expect_request("/comments/abc123.json").respond_with_json({"kind": "Listing", "data": {}})
    with pytest.raises(LayoutChangedError, match=r"no longer \[post listing, comment listing\]"):
        list(RedditCollector().pages(target("abc123"), context()))


def test_missing_post_id_and_bad_cursor_are_target_errors(reddit):
    empty = TargetSpec(platform="reddit", url="https://www.reddit.com/", platform_data={})
    with pytest.raises(CollectorError, match="no post id"):
        list(RedditCollector().pages(empty, context()))
    with pytest.raises(CollectorError, match="position is unreadable"):
        list(RedditCollector().pages(target(), context(), cursor="not json"))
