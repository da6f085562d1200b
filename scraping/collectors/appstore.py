"""App Store customer reviews from Apple's public RSS feed (JSON flavour).

``{appstore}/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json``
serves the most recent reviews of one storefront, 50 a page, and never more than
10 pages: older reviews are not reachable through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from projects.platforms import CAVEATS, Platform
from scraping.collectors._dates import in_window, older_than_window, parse_date
from scraping.collectors._text import fallback_id, parse_count, parse_number, squash
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)

MAX_PAGES = 10
_PAGE_IN_HREF = re.compile(r"/page=(\d+)/")


def _label(node: object) -> str:
    """The ``label`` of an RSS-JSON node (``{"label": "..."}``), or ""."""
    if isinstance(node, dict):
        return str(node.get("label") or "")
    return ""


def _last_page(feed: dict) -> int | None:
    links = feed.get("link") or []
    if isinstance(links, dict):
        links = [links]
    for link in links:
        attributes = link.get("attributes", {}) if isinstance(link, dict) else {}
        if attributes.get("rel") == "last":
            match = _PAGE_IN_HREF.search(attributes.get("href", ""))
            if match:
                return int(match.group(1))
    return None


def parse_feed_page(payload: object, app_id: str, country: str) -> tuple[list[CollectedItem], int | None]:
    """Items of one feed page and the last page number the feed announces."""
    if not isinstance(payload, dict) or not isinstance(payload.get("feed"), dict):
        raise LayoutChangedError("the App Store review feed has no 'feed' object")
    feed = payload["feed"]
    entries = feed.get("entry") or []
    if isinstance(entries, dict):  # a page with one entry carries it bare
        entries = [entries]
    items = []
    app_url = f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews"
    for entry in entries:
        if not isinstance(entry, dict) or "im:rating" not in entry:
            continue  # older feeds put the app itself first
        text = squash(_label(entry.get("content")))
        title = squash(_label(entry.get("title")))
        author = squash(_label((entry.get("author") or {}).get("name")))
        moment = parse_date(_label(entry.get("updated")))
        review_id = _label(entry.get("id"))
        if not (text or title):
            continue
        items.append(
            CollectedItem(
                platform_id=review_id or fallback_id(author, moment, text or title),
                text=text or title,
                title=title if text else "",
                author=author,
                rating=parse_number(_label(entry.get("im:rating"))),
                date=moment,
                url=app_url,
                metadata={
                    "app_version": _label(entry.get("im:version")),
                    "country": country,
                    "vote_sum": parse_count(_label(entry.get("im:voteSum"))) or 0,
                    "vote_count": parse_count(_label(entry.get("im:voteCount"))) or 0,
                },
            )
        )
    if entries and not items:
        raise LayoutChangedError("App Store feed entries carry no rating or review text")
    return items, _last_page(feed)


class AppStoreCollector(Collector):
    platform = Platform.APPSTORE.value
    caveat = CAVEATS[Platform.APPSTORE]

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        app_id = str(target.platform_data.get("app_id") or "").strip()
        if not app_id.isdigit():
            raise CollectorError(
                "the target has no App Store app id: add it again from an apps.apple.com URL"
            )
        country = str(target.platform_data.get("country") or target.options.get("country") or "us").lower()
        base = self.base_url("appstore")
        page = int(cursor or 1)
        collected = 0
        while page <= MAX_PAGES:
            url = f"{base}/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
            items, last_page = parse_feed_page(ctx.http.get_json(url), app_id, country)
            collected += len(items)
            stop = (
                not items
                or page >= min(MAX_PAGES, last_page or MAX_PAGES)
                or collected >= ctx.max_items
                or (items and older_than_window(items[-1].date, ctx))
            )
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=None if stop else str(page + 1),
            )
            if stop:
                return
            page += 1
