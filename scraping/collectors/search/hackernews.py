"""Hacker News mentions of a monitor's query, through the Algolia search API.

``GET {hackernews}/search_by_date?query=…&tags=(story,comment)&numericFilters=created_at_i>SINCE
&page=N``: stories and comments, newest first. The query is written in Algolia's advanced
syntax (``advancedSyntax=true``): words, ``"phrases"`` and ``-exclusions``, as the explorer
writes them. The since-cursor is the ``created_at_i`` of the newest mention read; a first
run reads the newest mentions up to the run's cap.
"""

from __future__ import annotations

from collections.abc import Iterator

from projects.platforms import Platform
from scraping.collectors._dates import from_timestamp
from scraping.collectors._text import html_to_text, squash
from scraping.collectors.base import CollectedItem, Collector, FetchContext, LayoutChangedError
from scraping.collectors.hackernews import ITEM_URL
from scraping.collectors.search.base import SearchPage, SearchQuery, SearchSource
from scraping.collectors.search.syntax import written
from sentimatrix.search_syntax import ParsedQuery, parse_query

HITS_PER_PAGE = 50


def algolia_query(parsed: ParsedQuery) -> str:
    """``parsed`` in Algolia's advanced query syntax."""
    return written(parsed.terms, parsed.excluded)


def mention(hit: dict) -> CollectedItem | None:
    """A story or comment hit as an item; None when it has no text (a deleted comment)."""
    try:
        object_id = str(hit["objectID"])
        created = int(hit["created_at_i"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutChangedError("a Hacker News search hit has no id or date") from exc
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or hit.get("comment_text") is not None
    title = squash(hit.get("title") or "")
    text = html_to_text(hit.get("comment_text") if is_comment else hit.get("story_text"))
    if not text and not title:
        return None
    url = ITEM_URL.format(id=object_id)
    story_title = squash(hit.get("story_title") or "")
    return CollectedItem(
        platform_id=object_id,
        text=text or title,
        title="" if is_comment else title,
        author=str(hit.get("author") or ""),
        date=from_timestamp(created),
        url=url,
        parent_id=str(hit["parent_id"]) if is_comment and hit.get("parent_id") is not None else None,
        metadata={
            "type": "comment" if is_comment else "story",
            "source_url": url,
            **({"story_id": str(hit["story_id"])} if hit.get("story_id") is not None else {}),
            **({"story_title": story_title} if story_title else {}),
            **({"points": hit["points"]} if isinstance(hit.get("points"), int) else {}),
            **({"link": hit["url"]} if isinstance(hit.get("url"), str) and hit["url"] else {}),
        },
    )


class HackerNewsSearch(SearchSource):
    platform = Platform.HACKERNEWS.value

    def search(self, query: SearchQuery, ctx: FetchContext, since: str | None = None) -> Iterator[SearchPage]:
        q = algolia_query(parse_query(query.text))
        try:
            since_ts = int(since) if since else None
        except ValueError:
            since_ts = None
        params = {
            "query": q,
            "tags": "(story,comment)",
            "advancedSyntax": "true",
            "hitsPerPage": HITS_PER_PAGE,
        }
        if since_ts is not None:
            params["numericFilters"] = f"created_at_i>{since_ts}"
        url = f"{Collector.base_url('hackernews')}/search_by_date"
        searched = [f"Hacker News stories and comments matching {q}"]
        read, page = 0, 0
        while True:
            data = ctx.http.get_json(url, params={**params, "page": page})
            hits = data.get("hits") if isinstance(data, dict) else None
            if not isinstance(hits, list):
                raise LayoutChangedError("the Hacker News search answer has no hits")
            items: list[CollectedItem] = []
            newest = None
            for hit in hits:
                if not isinstance(hit, dict):
                    continue
                item = mention(hit)
                created = int(hit["created_at_i"])
                newest = max(newest or created, created)
                if item is not None:
                    items.append(item)
            read += len(items)
            pages = int(data.get("nbPages") or 0)
            page += 1
            done = not hits or page >= pages or read >= ctx.max_items
            yield SearchPage(
                items=items,
                next_cursor=None if done else str(page),
                reported_total=data.get("nbHits")
                if page == 1 and isinstance(data.get("nbHits"), int)
                else None,
                newest=str(newest) if newest is not None else None,
                searched=searched,
            )
            searched = []
            if done:
                return
