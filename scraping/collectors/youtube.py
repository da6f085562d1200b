"""YouTube comments on one video, through the YouTube Data API v3.

``GET {youtube}/commentThreads?part=snippet,replies&videoId=…&order=time&maxResults=100&key=…``
pages through the top-level comments, newest first. With ``ctx.include_replies`` the replies
of each thread come along: the first few arrive inside the thread, and when a thread has more
than that, ``GET {youtube}/comments?part=snippet&parentId=…`` pages through all of them.

The API key is the user's, from the vault (``credentials["youtube"]``). Every call costs one
unit of the key's daily quota (10,000 by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from projects.platforms import SORT_ORDERS, Platform
from scraping.collectors._dates import in_window, older_than_window, parse_date
from scraping.collectors._text import html_to_text
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)
from sentimatrix.http import HttpStatusError, NotJSONError, decode_json

YOUTUBE_SITE = "https://www.youtube.com"
PAGE_SIZE = 100  # the API's maximum for both endpoints
ORDERS = SORT_ORDERS[Platform.YOUTUBE]

MISSING_KEY = (
    "reading YouTube comments and searching YouTube need a YouTube Data API key: add one on the API keys page under "
    '"youtube" (Google Cloud console, YouTube Data API v3)'
)
# API error reasons -> what the user can do about them.
ERROR_REASONS = {
    "commentsDisabled": "comments are turned off on this video",
    "videoNotFound": "YouTube has no video with this id (deleted, private or a wrong id)",
    "quotaExceeded": "the YouTube API key has used up its daily quota; try again tomorrow",
    "dailyLimitExceeded": "the YouTube API key has used up its daily quota; try again tomorrow",
    "keyInvalid": 'YouTube refused the API key stored on the API keys page under "youtube"; check it',
    "keyExpired": 'the YouTube API key stored on the API keys page under "youtube" has expired',
    "accessNotConfigured": "the YouTube Data API v3 is not enabled for the key's Google Cloud project",
    "forbidden": "YouTube refused access to this video's comments",
    "processingFailure": "YouTube could not process the comment request; try again later",
}


def map_comment(comment: dict, video_id: str, *, reply_count: int | None = None) -> CollectedItem:
    """A ``youtube#comment`` resource as a collected item."""
    try:
        comment_id = str(comment["id"])
        snippet = comment["snippet"]
        published = parse_date(snippet["publishedAt"])
    except (KeyError, TypeError) as exc:
        raise LayoutChangedError(f"a YouTube comment lacks {exc}") from exc
    # textOriginal is what the author typed; textDisplay may be HTML (textFormat=html).
    text = snippet.get("textOriginal")
    if text is None:
        text = html_to_text(snippet.get("textDisplay"))
    video = str(snippet.get("videoId") or video_id)
    channel = snippet.get("authorChannelId")
    metadata = {
        "like_count": snippet.get("likeCount"),
        "reply_count": reply_count,
        "author_channel_id": channel.get("value") if isinstance(channel, dict) else None,
        "author_channel_url": snippet.get("authorChannelUrl"),
        "video_id": video,
        "updated_at": _iso(snippet.get("updatedAt")),
    }
    return CollectedItem(
        platform_id=comment_id,
        text=str(text).strip(),
        author=str(snippet.get("authorDisplayName") or ""),
        date=published,
        url=f"{YOUTUBE_SITE}/watch?v={quote(video)}&lc={quote(comment_id)}",
        parent_id=snippet.get("parentId") or None,
        metadata={key: value for key, value in metadata.items() if value is not None},
    )


def _iso(value: Any) -> str | None:
    moment = parse_date(value)
    return moment.isoformat() if moment else None


class YouTubeCollector(Collector):
    platform = Platform.YOUTUBE
    credential_providers = ("youtube",)

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """One page per ``commentThreads`` page, with its threads' replies when asked for."""
        key = self.credential(ctx, "youtube", MISSING_KEY)
        video_id = self.identifier(
            target, "video_id", "this YouTube target has no video id; re-add it from the video's URL"
        )
        order = str(target.options.get("sort_by") or "time").lower()
        if order not in ORDERS:
            raise CollectorError(f"YouTube comment order must be one of {', '.join(ORDERS)}, not {order!r}")
        base = self.base_url("youtube")
        params = {
            "part": "snippet,replies" if ctx.include_replies else "snippet",
            "videoId": video_id,
            "order": order,
            "maxResults": str(PAGE_SIZE),
            "textFormat": "plainText",
            "key": key,
        }
        token = cursor
        collected = 0
        while True:
            before = ctx.http.requests_made
            data = self._get(
                ctx, f"{base}/commentThreads", {**params, **({"pageToken": token} if token else {})}
            )
            threads = _items(data, "youtube#commentThreadListResponse")
            items: list[CollectedItem] = []
            passed_window = False
            for thread in threads:
                top, replies = self._thread(thread, video_id)
                passed_window = passed_window or (order == "time" and older_than_window(top.date, ctx))
                items.append(top)
                if ctx.include_replies and collected + len(items) < ctx.max_items:
                    items.extend(self._replies(ctx, thread, top, replies, base=base, key=key))
            collected += len(items)
            token = data.get("nextPageToken") or None
            stop = not token or not threads or passed_window or collected >= ctx.max_items
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=None if stop else token,
                requests_made=ctx.http.requests_made - before,
            )
            if stop:
                return

    def fetch_name(self, target: TargetSpec, ctx: FetchContext) -> str:
        """The video's title from the API's ``videos`` endpoint (comment threads have none)."""
        key = (ctx.credentials.get("youtube") or "").strip()
        video_id = str(target.platform_data.get("video_id") or "").strip()
        if not key or not video_id:
            return ""
        data = self._get(
            ctx, f"{self.base_url('youtube')}/videos", {"part": "snippet", "id": video_id, "key": key}
        )
        videos = data.get("items") if isinstance(data, dict) else None
        snippet = (videos[0].get("snippet") or {}) if videos and isinstance(videos[0], dict) else {}
        return str(snippet.get("title") or "").strip()

    @staticmethod
    def _thread(thread: dict, video_id: str) -> tuple[CollectedItem, list[dict]]:
        try:
            snippet = thread["snippet"]
            top = snippet["topLevelComment"]
        except (KeyError, TypeError) as exc:
            raise LayoutChangedError(f"a YouTube comment thread lacks {exc}") from exc
        count = snippet.get("totalReplyCount")
        inline = (thread.get("replies") or {}).get("comments") or []
        return map_comment(top, video_id, reply_count=count if isinstance(count, int) else None), inline

    def _replies(
        self, ctx: FetchContext, thread: dict, top: CollectedItem, inline: list[dict], *, base: str, key: str
    ) -> list[CollectedItem]:
        total = thread["snippet"].get("totalReplyCount") or 0
        if total <= len(inline):
            # The thread already carries all its replies: no call needed.
            return [self._reply(reply, top) for reply in inline]
        replies: list[CollectedItem] = []
        params = {
            "part": "snippet",
            "parentId": top.platform_id,
            "maxResults": str(PAGE_SIZE),
            "textFormat": "plainText",
            "key": key,
        }
        token = None
        while True:
            data = self._get(ctx, f"{base}/comments", {**params, **({"pageToken": token} if token else {})})
            replies.extend(self._reply(reply, top) for reply in _items(data, "youtube#commentListResponse"))
            token = data.get("nextPageToken")
            if not token or len(replies) >= ctx.max_items:
                return replies

    @staticmethod
    def _reply(reply: dict, top: CollectedItem) -> CollectedItem:
        item = map_comment(reply, top.metadata.get("video_id", ""))
        item.parent_id = item.parent_id or top.platform_id
        return item

    @staticmethod
    def _get(ctx: FetchContext, url: str, params: dict) -> Any:
        try:
            return ctx.http.get_json(url, params=params)
        except HttpStatusError as exc:
            raise CollectorError(api_error_message(exc)) from exc


def api_error_message(exc: HttpStatusError) -> str:
    """What the API's error payload says, in words the user can act on."""
    try:
        error = decode_json(exc.response).get("error") or {}
    except (NotJSONError, AttributeError):
        return str(exc)
    reasons = [str(entry.get("reason")) for entry in error.get("errors") or [] if isinstance(entry, dict)]
    for reason in reasons:
        if reason in ERROR_REASONS:
            return ERROR_REASONS[reason]
    detail = error.get("message") or ", ".join(reasons)
    return f"{exc} ({detail})" if detail else str(exc)


def _items(data: Any, kind: str) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise LayoutChangedError(f"the YouTube API answer is not a {kind} with items")
    return data["items"]
