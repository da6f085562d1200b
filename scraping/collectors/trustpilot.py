"""Trustpilot company reviews, read from the data embedded in the public review pages.

``{trustpilot}/review/{domain}?page=N&sort=recency`` is a Next.js page: its
``__NEXT_DATA__`` script holds the reviews (``props.pageProps.reviews``) and the
pagination (``props.pageProps.filters.pagination``). When that script is missing or
has no reviews, the schema.org ``Review`` entries of the page's JSON-LD are used, with
the ``rel="next"`` link for pagination.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

from bs4 import BeautifulSoup

from projects.platforms import Platform
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


def _next_data_reviews(soup: BeautifulSoup, site: str) -> tuple[list[CollectedItem], bool, int | None] | None:
    """Reviews, has-next and total from ``__NEXT_DATA__``; ``None`` when the page has no usable data."""
    script = soup.find("script", id="__NEXT_DATA__")
    if script is None or not script.string:
        return None
    try:
        data = json.loads(script.string)
    except ValueError:
        return None
    props = (data.get("props") or {}).get("pageProps") or {}
    reviews = props.get("reviews")
    if not isinstance(reviews, list):
        return None
    items = [
        item for item in (_map_review(review, site) for review in reviews if isinstance(review, dict)) if item
    ]
    if reviews and not items:
        return None
    pagination = (props.get("filters") or {}).get("pagination") or {}
    current, pages = pagination.get("currentPage"), pagination.get("totalPages")
    has_next = isinstance(current, int) and isinstance(pages, int) and current < pages
    total = pagination.get("totalCount")
    if not isinstance(total, int):
        total = (props.get("businessUnit") or {}).get("numberOfReviews")
    return items, has_next, total if isinstance(total, int) else None


def _map_review(review: dict, site: str) -> CollectedItem | None:
    text = squash(review.get("text") or "")
    title = squash(review.get("title") or "")
    if not (text or title):
        return None
    consumer = review.get("consumer") or {}
    dates = review.get("dates") or {}
    verification = (review.get("labels") or {}).get("verification") or {}
    reply = review.get("reply") or {}
    author = squash(consumer.get("displayName") or "")
    moment = parse_date(dates.get("publishedDate"))
    review_id = str(review.get("id") or "")
    metadata = {
        "verified": bool(verification.get("isVerified")),
        "source": verification.get("reviewSourceName") or "",
        "country": consumer.get("countryCode") or "",
        "language": review.get("language") or "",
        "likes": review.get("likes") or 0,
    }
    experienced = parse_date(dates.get("experiencedDate"))
    if experienced:
        metadata["experienced_date"] = experienced.isoformat()
    if reply.get("message"):
        metadata["company_reply"] = squash(reply["message"])
    return CollectedItem(
        platform_id=review_id or fallback_id(author, moment, text or title),
        text=text or title,
        title=title if text else "",
        author=author,
        rating=parse_number(review.get("rating")),
        date=moment,
        url=f"{site}/reviews/{review_id}" if review_id else "",
        metadata=metadata,
    )


def _json_ld_nodes(soup: BeautifulSoup) -> list[dict]:
    nodes: list[dict] = []
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                nodes.append(node)
                stack.extend(
                    v for key, v in node.items() if key in ("@graph", "review") and isinstance(v, list)
                )
    return nodes


def _is_type(node: dict, name: str) -> bool:
    kind = node.get("@type")
    return name in kind if isinstance(kind, list) else kind == name


def _json_ld_reviews(soup: BeautifulSoup, site: str) -> tuple[list[CollectedItem], bool, int | None]:
    nodes = _json_ld_nodes(soup)
    items = []
    seen = set()
    for node in nodes:
        if not _is_type(node, "Review"):
            continue
        text = squash(node.get("reviewBody") or "")
        title = squash(node.get("headline") or node.get("name") or "")
        if not (text or title):
            continue
        author_node = node.get("author")
        author = squash(author_node.get("name") if isinstance(author_node, dict) else str(author_node or ""))
        moment = parse_date(node.get("datePublished"))
        review_id = str(node.get("@id") or "").rstrip("/").rsplit("/", 1)[-1]
        platform_id = review_id or fallback_id(author, moment, text or title)
        if platform_id in seen:
            continue
        seen.add(platform_id)
        rating = node.get("reviewRating")
        items.append(
            CollectedItem(
                platform_id=platform_id,
                text=text or title,
                title=title if text else "",
                author=author,
                rating=parse_number(rating.get("ratingValue")) if isinstance(rating, dict) else None,
                date=moment,
                url=f"{site}/reviews/{review_id}" if review_id else "",
                metadata={"language": node.get("inLanguage") or ""},
            )
        )
    total = None
    for node in nodes:
        aggregate = node.get("aggregateRating")
        if isinstance(aggregate, dict) and aggregate.get("reviewCount") is not None:
            total = parse_count(aggregate["reviewCount"])
            break
    next_link = soup.select_one('link[rel="next"][href], a[name="pagination-button-next"][href]')
    return items, next_link is not None, total


def parse_review_page(html: str, site: str) -> tuple[list[CollectedItem], bool, int | None]:
    """Items, whether a next page exists, and the reported total of one review page."""
    soup = BeautifulSoup(html, "lxml")
    found = _next_data_reviews(soup, site)
    if found is not None and found[0]:
        return found
    items, has_next, total = _json_ld_reviews(soup, site)
    if items:
        return items, has_next, total
    if found is not None:  # __NEXT_DATA__ says the company has no reviews (on this page)
        return found
    raise LayoutChangedError("the Trustpilot page has neither __NEXT_DATA__ reviews nor JSON-LD reviews")


class TrustpilotCollector(Collector):
    platform = Platform.TRUSTPILOT.value

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        domain = str(target.platform_data.get("domain") or "").strip().lower()
        if not domain:
            raise CollectorError(
                "the target has no company domain: add it again from a trustpilot.com/review/ URL"
            )
        site = self.base_url("trustpilot")
        page = int(cursor or 1)
        collected = 0
        while True:
            html = ctx.http.get_text(
                f"{site}/review/{quote(domain, safe='.-')}", params={"page": page, "sort": "recency"}
            )
            items, has_next, total = parse_review_page(html, site)
            collected += len(items)
            stop = (
                not has_next
                or not items
                or collected >= ctx.max_items
                or older_than_window(items[-1].date if items else None, ctx)
            )
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=None if stop else str(page + 1),
                reported_total=total,
            )
            if stop:
                return
            page += 1
