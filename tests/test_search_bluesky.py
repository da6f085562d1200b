"""Bluesky search for keyword monitors: ``app.bsky.feed.searchPosts`` on the AppView.

A local server answers constructed posts (``constructed_bluesky_search_posts.json``) the way
the lexicon documents them.
"""

import pytest
from django.urls import reverse

from accounts import key_check, vault
from accounts.models import ApiKey, Provider
from scraping.collectors._dates import parse_date
from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError
from scraping.collectors.search.base import SearchQuery, search_source
from scraping.collectors.search.bluesky import PAGE_SIZE, BlueskySearch
from sentimatrix.http import RateLimitedError
from tests.factories import make_user
from tests.playback import json_response, playback_client, use_server
from tests.search_playback import (
    BLUESKY_APP_PASSWORD,
    BLUESKY_HANDLE,
    BLUESKY_TOKEN,
    bluesky_sort_at,
    constructed,
    serve_bluesky,
)

POSTS = sorted(
    constructed("constructed_bluesky_search_posts.json")["posts"], key=bluesky_sort_at, reverse=True
)
SEARCH = "/xrpc/app.bsky.feed.searchPosts"


@pytest.fixture
def appview(settings, httpserver):
    use_server(settings, httpserver, "bluesky", "bluesky_pds")
    return httpserver


def run(query="Nimbus Notes", since=None, language="", credential=None):
    ctx = FetchContext(http=playback_client(), credentials={"bluesky": credential} if credential else {})
    return list(BlueskySearch().search(SearchQuery(query, language=language), ctx, since)), ctx


def uris(pages):
    return [item.platform_id for page in pages for item in page.items]


def test_the_registry_hands_out_the_bluesky_search():
    source = search_source("bluesky")
    assert isinstance(source, BlueskySearch)
    assert source.credential_providers == ("bluesky",)


def test_pages_through_the_posts_newest_first(appview):
    recorded = serve_bluesky(appview, page_size=2)
    pages, ctx = run()

    asked = recorded.params(SEARCH)
    assert asked[0] == {"q": "Nimbus Notes", "sort": "latest", "limit": str(PAGE_SIZE)}
    assert [params.get("cursor") for params in asked] == [None, "2", "4"]
    assert ctx.http.requests_made == 3 == sum(page.requests_made for page in pages)
    assert pages[0].reported_total == len(POSTS)
    assert pages[0].searched == ['Bluesky posts matching "Nimbus Notes"']
    assert all(page.searched == [] for page in pages[1:])

    # Newest first by the time Bluesky files them: the back-dated post sits where it was indexed.
    assert uris(pages) == [post["uri"] for post in POSTS]
    items = [item for page in pages for item in page.items]
    backdated = next(item for item in items if item.author == "archive.bsky.social")
    assert backdated.date == parse_date("2024-02-01T12:00:00Z")

    first = items[0]
    assert first.text == "Nimbus Notes just shipped tables. Finally!"
    assert first.author == "ana.bsky.social"
    assert first.date == parse_date(POSTS[0]["record"]["createdAt"])
    assert first.url == "https://bsky.app/profile/ana.bsky.social/post/3l0xmpl0abc20"
    assert first.metadata == {
        "source_url": first.url,
        "author_did": "did:plc:anaexample0000000000000",
        "author_name": "Ana",
        "like_count": 20,
        "repost_count": 3,
        "reply_count": 0,
        "quote_count": 0,
        "languages": ["en"],
        "sort_at": parse_date(POSTS[0]["record"]["createdAt"]).isoformat(),
    }
    reply = items[1]
    assert reply.parent_id == POSTS[0]["uri"]
    assert "author_name" not in items[3].metadata  # no display name: nothing invented
    assert pages[-1].newest == POSTS[0]["record"]["createdAt"]


def test_a_second_run_asks_only_for_newer_posts(appview):
    recorded = serve_bluesky(appview)
    cursor = POSTS[2]["record"]["createdAt"]
    pages, _ctx = run(since=cursor)
    assert recorded.params(SEARCH)[0]["since"] == cursor
    # since is inclusive on the server: the post the cursor came from is not new.
    assert uris(pages) == [post["uri"] for post in POSTS[:2]]
    newest = pages[-1].newest
    assert newest == POSTS[0]["record"]["createdAt"]

    again, _ctx = run(since=newest)
    assert recorded.params(SEARCH)[-1]["since"] == newest
    assert uris(again) == []
    assert again[-1].newest == newest


def test_the_language_is_passed(appview):
    recorded = serve_bluesky(appview)
    pages, _ctx = run(language="de")
    assert recorded.params(SEARCH)[0]["lang"] == "de"
    assert [item.author for page in pages for item in page.items] == ["lena.bsky.social"]
    assert pages[-1].newest == POSTS[2]["record"]["createdAt"]  # hers is the newest post read
    assert pages[0].searched == ['Bluesky posts matching "Nimbus Notes" (language de)']


def test_the_query_is_written_in_the_search_syntax_and_exclusions_are_checked(appview):
    recorded = serve_bluesky(appview)
    pages, _ctx = run('nimbus "nimbus notes" -Refund -"old blog"')
    assert recorded.params(SEARCH)[0]["q"] == 'nimbus "nimbus notes" -Refund -"old blog"'
    authors = [item.author for page in pages for item in page.items]
    assert "ravi.bsky.social" not in authors and "archive.bsky.social" not in authors
    assert len(authors) == len(POSTS) - 2


def test_a_refusal_without_an_account_says_to_add_an_app_password(appview):
    serve_bluesky(appview, needs_account=True)
    with pytest.raises(CollectorError) as caught:
        run()
    message = str(caught.value)
    assert "refused a search without an account (403)" in message
    assert 'app password on the API keys page under "bluesky"' in message


def test_with_an_app_password_it_signs_in_and_searches_as_the_account(appview):
    recorded = serve_bluesky(appview, needs_account=True)
    pages, ctx = run(credential=f"{BLUESKY_HANDLE}:{BLUESKY_APP_PASSWORD}")
    assert [path for path, _params, _headers in recorded.requests] == [
        "/xrpc/com.atproto.server.createSession",
        SEARCH,
    ]
    assert recorded.requests[1][2] == {"Authorization": f"Bearer {BLUESKY_TOKEN}"}
    assert uris(pages) == [post["uri"] for post in POSTS]
    assert ctx.http.requests_made == 2


@pytest.mark.parametrize("credential", [f"{BLUESKY_HANDLE}:wrong-password", "no-colon-here"])
def test_a_wrong_app_password_is_named(appview, credential):
    serve_bluesky(appview, needs_account=True)
    with pytest.raises(
        CollectorError, match='Bluesky refused the app password stored on the API keys page under "bluesky"'
    ):
        run(credential=credential)


def test_a_rate_limit_answer_is_the_clients_rate_limited_error(appview):
    appview.expect_request(SEARCH).respond_with_response(
        json_response({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429)
    )
    with pytest.raises(RateLimitedError):
        run()


def test_an_error_answer_carries_the_xrpc_message(appview):
    appview.expect_request(SEARCH).respond_with_response(
        json_response({"error": "BadQueryString", "message": "could not parse query"}, 400)
    )
    with pytest.raises(CollectorError, match="could not parse query"):
        run()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"hits": []}, "no list of posts"),
        ({"posts": [{"uri": "at://did:plc:x/app.bsky.feed.post/1", "author": {}}]}, "Bluesky post lacks"),
    ],
    ids=["no posts", "a post without its fields"],
)
def test_a_changed_answer_is_a_layout_change(appview, body, message):
    appview.expect_request(SEARCH).respond_with_response(json_response(body))
    with pytest.raises(LayoutChangedError, match=message):
        run()


def test_an_answer_that_is_not_json_is_a_layout_change(appview):
    appview.expect_request(SEARCH).respond_with_data("<html>Bad gateway</html>", content_type="text/html")
    with pytest.raises(LayoutChangedError, match="did not answer JSON"):
        run()


# --- the app password in the vault ------------------------------------------------------------


@pytest.mark.django_db
def test_the_key_form_takes_a_bluesky_app_password_as_handle_and_password(client):
    user = make_user()
    client.force_login(user)

    def save(key):
        return client.post(
            reverse("accounts:api_keys"), {"name": "Bluesky", "provider": "bluesky", "key": key}
        )

    response = save("abcd-efgh-ijkl-mnop")
    assert response.status_code == 200
    assert response.context["form"].errors["key"] == ["Enter the Bluesky account as handle:app-password."]
    assert save(f"{BLUESKY_HANDLE}:{BLUESKY_APP_PASSWORD}").status_code == 302
    assert ApiKey.objects.get(user=user).provider == Provider.BLUESKY


@pytest.mark.django_db
def test_test_key_signs_in_with_the_app_password(appview):
    recorded = serve_bluesky(appview, needs_account=True)
    user = make_user()
    good = vault.store_key(
        user, provider="bluesky", name="ok", plaintext=f"{BLUESKY_HANDLE}:{BLUESKY_APP_PASSWORD}"
    )
    wrong = vault.store_key(user, provider="bluesky", name="wrong", plaintext=f"{BLUESKY_HANDLE}:nope")

    assert key_check.check_key(good).valid is True
    assert recorded.requests[-1][0] == "/xrpc/com.atproto.server.createSession"
    result = key_check.check_key(wrong)
    assert result.valid is False and "HTTP 401" in result.message
    assert ApiKey.objects.get(pk=wrong.pk).is_valid is False


def test_a_post_without_text_is_no_mention(appview):
    image_only = {**POSTS[0], "record": {**POSTS[0]["record"], "text": "  "}}
    appview.expect_request(SEARCH).respond_with_response(json_response({"posts": [image_only, POSTS[1]]}))
    pages, _ctx = run()
    assert uris(pages) == [POSTS[1]["uri"]]
