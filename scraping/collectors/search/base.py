"""What every search source offers the keyword monitor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module

from projects.platforms import Platform
from scraping.collectors.base import CollectedItem, CollectorError, FetchContext, Page


@dataclass(frozen=True)
class SearchQuery:
    """A monitor's question: the query in the explorer's search syntax (words, "phrases",
    -exclusions), the language wanted ("" for any) and, for Mastodon, the instances to ask."""

    text: str
    language: str = ""
    instances: tuple[str, ...] = ()


@dataclass
class SearchPage(Page):
    """A page of mentions. ``newest`` is the cursor to store once the run has read everything
    new (the platform's own "since" value: a timestamp, an id ...); None when the page says
    nothing about it."""

    newest: str | None = None
    #: What was asked, for the coverage record ("r/all search for ...", "#tag on mastodon.social").
    searched: list[str] = field(default_factory=list)


class SearchSource(ABC):
    """One platform's search. Items are mentions newer than ``since`` (all recent ones when
    ``since`` is None), newest first, each with a ``platform_id`` unique on the platform and
    ``metadata["source_url"]`` when it has one. Errors are :class:`CollectorError`s with a
    message the user can act on (a rate limit answer is ``RateLimitedError`` from the HTTP
    client, as for every collector)."""

    platform: str = ""
    credential_providers: tuple[str, ...] = ()

    @abstractmethod
    def search(self, query: SearchQuery, ctx: FetchContext, since: str | None = None) -> Iterator[SearchPage]:
        """Pages of mentions of ``query`` newer than ``since``."""

    def context(self, item: CollectedItem) -> tuple[str, ...]:
        """Texts besides the mention's own in which the monitor may find the query: where the
        platform matched the query on what the mention answers (a video's title), not on the
        mention itself."""
        return ()


#: Platform -> "module:Class" of its search source.
SEARCH_SOURCES: dict[str, str] = {
    Platform.REDDIT: "scraping.collectors.search.reddit:RedditSearch",
    Platform.HACKERNEWS: "scraping.collectors.search.hackernews:HackerNewsSearch",
    Platform.YOUTUBE: "scraping.collectors.search.youtube:YouTubeSearch",
    Platform.MASTODON: "scraping.collectors.search.mastodon:MastodonSearch",
    Platform.BLUESKY: "scraping.collectors.search.bluesky:BlueskySearch",
}


def search_source(platform: str) -> SearchSource:
    """A new search source for ``platform``; ``CollectorError`` when it has none."""
    try:
        module_name, class_name = SEARCH_SOURCES[platform].split(":")
    except KeyError:
        raise CollectorError(f"{platform!r} cannot be searched by a keyword monitor") from None
    return getattr(import_module(module_name), class_name)()
