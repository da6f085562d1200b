"""YouTube search for a keyword monitor: the newest videos matching the query, then their comments.

``GET {youtube}/search?part=snippet&type=video&q=…&order=date&publishedAfter=…&relevanceLanguage=…``
finds the videos (newest first); the comments of each are read by the YouTube collector
(``commentThreads``, newest first), so a mention is mapped exactly as a video target's comment is.

A video's comments are read on the runs whose search finds it: the cursor moves past its
publication, so comments written on it later are left to a video target, which follows them.

Quota: a ``search`` call costs 100 units of the key's daily 10,000, a ``commentThreads`` page 1;
the caps below keep one run at about 100 + ``VIDEOS_PER_RUN`` units.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from projects.platforms import Platform
from scraping.collectors._dates import parse_date
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    TargetSpec,
)
from scraping.collectors.search.base import SearchPage, SearchQuery, SearchSource
from scraping.collectors.search.syntax import parse_query
from scraping.collectors.youtube import (
    ERROR_REASONS,
    MISSING_KEY,
    YOUTUBE_SITE,
    YouTubeCollector,
    api_error_message,
)
from sentimatrix.http import HttpStatusError, NotJSONError
from sentimatrix.timeutil import as_utc

#: Videos whose comments one run reads (the newest ones matching the query).
VIDEOS_PER_RUN = 10
#: Newest comments read per video (one ``commentThreads`` page).
COMMENTS_PER_VIDEO = 100
#: The API's largest ``maxResults`` for ``search``.
SEARCH_PAGE_SIZE = 50
#: A video whose comments cannot be read does not fail the whole search; these reasons skip it.
SKIPPED_VIDEO_MESSAGES = frozenset(
    ERROR_REASONS[reason] for reason in ("commentsDisabled", "videoNotFound", "forbidden")
)


def rfc3339(moment: datetime) -> str:
    """A time as the Data API takes it in ``publishedAfter`` (UTC, seconds, ``Z``)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


class YouTubeSearch(SearchSource):
    """Comments on the newest videos that match a query (see the module's docstring)."""

    platform = Platform.YOUTUBE
    credential_providers = ("youtube",)

    def context(self, item: CollectedItem) -> tuple[str, ...]:
        # A comment is found through its video: it answers a video about the query, and
        # rarely repeats the query itself.
        return (str(item.metadata.get("video_title") or ""),)

    def search(self, query: SearchQuery, ctx: FetchContext, since: str | None = None) -> Iterator[SearchPage]:
        """A page per video found, its comments newer than ``since`` newest first; ``newest`` is
        the time of the newest video or comment seen so far (the next run's ``publishedAfter``)."""
        try:
            yield from self._search(query, ctx, since)
        except NotJSONError as exc:
            raise LayoutChangedError(str(exc)) from exc

    def _search(self, query: SearchQuery, ctx: FetchContext, since: str | None) -> Iterator[SearchPage]:
        key = Collector.credential(ctx, "youtube", MISSING_KEY)
        text = parse_query(query.text).search_syntax()
        if not text:
            raise CollectorError("the keyword monitor's query has no words to search YouTube for")
        after = parse_date(since) if since else None
        before = ctx.http.requests_made
        videos = self._videos(ctx, key, text, query.language, after)
        asked = f'YouTube videos matching "{text}"'
        asked += f" (language {query.language})" if query.language else ""
        asked += f" published after {rfc3339(after)}" if after else ""
        newest = max([after, *(video["published"] for video in videos)], key=_sortable, default=None)
        header = [f"{asked}: {len(videos)} found, comments of each read (up to {COMMENTS_PER_VIDEO})"]
        if not videos:
            yield SearchPage(
                items=[], requests_made=ctx.http.requests_made - before, newest=_iso(newest), searched=header
            )
            return
        # Comments newer than the cursor only, read by the video collector with this run's caps.
        comment_ctx = replace(
            ctx, max_items=COMMENTS_PER_VIDEO, include_replies=False, date_from=_later(ctx.date_from, after)
        )
        collector = YouTubeCollector()
        for index, video in enumerate(videos):
            items, skipped = self._comments(collector, video, comment_ctx, after)
            newest = max([newest, *(item.date for item in items)], key=_sortable)
            searched = header if index == 0 else []
            if skipped:
                searched = [*searched, f"comments of video {video['id']} not read: {skipped}"]
            yield SearchPage(
                items=items,
                requests_made=ctx.http.requests_made - before,
                newest=_iso(newest),
                searched=searched,
            )
            before = ctx.http.requests_made

    def _videos(
        self, ctx: FetchContext, key: str, text: str, language: str, after: datetime | None
    ) -> list[dict]:
        """Up to ``VIDEOS_PER_RUN`` videos matching ``text``, newest first."""
        params = {
            "part": "snippet",
            "type": "video",
            "q": text,
            "order": "date",
            "maxResults": str(min(SEARCH_PAGE_SIZE, VIDEOS_PER_RUN)),
            "key": key,
        }
        if after:
            params["publishedAfter"] = rfc3339(after)
        if language:
            params["relevanceLanguage"] = language
        url = f"{Collector.base_url('youtube')}/search"
        videos: list[dict] = []
        token = None
        while len(videos) < VIDEOS_PER_RUN:
            data = _get(ctx, url, {**params, **({"pageToken": token} if token else {})})
            found = [_video(entry) for entry in _search_items(data)]
            videos.extend(video for video in found if video["id"] not in {v["id"] for v in videos})
            token = data.get("nextPageToken")
            if not token or not found:
                break
        return videos[:VIDEOS_PER_RUN]

    @staticmethod
    def _comments(
        collector: YouTubeCollector, video: dict, ctx: FetchContext, after: datetime | None
    ) -> tuple[list[CollectedItem], str]:
        """The video's comments newer than ``after``, and why they were not read ("" if they were)."""
        target = TargetSpec(
            platform=Platform.YOUTUBE,
            url=f"{YOUTUBE_SITE}/watch?v={video['id']}",
            platform_data={"video_id": video["id"]},
            options={"sort_by": "time"},
        )
        items: list[CollectedItem] = []
        try:
            for page in collector.pages(target, ctx):
                items.extend(page.items)
        except CollectorError as exc:
            if str(exc) not in SKIPPED_VIDEO_MESSAGES:
                raise
            return [], str(exc)
        fresh = [item for item in items if after is None or item.date is None or item.date > after]
        for item in fresh:
            item.metadata.update(video_id=video["id"], video_title=video["title"], source_url=item.url)
        return fresh[:COMMENTS_PER_VIDEO], ""


def _get(ctx: FetchContext, url: str, params: dict) -> Any:
    try:
        return ctx.http.get_json(url, params=params)
    except HttpStatusError as exc:
        raise CollectorError(api_error_message(exc)) from exc


def _search_items(data: Any) -> list:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise LayoutChangedError("the YouTube API answer is not a youtube#searchListResponse with items")
    return data["items"]


def _video(entry: Any) -> dict:
    """A search result as {id, title, published}; LayoutChangedError when it is not a video's."""
    try:
        video_id = str(entry["id"]["videoId"])
        snippet = entry["snippet"]
        published = parse_date(snippet["publishedAt"])
    except (KeyError, TypeError) as exc:
        raise LayoutChangedError(f"a YouTube search result lacks {exc}") from exc
    if published is None:
        raise LayoutChangedError(f"a YouTube search result has an unreadable date {snippet['publishedAt']!r}")
    return {"id": video_id, "title": str(snippet.get("title") or "").strip(), "published": published}


def _sortable(moment: datetime | None) -> datetime:
    return moment or datetime.min.replace(tzinfo=UTC)


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    return max(first, second, key=_sortable) if first or second else None


def _iso(moment: datetime | None) -> str | None:
    return rfc3339(moment) if moment else None
