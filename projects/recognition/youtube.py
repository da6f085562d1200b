"""YouTube videos.

Accepted, on www., m., music. and bare youtube.com, youtube-nocookie.com and youtu.be:

- ``/watch?v=ID`` with any other parameters (``t``, ``list``, ``index``, ``feature``, ``si``,
  ``pp``, ``ab_channel``, ``app=desktop``, ...), ``/watch/ID``
- ``youtu.be/ID`` (with ``?si=...&t=...``), ``/shorts/ID``, ``/embed/ID``, ``/live/ID``, ``/v/ID``, ``/e/ID``
- ``/attribution_link?u=/watch%3Fv%3DID...`` (the video link percent-encoded in ``u``)

Every form maps to ``https://www.youtube.com/watch?v=ID``. Refused with the reason: channels
(``/@handle``, ``/channel/``, ``/c/``, ``/user/``, legacy ``/name``), playlists, search, feeds,
hashtags, clips, YouTube Music albums and artists, the home page, and malformed video ids.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse

DOMAINS = ("youtube.com", "youtube-nocookie.com", "youtu.be")
HOSTS_SUBDOMAINS = ("", "www", "m", "music", "gaming")

VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIDEO_PATHS = ("shorts", "embed", "live", "v", "e", "watch")
# One-segment paths that are YouTube's own pages, not a legacy channel name.
_SITE_PAGES = frozenset(
    {"about", "account", "premium", "gaming", "kids", "music", "t", "howyoutubeworks", "creators",
     "ads", "signin", "logout", "upload", "paid_memberships", "reporthistory", "new"}
)  # fmt: skip

_NOT_A_VIDEO = {
    "": "this is the YouTube home page, not a video",
    "watch": "this YouTube link has no video ID (the v= parameter is missing)",
    "playlist": "this is a YouTube playlist, not a video",
    "results": "this is a YouTube search page, not a video",
    "feed": "this is a YouTube feed page, not a video",
    "hashtag": "this is a YouTube hashtag page, not a video",
    "clip": "this is a YouTube clip: open the full video and paste its link",
    "browse": "this is a YouTube Music album or artist page, not a video",
    "channel": "this is a YouTube channel, not a video",
    "c": "this is a YouTube channel, not a video",
    "user": "this is a YouTube channel, not a video",
}


def matches(url: ParsedURL) -> bool:
    for domain in DOMAINS:
        sub = url.subdomain_of(domain)
        if sub is not None:
            return sub in HOSTS_SUBDOMAINS
    return False


def _candidate(url: ParsedURL) -> str | None:
    segments = url.segments
    if url.subdomain_of("youtu.be") is not None:
        # Old share buttons glued parameters to the id: youtu.be/ID&feature=share.
        return segments[0].split("&", 1)[0] if segments else None
    first = segments[0].lower() if segments else ""
    if first == "watch" and url.param("v") is not None:
        return url.param("v")
    if first in _VIDEO_PATHS and len(segments) > 1:
        return segments[1]
    if first == "attribution_link" and url.param("u"):
        inner = urlsplit(url.param("u") or "")
        values = parse_qs(inner.query).get("v")
        return values[0] if values else None
    return None


def _not_a_video(url: ParsedURL) -> str:
    segments = url.segments
    first = segments[0].lower() if segments else ""
    if first in ("", "watch") and url.param("list"):
        first = "playlist"
    elif first.startswith("@"):
        first = "channel"
    if first in _NOT_A_VIDEO:
        return _NOT_A_VIDEO[first]
    if len(segments) <= 2 and first not in _SITE_PAGES and first not in _VIDEO_PATHS:
        return "this looks like a YouTube channel, not a video"
    return "no video ID in this YouTube URL"


def recognize(url: ParsedURL) -> Recognition:
    """A YouTube video target, or ``UnrecognizedURL`` saying what kind of page it is."""
    candidate = _candidate(url)
    if not candidate:
        raise refuse(_not_a_video(url), Platform.YOUTUBE)
    if not VIDEO_ID.match(candidate):
        raise refuse(
            f"'{candidate}' is not a valid YouTube video ID: it is 11 letters, digits, '-' or '_', "
            "like dQw4w9WgXcQ",
            Platform.YOUTUBE,
        )
    return Recognition(
        platform=Platform.YOUTUBE,
        detected_type=DetectedType.VIDEO,
        platform_data={"video_id": candidate},
        canonical_url=f"https://www.youtube.com/watch?v={candidate}",
        label=f"YouTube video {candidate}",
        default_options={"sort_by": "time"},
        url=url.url,
    )
