"""Hacker News stories.

Accepted: ``news.ycombinator.com/item?id=NUMBER`` (with or without www, with a
``#comment`` fragment or extra parameters). Refused with the reason: user pages and
their submissions and comments, story lists (front page, newest, ask, show, jobs,
``from?site=``), links without an item id and malformed ids.
"""

from __future__ import annotations

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse

HOSTS = ("news.ycombinator.com", "www.news.ycombinator.com")

_NOT_A_STORY = {
    "user": "this is a Hacker News user page, not a story",
    "submitted": "this is a list of a Hacker News user's submissions, not a story",
    "threads": "this is a list of a Hacker News user's comments, not a story",
    "favorites": "this is a Hacker News user's favourites, not a story",
    "from": "this is a list of Hacker News stories from one site, not a story",
}
_LISTS = ("news", "newest", "front", "best", "ask", "show", "jobs", "past", "newcomments", "active")


def matches(url: ParsedURL) -> bool:
    return url.host in HOSTS


def recognize(url: ParsedURL) -> Recognition:
    """A Hacker News story target, or ``UnrecognizedURL`` saying what kind of page it is."""
    page = url.segments[0].lower() if url.segments else ""
    if page != "item":
        if page in _NOT_A_STORY:
            raise refuse(_NOT_A_STORY[page], Platform.HACKERNEWS)
        if not page or page in _LISTS:
            raise refuse("this is a Hacker News story list, not a story", Platform.HACKERNEWS)
        raise refuse(
            "no story in this Hacker News URL: paste a news.ycombinator.com/item?id= link",
            Platform.HACKERNEWS,
        )
    raw = (url.param("id") or "").strip()
    if not raw:
        raise refuse(
            "this Hacker News link has no item ID (the id= parameter is missing)", Platform.HACKERNEWS
        )
    if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
        raise refuse(
            f"'{raw}' is not a valid Hacker News item ID: it is a number, like 8863", Platform.HACKERNEWS
        )
    item_id = int(raw)
    return Recognition(
        platform=Platform.HACKERNEWS,
        detected_type=DetectedType.STORY,
        platform_data={"item_id": item_id},
        canonical_url=f"https://news.ycombinator.com/item?id={item_id}",
        label=f"Hacker News story {item_id}",
        default_options={},
        url=url.url,
    )
