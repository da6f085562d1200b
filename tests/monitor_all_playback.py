"""One keyword monitor over all five search platforms, served on one local server: the Reddit and
Hacker News answers of :mod:`tests.monitor_playback` and the YouTube, Mastodon and Bluesky ones of
:mod:`tests.search_playback`, all made to mention :data:`QUERY`, with one Bluesky post that
cross-posts a Mastodon status word for word. Shared by the end-to-end test and the bench.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pytest_httpserver import HTTPServer

from accounts import vault
from projects.models import Target
from projects.services.monitors import MonitorSpec, add_monitor
from scraping.collectors._text import html_to_text
from tests.monitor_playback import SearchPlayback, serve_search
from tests.playback import API_KEY, use_server
from tests.search_playback import (
    BLUESKY_APP_PASSWORD,
    BLUESKY_HANDLE,
    Recorded,
    constructed,
    serve_bluesky,
    serve_mastodon,
    serve_youtube_search,
)

QUERY = "nimbus notes -refund"
PLATFORMS = ("reddit", "hackernews", "youtube", "mastodon", "bluesky")
#: The Mastodon status a Bluesky post repeats word for word (a cross-post, kept once).
CROSS_POSTED = "https://mastodon.example/users/tom/statuses/117646393360384003"
CROSS_POST_URI = "at://did:plc:tomexample0000000000000/app.bsky.feed.post/3lcrosspost01"
NAMED = "Nimbus Notes: "


@dataclass
class AllFive:
    """What each platform serves and was asked."""

    reddit_hn: SearchPlayback
    youtube: Recorded
    mastodon: Recorded
    bluesky: Recorded
    instance: str
    bluesky_posts: list[dict]


def _name_it(served: SearchPlayback) -> None:
    """Reddit's and Hacker News' constructed mentions name the product (their cross-post stays one)."""
    for child in served.reddit_posts + served.reddit_comments:
        data = child["data"]
        for key in ("title", "selftext", "body"):
            if data.get(key):
                data[key] = NAMED + data[key]
    for hit in served.hn_hits:
        for key in ("title", "story_text", "comment_text"):
            if hit.get(key):
                hit[key] = NAMED + hit[key]


def cross_post(status: dict, *, uri: str = CROSS_POST_URI, handle: str = "tom.bsky.social") -> dict:
    """A Bluesky post saying what ``status`` says, a little later."""
    text = html_to_text(status["content"])
    created = status["created_at"].replace(".250Z", ".900Z")
    return {
        "uri": uri,
        "cid": "bafyreicrosspost",
        "author": {"did": uri.split("/")[2], "handle": handle, "displayName": "Tom"},
        "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": created, "langs": ["en"]},
        "indexedAt": created,
        "likeCount": 1,
        "repostCount": 0,
        "replyCount": 0,
        "quoteCount": 0,
    }


def serve_all_five(settings, httpserver: HTTPServer, *, count: int | None = None) -> AllFive:
    """Every platform of a monitor on ``httpserver`` (Mastodon as an instance at its address)."""
    settings.SCRAPING_ALLOW_LOOPBACK = True
    reddit_hn = serve_search(settings, httpserver, count=count)
    _name_it(reddit_hn)
    base = use_server(settings, httpserver, "youtube", "bluesky", "bluesky_pds")
    youtube = serve_youtube_search(httpserver)
    statuses = constructed("constructed_mastodon_tag_timeline.json")
    mastodon = serve_mastodon(httpserver, statuses, search="open")
    posts = copy.deepcopy(constructed("constructed_bluesky_search_posts.json")["posts"])
    original = next(s for s in statuses if s["uri"] == CROSS_POSTED)
    posts.insert(0, cross_post(original))
    bluesky = serve_bluesky(httpserver, posts, needs_account=True)
    return AllFive(reddit_hn, youtube, mastodon, bluesky, base, posts)


def store_credentials(user) -> None:
    """The YouTube key and the Bluesky app password in the user's vault, as the API keys page stores them."""
    vault.store_key(user, provider="youtube", name="YouTube", plaintext=API_KEY)
    vault.store_key(
        user, provider="bluesky", name="Bluesky", plaintext=f"{BLUESKY_HANDLE}:{BLUESKY_APP_PASSWORD}"
    )


def add_all_five(project, served: AllFive, *, platforms=PLATFORMS, max_results: int | None = None) -> Target:
    """The monitor of :data:`QUERY` on ``platforms``, Mastodon asked at the local instance (an
    address the form refuses, so the spec is written out)."""
    spec = MonitorSpec(
        query=QUERY,
        platforms=tuple(platforms),
        instances=(served.instance,) if "mastodon" in platforms else (),
        max_results=max_results,
    )
    return add_monitor(project, spec)
