"""RSS and Atom feeds: any feed URL a user adds.

The URL is untrusted, so it is fetched through the private-address guard (every
redirect hop included). The body is parsed by feedparser, which copes with RSS
0.9x/1.0/2.0 and Atom and sanitises the HTML of entries. Paged feeds (RFC 5005,
``<link rel="next">``) are followed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from projects.platforms import Platform
from scraping.collectors._dates import in_window, parse_date
from scraping.collectors._guard import guarded_get
from scraping.collectors._text import fallback_id, html_to_text, parse_number, squash
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)

#: Paged feeds are followed this far at most, whatever they link to.
MAX_PAGES = 20
_EMAIL_AND_NAME = re.compile(r"^\S+@\S+\s+\((.+)\)$")


def _entry_date(entry: dict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)
    return parse_date(entry.get("published") or entry.get("updated"))


def _author_name(author: str) -> str:
    """RSS 2.0 writes authors as "email (Name)": keep the name."""
    author = squash(author)
    match = _EMAIL_AND_NAME.match(author)
    return match.group(1).strip() if match else author


def _entry_text(entry: dict) -> str:
    contents = [c.get("value", "") for c in entry.get("content") or [] if c.get("value")]
    html = max(contents, key=len) if contents else entry.get("summary") or ""
    return html_to_text(html)


def parse_feed(body: bytes, url: str) -> tuple[list[CollectedItem], str | None]:
    """Items of one feed document and the absolute URL of its next page, if any."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f": {reason}" if reason else ""
        raise LayoutChangedError(f"{url} is not an RSS or Atom feed{detail}")
    feed_title = html_to_text(parsed.feed.get("title"))
    items = []
    for entry in parsed.entries:
        title = html_to_text(entry.get("title"))
        text = _entry_text(entry) or title
        if not text:
            continue
        author = _author_name(entry.get("author") or "")
        moment = _entry_date(entry)
        link = entry.get("link") or ""
        metadata = {"feed_title": feed_title}
        tags = [tag.get("term") for tag in entry.get("tags") or [] if tag.get("term")]
        if tags:
            metadata["tags"] = tags
        if entry.get("comments"):
            metadata["comments_url"] = entry["comments"]
        stars = entry.get("media_starrating") or {}
        items.append(
            CollectedItem(
                platform_id=str(entry.get("id") or link or fallback_id(author, moment, text)),
                text=text,
                title=title if text != title else "",
                author=author,
                rating=parse_number(stars.get("average")) if isinstance(stars, dict) else None,
                date=moment,
                url=link,
                metadata=metadata,
            )
        )
    next_url = None
    for link in parsed.feed.get("links") or []:
        if link.get("rel") == "next" and link.get("href"):
            next_url = urljoin(url, link["href"])
            break
    return items, next_url


class FeedCollector(Collector):
    platform = Platform.FEED.value

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        url = cursor or str(target.platform_data.get("feed_url") or target.url or "").strip()
        if not url:
            raise CollectorError("the target has no feed URL")
        visited: set[str] = set()
        collected = 0
        while True:
            visited.add(url)
            response, spent = guarded_get(ctx.http, url)
            items, next_url = parse_feed(response.content, response.url or url)
            collected += len(items)
            if next_url in visited or len(visited) >= MAX_PAGES or collected >= ctx.max_items:
                next_url = None
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=next_url,
                requests_made=spent,
            )
            if next_url is None:
                return
            url = next_url
