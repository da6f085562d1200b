"""One keyword monitor over all five search platforms, served on one local server: the Reddit and
Hacker News answers of :mod:`tests.monitor_playback` and the YouTube, Mastodon and Bluesky ones of
:mod:`tests.search_playback`, all made to mention :data:`QUERY`, with one Bluesky post that
cross-posts a Mastodon status word for word. Shared by the end-to-end test and the bench.

``count=`` (the bench) serves that many mentions a platform, up to what one run of each reads
(YouTube ``VIDEOS_PER_RUN`` videos of ``COMMENTS_PER_VIDEO`` comments, Mastodon
``PAGES_PER_INSTANCE`` pages of one instance, Bluesky ``PAGES_PER_RUN`` pages): the constructed
mentions first, then copies with fresh ids and distinct words (neither the same mention nor a
cross-post of another).
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass, field
from datetime import timedelta

from pytest_httpserver import HTTPServer

from accounts import vault
from projects.models import Target
from projects.services.monitors import MonitorSpec, add_monitor
from scraping.collectors._text import html_to_text
from scraping.collectors.search.bluesky import PAGE_SIZE as BLUESKY_PAGE
from scraping.collectors.search.bluesky import PAGES_PER_RUN
from scraping.collectors.search.mastodon import PAGE_SIZE as MASTODON_PAGE
from scraping.collectors.search.mastodon import PAGES_PER_INSTANCE
from scraping.collectors.search.youtube import COMMENTS_PER_VIDEO, VIDEOS_PER_RUN
from tests.monitor_playback import SearchPlayback, serve_search
from tests.playback import API_KEY, json_response, load, use_server
from tests.search_playback import (
    BLUESKY_APP_PASSWORD,
    BLUESKY_HANDLE,
    Recorded,
    constructed,
    moment,
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
    mastodon_statuses: list[dict] = field(default_factory=list)
    #: With ``count``: each video's comment texts, in the order served (newest first).
    youtube_comments: dict[str, list[str]] = field(default_factory=dict)


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
    reddit_hn = serve_search(settings, httpserver, count=count, page_size=3 if count is None else 100)
    _name_it(reddit_hn)
    base = use_server(settings, httpserver, "youtube", "bluesky", "bluesky_pds")
    comments: dict[str, list[str]] = {}
    if count is None:
        youtube = serve_youtube_search(httpserver)
    else:
        youtube, comments = serve_youtube_volume(httpserver, count)
    statuses = constructed("constructed_mastodon_tag_timeline.json")
    if count is not None:
        statuses = _more_statuses(statuses, min(count, PAGES_PER_INSTANCE * MASTODON_PAGE))
    mastodon = serve_mastodon(httpserver, statuses, search="open", page_size=MASTODON_PAGE)
    posts = copy.deepcopy(constructed("constructed_bluesky_search_posts.json")["posts"])
    original = next(s for s in statuses if s["uri"] == CROSS_POSTED)
    posts.insert(0, cross_post(original))
    if count is not None:
        posts = _more_posts(posts, min(count, PAGES_PER_RUN * BLUESKY_PAGE))
    bluesky = serve_bluesky(httpserver, posts, needs_account=True, page_size=BLUESKY_PAGE)
    return AllFive(reddit_hn, youtube, mastodon, bluesky, base, posts, statuses, comments)


def serve_youtube_volume(httpserver: HTTPServer, count: int) -> tuple[Recorded, dict[str, list[str]]]:
    """``VIDEOS_PER_RUN`` copies of the first constructed video, each with an equal share of
    ``count`` comments (at most ``COMMENTS_PER_VIDEO``): the recorded threads with fresh ids and
    words. The texts can be changed in the returned dict before a run."""
    template = constructed("constructed_youtube_search.json")["items"][0]
    threads = load("youtube", "pyyoutube_comment_threads_by_video_paged_1.json")["items"]
    per_video = max(1, min(COMMENTS_PER_VIDEO, count // VIDEOS_PER_RUN))
    videos, texts = [], {}
    for n in range(VIDEOS_PER_RUN):
        video = copy.deepcopy(template)
        video["id"]["videoId"] = video_id = f"benchvideo{n:02d}"
        published = moment(video["snippet"]["publishedAt"]) - timedelta(days=n)
        video["snippet"]["publishedAt"] = published.isoformat().replace("+00:00", "Z")
        videos.append(video)
        texts[video_id] = [
            f"video {n} comment {k} word{n * 1000 + k} "
            + threads[k % len(threads)]["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
            for k in range(per_video)
        ]
    recorded = Recorded()

    def search(request):
        params = recorded.record(request)
        after = params.get("publishedAfter")
        found = [v for v in videos if not after or moment(v["snippet"]["publishedAt"]) >= moment(after)]
        return json_response({"kind": "youtube#searchListResponse", "items": found})

    def comment_threads(request):
        video_id = recorded.record(request)["videoId"]
        page = []
        for k, text in enumerate(texts[video_id]):
            thread = copy.deepcopy(threads[k % len(threads)])
            top = thread["snippet"]["topLevelComment"]
            thread["id"] = top["id"] = f"{video_id}-{k:03d}"
            top["snippet"]["textOriginal"] = top["snippet"]["textDisplay"] = text
            page.append(thread)
        return json_response({"kind": "youtube#commentThreadListResponse", "items": page})

    httpserver.expect_request("/search", method="GET").respond_with_handler(search)
    httpserver.expect_request("/commentThreads", method="GET").respond_with_handler(comment_threads)
    return recorded, texts


def _more_statuses(statuses: list[dict], count: int) -> list[dict]:
    """The constructed statuses, then copies (older, fresh snowflakes and uris) up to ``count``."""
    own = [s for s in statuses if not s.get("reblog")]
    out = list(statuses)
    n = 0
    while len(out) < count:
        status = copy.deepcopy(own[n % len(own)])
        n += 1
        status["id"] = str(int(own[-1]["id"]) - (n << 22))
        status["uri"] = status["url"] = f"https://mastodon.example/users/bench/statuses/{n}"
        status["created_at"] = (moment(own[-1]["created_at"]) - timedelta(minutes=n)).isoformat()
        status["content"] = f"<p>status {n} word{n * 13} </p>" + status["content"]
        out.append(status)
    return out


def _more_posts(posts: list[dict], count: int) -> list[dict]:
    """The posts, then copies (older, fresh uris and words) up to ``count``."""
    out = list(posts)
    n = 0
    while len(out) < count:
        post = copy.deepcopy(posts[1 + n % (len(posts) - 1)])  # not the cross-post again
        n += 1
        post["uri"] = f"{post['uri']}-{n}"
        shifted = moment("2026-11-19T00:00:00Z") - timedelta(minutes=n)
        post["record"]["createdAt"] = post["indexedAt"] = shifted.isoformat().replace("+00:00", "Z")
        post["record"]["text"] = f"post {n} word{n * 17} " + post["record"]["text"]
        out.append(post)
    return out


def set_text(served: AllFive, platform: str, index: int, text: str) -> None:
    """Make the ``index``-th mention served on ``platform`` (YouTube: across its videos, in
    order) say ``text``: a constructed cross-post."""
    if platform == "hackernews":
        hit = served.reddit_hn.hn_hits[index]
        hit.pop("story_text", None)
        hit.pop("title", None)
        hit["_tags"] = ["comment"]
        hit["comment_text"] = text
    elif platform == "youtube":
        video_id = sorted(served.youtube_comments)[index // len(next(iter(served.youtube_comments.values())))]
        texts = served.youtube_comments[video_id]
        texts[index % len(texts)] = text
    elif platform == "mastodon":
        served.mastodon_statuses[index]["content"] = f"<p>{html.escape(text)}</p>"
    elif platform == "bluesky":
        served.bluesky_posts[index]["record"]["text"] = text
    else:
        raise ValueError(platform)


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
