"""Hacker News discussions through the public Algolia API.

``{hackernews}/items/{item_id}`` answers a story (or comment) with its whole comment
tree nested under ``children``. The tree is flattened depth-first, so a parent always
comes before its replies, and each comment keeps the id of what it answers. Without
``include_replies`` only the top-level comments are kept.
"""

from __future__ import annotations

from collections.abc import Iterator

from projects.platforms import Platform
from scraping.collectors._dates import from_timestamp, in_window, parse_date
from scraping.collectors._text import fallback_id, html_to_text, squash
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)

ITEM_URL = "https://news.ycombinator.com/item?id={id}"
#: Items per yielded page: the tree comes in one response, but the runner
#: records progress (and may stop at max_items) between pages.
PAGE_SIZE = 100


def _item_date(node: dict):
    if isinstance(node.get("created_at_i"), int | float):
        return from_timestamp(node["created_at_i"])
    return parse_date(node.get("created_at"))


def flatten_item(root: dict) -> list[CollectedItem]:
    """The root (when it has text of its own, as an Ask HN story does) and every
    comment below it, depth-first, each with its parent id and its depth
    (``metadata["depth"]``, 1 for top-level comments). Deleted comments (no
    author, no text) are left out but their replies are kept."""
    if not isinstance(root, dict) or "id" not in root or not isinstance(root.get("children", []), list):
        raise LayoutChangedError("the Hacker News item has no id or comment list")
    story_id = str(root.get("story_id") or root["id"])
    story_title = squash(root.get("title") or "")
    items: list[CollectedItem] = []

    def visit(node: dict, depth: int) -> None:
        text = html_to_text(node.get("text"))
        is_root = depth == 0
        if text:
            title = squash(node.get("title") or "") if is_root else ""
            moment = _item_date(node)
            author = node.get("author") or ""
            parent = node.get("parent_id")
            items.append(
                CollectedItem(
                    platform_id=str(node.get("id") or fallback_id(author, moment, text)),
                    text=text,
                    title=title,
                    author=author,
                    date=moment,
                    url=ITEM_URL.format(id=node.get("id")),
                    parent_id=str(parent) if parent is not None and not is_root else None,
                    metadata={
                        "type": node.get("type") or "",
                        "story_id": story_id,
                        "story_title": story_title,
                        "depth": depth,
                        **({"points": node["points"]} if node.get("points") is not None else {}),
                    },
                )
            )
        for child in node.get("children") or []:
            if isinstance(child, dict):
                visit(child, depth + 1)

    visit(root, 0)
    return items


class HackerNewsCollector(Collector):
    platform = Platform.HACKERNEWS.value

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        item_id = str(target.platform_data.get("item_id") or "").strip()
        if not item_id.isdigit():
            raise CollectorError("the target has no Hacker News item id: add it again from an item?id= URL")
        payload = ctx.http.get_json(f"{self.base_url('hackernews')}/items/{item_id}")
        items = flatten_item(payload)
        reported = sum(1 for item in items if item.metadata["depth"] > 0)
        # Without replies, keep the root's own text and the top-level comments.
        max_depth = None if ctx.include_replies else 1
        items = [
            item
            for item in items
            if in_window(item.date, ctx) and (max_depth is None or item.metadata["depth"] <= max_depth)
        ]
        offset = int(cursor or 0)
        first = True
        while True:
            chunk = items[offset : offset + PAGE_SIZE]
            offset += len(chunk)
            done = offset >= len(items) or offset >= ctx.max_items
            yield Page(
                items=chunk,
                next_cursor=None if done else str(offset),
                reported_total=reported,
                requests_made=1 if first else 0,
                target_name=squash(str(payload.get("title") or "")) if isinstance(payload, dict) else "",
            )
            first = False
            if done:
                return
