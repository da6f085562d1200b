""" "Test these selectors": fetch a web page once and show what a web-page target with these
CSS selectors would collect from it, before the target is added or changed.

The page is read by the web collector's own parser, so the preview finds exactly what a
collection would; it is fetched through the polite HTTP client with the private-address guard
(the URL is typed by the user), with a single attempt so the form answers quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scraping.collectors.base import CollectedItem, CollectorError
from scraping.collectors.web import parse_page
from sentimatrix.http import FetchError, HttpClient

#: Items shown: enough to judge the selectors, few enough to read.
PREVIEW_ITEMS = 5


@dataclass
class SelectorPreview:
    """The first items found, how many elements the item selector matched, or why none."""

    url: str
    items: list[CollectedItem] = field(default_factory=list)
    matched: int = 0
    error: str = ""
    has_next: bool = False


def preview_selectors(url: str, selectors: dict[str, str], limit: int = PREVIEW_ITEMS) -> SelectorPreview:
    """What ``selectors`` find on the page at ``url``: its first ``limit`` items, or an error
    that says what went wrong (the page could not be fetched, nothing matched)."""
    preview = SelectorPreview(url=url)
    http = HttpClient(max_retries=0, guard=True)
    try:
        response = http.get(url)
        declared = "charset=" in response.headers.get("Content-Type", "").lower()
        items, next_url, preview.matched = parse_page(
            response.text if declared else response.content, response.url or url, selectors
        )
    except (FetchError, CollectorError) as exc:
        preview.error = f"The page could not be read: {exc}"
        return preview
    finally:
        http.close()
    preview.items, preview.has_next = items[:limit], next_url is not None
    if not items:
        item = selectors.get("item_selector", "")
        preview.error = (
            f"The item selector “{item}” matched nothing on this page."
            if not preview.matched
            else f"The item selector “{item}” matched {preview.matched} element(s), none with text: "
            "check the text selector."
        )
    return preview
