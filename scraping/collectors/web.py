"""Any web page, read with CSS selectors the user gives on the target.

Selectors come from ``platform_data`` and ``options`` (options win):
``item_selector`` (required: one element per review/comment), and inside each item
``text_selector`` (default: the item's whole text), ``title_selector``,
``author_selector``, ``rating_selector``, ``date_selector``; ``next_selector`` picks
the link to the next page. The URL is untrusted, so every page (and redirect hop) is
fetched through the private-address guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from soupsieve import SelectorSyntaxError

from projects.platforms import Platform
from scraping.collectors._dates import in_window, parse_date
from scraping.collectors._guard import guarded_get
from scraping.collectors._text import fallback_id, parse_number, squash
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)

SELECTOR_KEYS = (
    "item_selector",
    "text_selector",
    "title_selector",
    "author_selector",
    "rating_selector",
    "date_selector",
    "next_selector",
)
#: Pages followed at most through ``next_selector``, whatever the site links to.
MAX_PAGES = 50
_RATING_ATTRS = ("content", "data-rating", "data-score", "data-value", "value", "aria-label", "title", "alt")
_DATE_ATTRS = ("datetime", "content", "data-date", "title")
_ID_ATTRS = ("id", "data-id", "data-review-id", "data-comment-id", "itemid")


def selectors_of(target: TargetSpec) -> dict[str, str]:
    """The target's selectors (options override platform_data); ``item_selector`` is required."""
    selectors = {}
    nested = target.platform_data.get("selectors") or {}
    for key in SELECTOR_KEYS:
        value = target.options.get(key) or target.platform_data.get(key) or nested.get(key)
        if value:
            selectors[key] = str(value).strip()
    if not selectors.get("item_selector"):
        raise CollectorError("a web page target needs an item selector (the CSS selector of one review)")
    return selectors


def _select_one(node: Tag, selector: str | None) -> Tag | None:
    if not selector:
        return None
    try:
        return node.select_one(selector)
    except SelectorSyntaxError as exc:
        raise CollectorError(f"{selector!r} is not a valid CSS selector") from exc


def _text_of(node: Tag | None) -> str:
    if node is None:
        return ""
    for br in node.find_all("br"):
        br.replace_with("\n")
    return squash(node.get_text(" "))


def _rating_of(node: Tag | None) -> float | None:
    """A number in the text ("4/5"), else in a rating attribute of the element or
    of a child (``data-rating``, ``<meta itemprop="ratingValue" content>``), else
    the count of filled stars ("★★★☆☆")."""
    if node is None:
        return None
    text = node.get_text(" ")
    rating = parse_number(text)
    candidates = [node, *node.select("[itemprop=ratingValue], [content], [data-rating], [data-score]")]
    for candidate in candidates:
        for attr in _RATING_ATTRS:
            if rating is not None:
                return rating
            rating = parse_number(candidate.get(attr))
    if rating is None and "★" in text:
        rating = float(text.count("★"))
    return rating


def _date_of(node: Tag | None):
    if node is None:
        return None
    for attr in _DATE_ATTRS:
        moment = parse_date(node.get(attr))
        if moment:
            return moment
    return parse_date(_text_of(node))


def _id_of(node: Tag) -> str:
    for attr in _ID_ATTRS:
        value = node.get(attr)
        if value:
            return str(value)
    return ""


def parse_page(
    html: str | bytes, url: str, selectors: dict[str, str]
) -> tuple[list[CollectedItem], str | None, int]:
    """Items of one page, the absolute URL of the next page (or ``None``) and the
    number of elements the item selector matched."""
    soup = BeautifulSoup(html, "lxml")
    try:
        elements = soup.select(selectors["item_selector"])
    except SelectorSyntaxError as exc:
        raise CollectorError(f"{selectors['item_selector']!r} is not a valid CSS selector") from exc
    items = []
    for element in elements:
        text_node = (
            _select_one(element, selectors.get("text_selector")) if "text_selector" in selectors else element
        )
        title = _text_of(_select_one(element, selectors.get("title_selector")))
        author = _text_of(_select_one(element, selectors.get("author_selector")))
        rating = _rating_of(_select_one(element, selectors.get("rating_selector")))
        moment = _date_of(_select_one(element, selectors.get("date_selector")))
        text = _text_of(text_node)
        if not text:
            continue
        element_id = _id_of(element)
        items.append(
            CollectedItem(
                platform_id=element_id or fallback_id(author, moment, text),
                text=text,
                title=title,
                author=author,
                rating=rating,
                date=moment,
                url=f"{url.split('#', 1)[0]}#{element_id}" if element.get("id") else url,
                metadata={"page_url": url},
            )
        )
    next_url = None
    next_node = _select_one(soup, selectors.get("next_selector"))
    if next_node is not None:
        href = next_node.get("href") or (next_node.find("a", href=True) or {}).get("href")
        if href:
            next_url = urljoin(url, str(href))
    return items, next_url, len(elements)


class WebPageCollector(Collector):
    platform = Platform.WEB.value

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        selectors = selectors_of(target)
        start = str(target.platform_data.get("page_url") or target.url or "").strip()
        if not start:
            raise CollectorError("the target has no page URL")
        url = cursor or start
        visited: set[str] = set()
        collected = 0
        while True:
            visited.add(url)
            response, spent = guarded_get(ctx.http, url)
            page_url = response.url or url
            # Without a declared charset, hand bytes to the parser: it reads <meta charset>.
            declared = "charset=" in response.headers.get("Content-Type", "").lower()
            body = response.text if declared else response.content
            items, next_url, matched = parse_page(body, page_url, selectors)
            if not items and url == start:
                what = "matched nothing" if not matched else "matched elements without text"
                raise LayoutChangedError(f"the item selector {selectors['item_selector']!r} {what} on {url}")
            collected += len(items)
            if not items or next_url in visited or len(visited) >= MAX_PAGES or collected >= ctx.max_items:
                next_url = None
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=next_url,
                requests_made=spent,
            )
            if next_url is None:
                return
            url = next_url
