"""Bluesky post search for a keyword monitor.

``GET {bluesky}/xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&since=…&lang=…&limit=100&cursor=…``
on the public AppView (``BLUESKY_BASE_URL``), newest first, paged by the opaque ``cursor``.

Some AppView deployments refuse searches without a signed-in account (401/403). With a Bluesky
app password in the vault (provider "bluesky", written ``handle:app-password``) the search signs
in on the account's server (``BLUESKY_PDS_URL``, ``com.atproto.server.createSession``) and asks
there, which forwards to the AppView on the account's behalf.

The cursor is a time: the newest post's ``sortAt`` (the earlier of its ``createdAt`` and
``indexedAt``, what ``since`` compares with), so the next run asks only for newer posts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from projects.platforms import Platform
from scraping.collectors._dates import in_window, parse_date
from scraping.collectors._text import squash
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
)
from scraping.collectors.search.base import SearchPage, SearchQuery, SearchSource
from scraping.collectors.search.syntax import QueryTerms, parse_query
from sentimatrix.http import HttpStatusError, NotJSONError, decode_json

BLUESKY_SITE = "https://bsky.app"
#: Posts per request (the API's maximum).
PAGE_SIZE = 100
#: Pages read in one run (1,000 posts at most).
PAGES_PER_RUN = 10
SEARCH_PATH = "/xrpc/app.bsky.feed.searchPosts"
SESSION_PATH = "/xrpc/com.atproto.server.createSession"
NEEDS_ACCOUNT = (
    "Bluesky's public search at {host} refused a search without an account ({status}); add a Bluesky "
    'app password on the API keys page under "bluesky", written handle:app-password'
)
REFUSED_SIGN_IN = (
    'Bluesky refused the app password stored on the API keys page under "bluesky" ({status}); '
    "check it is written handle:app-password"
)


def sort_time(post: dict, created: datetime | None) -> datetime | None:
    """When Bluesky files the post for ``since``: the earlier of created and indexed (a
    post can claim any creation time; the index time keeps a back-dated one in order)."""
    indexed = parse_date(post.get("indexedAt"))
    if created and indexed:
        return min(created, indexed)
    return created or indexed


def map_post(post: Any) -> CollectedItem:
    """A ``app.bsky.feed.defs#postView`` as a mention."""
    try:
        uri = str(post["uri"])
        author = post["author"]
        handle = str(author["handle"])
        record = post["record"]
        text = str(record["text"])
        created = parse_date(record["createdAt"])
    except (KeyError, TypeError) as exc:
        raise LayoutChangedError(f"a Bluesky post lacks {exc}") from exc
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    url = f"{BLUESKY_SITE}/profile/{quote(handle, safe='')}/post/{quote(rkey, safe='')}"
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    parent = (reply.get("parent") or {}).get("uri") if isinstance(reply.get("parent"), dict) else None
    moment = sort_time(post, created)
    metadata = {
        "source_url": url,
        "author_did": author.get("did"),
        "author_name": squash(author.get("displayName")) or None,
        "like_count": post.get("likeCount"),
        "repost_count": post.get("repostCount"),
        "reply_count": post.get("replyCount"),
        "quote_count": post.get("quoteCount"),
        "languages": record.get("langs") or None,
        "sort_at": moment.isoformat() if moment else None,
    }
    return CollectedItem(
        platform_id=uri,
        text=text.strip(),
        author=handle,
        date=created or moment,
        url=url,
        parent_id=str(parent) if parent else None,
        metadata={key: value for key, value in metadata.items() if value is not None},
    )


class BlueskySearch(SearchSource):
    """Posts matching a query, newest first (see the module's docstring)."""

    platform = Platform.BLUESKY
    credential_providers = ("bluesky",)

    def search(self, query: SearchQuery, ctx: FetchContext, since: str | None = None) -> Iterator[SearchPage]:
        """Pages of posts newer than ``since`` (an ISO time); ``newest`` is the newest ``sortAt``."""
        terms = parse_query(query.text)
        text = terms.search_syntax()
        if not (terms.words or terms.phrases):
            raise CollectorError("the keyword monitor's query has no words to search Bluesky for")
        after = parse_date(since) if since else None
        base, headers = self._endpoint(ctx)
        params = {"q": text, "sort": "latest", "limit": str(PAGE_SIZE)}
        if after:
            params["since"] = _iso(after)
        if query.language:
            params["lang"] = query.language
        asked = f'Bluesky posts matching "{text}"' + (
            f" (language {query.language})" if query.language else ""
        )
        newest = after
        cursor = None
        for number in range(PAGES_PER_RUN):
            before = ctx.http.requests_made
            data = self._get(
                ctx, f"{base}{SEARCH_PATH}", {**params, **({"cursor": cursor} if cursor else {})}, headers
            )
            posts = data.get("posts") if isinstance(data, dict) else None
            if not isinstance(posts, list):
                raise LayoutChangedError("the Bluesky search answer has no list of posts")
            items = []
            passed = False
            for post in posts:
                item = map_post(post)
                moment = parse_date(item.metadata.get("sort_at"))
                if after is not None and moment is not None and moment <= after:
                    passed = True  # since is inclusive; what the last run saw is not new
                    continue
                # Read is read: a post left out below is not asked for again next run.
                if moment and (newest is None or moment > newest):
                    newest = moment
                if not item.text or not in_window(item.date, ctx) or not self._wanted(item, terms):
                    continue
                items.append(item)
            cursor = data.get("cursor") or None
            done = not cursor or not posts or passed or number + 1 == PAGES_PER_RUN
            yield SearchPage(
                items=items,
                next_cursor=None,
                reported_total=data.get("hitsTotal")
                if number == 0 and isinstance(data.get("hitsTotal"), int)
                else None,
                requests_made=ctx.http.requests_made - before,
                newest=_iso(newest) if newest else None,
                searched=[asked] if number == 0 else [],
            )
            if done:
                return

    @staticmethod
    def _wanted(item: CollectedItem, terms: QueryTerms) -> bool:
        # The search syntax is left to each AppView; exclusions are checked here too.
        return not terms.excludes(item.text)

    def _endpoint(self, ctx: FetchContext) -> tuple[str, dict]:
        """Where to search and with which headers: the public AppView, or the account's server
        when the vault holds an app password."""
        secret = (ctx.credentials.get("bluesky") or "").strip()
        if not secret:
            return Collector.base_url("bluesky"), {}
        identifier, _, password = secret.partition(":")
        if not identifier or not password:
            raise CollectorError(REFUSED_SIGN_IN.format(status="not written handle:app-password"))
        pds = Collector.base_url("bluesky_pds")
        try:
            session = decode_json(
                ctx.http.post(f"{pds}{SESSION_PATH}", json={"identifier": identifier, "password": password})
            )
        except HttpStatusError as exc:
            if exc.status in (400, 401, 403):
                raise CollectorError(REFUSED_SIGN_IN.format(status=exc.status)) from exc
            raise CollectorError(_error_message(exc)) from exc
        except NotJSONError as exc:
            raise LayoutChangedError(str(exc)) from exc
        token = session.get("accessJwt") if isinstance(session, dict) else None
        if not token:
            raise LayoutChangedError("Bluesky's sign-in answer has no access token")
        return pds, {"Authorization": f"Bearer {token}"}

    @staticmethod
    def _get(ctx: FetchContext, url: str, params: dict, headers: dict) -> Any:
        try:
            return ctx.http.get_json(url, params=params, headers=headers or None)
        except NotJSONError as exc:
            raise LayoutChangedError(str(exc)) from exc
        except HttpStatusError as exc:
            if exc.status in (401, 403) and not headers:
                host = url.split("://", 1)[-1].split("/", 1)[0]
                raise CollectorError(NEEDS_ACCOUNT.format(host=host, status=exc.status)) from exc
            raise CollectorError(_error_message(exc)) from exc


def _error_message(exc: HttpStatusError) -> str:
    """The XRPC error payload ({"error": name, "message": text}) in the message, when there is one."""
    try:
        payload = decode_json(exc.response)
    except NotJSONError:
        return str(exc)
    if isinstance(payload, dict) and (payload.get("message") or payload.get("error")):
        return f"{exc} ({payload.get('message') or payload.get('error')})"
    return str(exc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
