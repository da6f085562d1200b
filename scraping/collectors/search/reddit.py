"""Reddit mentions of a monitor's query, through Reddit's search.

``GET {reddit}/search.json?q=…&sort=new&t=…&after=…`` (the public listing, about ten
requests a minute) or, when the user stored a Reddit app, the same search on the OAuth API
(:class:`~scraping.collectors.reddit.RedditApi` does both, as for one post's comments).
Posts are searched, and comments too when the job includes replies (``type=comment``).

The query is written in Reddit's syntax: words as they are (Reddit requires all of them),
``"phrases"`` quoted, exclusions as ``NOT word``. The since-cursor is ``created_utc:fullname``
of the newest mention read: the next run pages newest first and stops at it, and ``t`` (the
listing's time window) is the smallest one that still reaches back to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from projects.platforms import Platform
from scraping.collectors._dates import from_timestamp
from scraping.collectors._text import squash
from scraping.collectors.base import CollectedItem, Collector, FetchContext, LayoutChangedError
from scraping.collectors.reddit import GONE, REDDIT_SITE, RedditApi
from scraping.collectors.search.base import SearchPage, SearchQuery, SearchSource
from scraping.collectors.search.syntax import written
from sentimatrix.search_syntax import ParsedQuery, parse_query

PAGE_LIMIT = 100  # the most a Reddit listing gives at once
#: Reddit's time windows, smallest first, with how far back each reaches (seconds).
WINDOWS = (("hour", 3600), ("day", 86400), ("week", 7 * 86400), ("month", 31 * 86400), ("year", 366 * 86400))
FIRST_RUN_WINDOW = "week"  # a new monitor starts from the last week's mentions


def reddit_query(parsed: ParsedQuery) -> str:
    """``parsed`` in Reddit's search syntax."""
    return written(parsed.terms, parsed.excluded, exclude="NOT ")


def window_for(since_ts: float | None, now: float) -> str:
    """The smallest listing window that reaches back to ``since_ts``."""
    if since_ts is None:
        return FIRST_RUN_WINDOW
    age = now - since_ts
    return next((name for name, span in WINDOWS if age < span), "all")


def parse_cursor(since: str | None) -> tuple[float | None, str]:
    """``created_utc:fullname`` → (timestamp, fullname); (None, "") when absent or unreadable."""
    stamp, _, fullname = (since or "").partition(":")
    try:
        return float(stamp), fullname
    except ValueError:
        return None, ""


def mention(data: dict) -> CollectedItem | None:
    """A post (``t3``) or comment (``t1``) of a search listing as an item; None when deleted."""
    try:
        fullname = str(data["name"])
        created = float(data["created_utc"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutChangedError("a Reddit search result has no name or date") from exc
    is_comment = fullname.startswith("t1_")
    text = str(data.get("body") if is_comment else data.get("selftext") or "").strip()
    title = squash(data.get("link_title") if is_comment else data.get("title"))
    if text in GONE:
        text = ""
    if not text and not title:
        return None
    permalink = data.get("permalink") or ""
    url = f"{REDDIT_SITE}{permalink}" if permalink else ""
    return CollectedItem(
        platform_id=fullname,
        text=text or title,
        title="" if is_comment else title,
        author=str(data.get("author") or ""),
        date=from_timestamp(created),
        url=url,
        metadata={
            "type": "comment" if is_comment else "post",
            "subreddit": str(data.get("subreddit") or ""),
            "source_url": url,
            **({"score": data["score"]} if isinstance(data.get("score"), int) else {}),
            **({"post_title": title} if is_comment and title else {}),
        },
    )


class RedditSearch(SearchSource):
    platform = Platform.REDDIT.value
    credential_providers = ("reddit",)

    def search(self, query: SearchQuery, ctx: FetchContext, since: str | None = None) -> Iterator[SearchPage]:
        parsed = parse_query(query.text)
        since_ts, since_name = parse_cursor(since)
        api = RedditApi(ctx, Collector.base_url)
        kinds = ("link", "comment") if ctx.include_replies else ("link",)
        for kind in kinds:
            yield from self._listing(api, parsed, kind, (since_ts, since_name), ctx)

    @staticmethod
    def _listing(
        api: RedditApi, parsed: ParsedQuery, kind: str, since: tuple[float | None, str], ctx: FetchContext
    ) -> Iterator[SearchPage]:
        since_ts, since_name = since
        q = reddit_query(parsed)
        params: dict[str, Any] = {
            "q": q,
            "sort": "new",
            "t": window_for(since_ts, time.time()),
            "limit": PAGE_LIMIT,
        }
        params["restrict_sr"] = ""
        if kind == "comment":
            params["type"] = "comment"
        searched = [
            f"Reddit {'comments' if kind == 'comment' else 'posts'} matching {q} (past {params['t']})"
        ]
        read = 0
        after = None
        while True:
            data = api.get("/search", {**params, **({"after": after} if after else {})})
            listing = data.get("data") if isinstance(data, dict) else None
            if not isinstance(listing, dict) or not isinstance(listing.get("children"), list):
                raise LayoutChangedError("the Reddit search answer has no listing")
            items: list[CollectedItem] = []
            newest: str | None = None
            reached_since = False
            for child in listing["children"]:
                data_of = (child or {}).get("data") if isinstance(child, dict) else None
                if not isinstance(data_of, dict):
                    continue
                item = mention(data_of)
                created = float(data_of.get("created_utc") or 0)
                if since_ts is not None and (
                    created < since_ts or (created == since_ts and data_of.get("name") == since_name)
                ):
                    reached_since = True
                    continue
                if newest is None or created > float(newest.partition(":")[0]):
                    newest = f"{created:.0f}:{data_of.get('name')}"
                if item is not None:
                    items.append(item)
            read += len(items)
            after = listing.get("after")
            done = not after or reached_since or read >= ctx.max_items
            yield SearchPage(
                items=items, next_cursor=None if done else str(after), newest=newest, searched=searched
            )
            searched = []
            if done:
                return
