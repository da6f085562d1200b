"""Mentions per second read by the keyword monitor's search sources from a local server.

    .venv/bin/python bench/search_rate.py [--rounds 3]

Each source reads one full run at its caps from constructed answers replicated with fresh ids
(rate-limit delay 0): YouTube ``VIDEOS_PER_RUN`` videos of ``COMMENTS_PER_VIDEO`` comments
(the recorded threads), Bluesky ``PAGES_PER_RUN`` pages of 100 posts, Mastodon three instances of
``PAGES_PER_INSTANCE`` pages of 40 statuses that share half of their statuses (so the figure
includes the de-duplication by status uri, and the share removed is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import time
from datetime import timedelta

from common import embedded_django, local_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with embedded_django("search", migrate=False), contextlib.ExitStack() as stack:
        run([stack.enter_context(local_server()) for _ in range(4)], args.rounds)


def timed(label: str, rounds: int, once) -> None:
    best = None
    for _ in range(rounds):
        started = time.perf_counter()
        found, requests = once()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(
        f"{label:<34} {found:>5} mentions, {requests:>3} requests, best {best:.2f}s = {found / best:,.0f}/s"
    )


def run(servers, rounds: int) -> None:
    from django.conf import settings

    from scraping.collectors.base import FetchContext
    from scraping.collectors.search.base import SearchQuery
    from scraping.collectors.search.bluesky import PAGE_SIZE as BLUESKY_PAGE
    from scraping.collectors.search.bluesky import PAGES_PER_RUN, BlueskySearch
    from scraping.collectors.search.mastodon import (
        PAGE_SIZE as MASTODON_PAGE,
    )
    from scraping.collectors.search.mastodon import (
        PAGES_PER_INSTANCE,
        MastodonSearch,
    )
    from scraping.collectors.search.youtube import COMMENTS_PER_VIDEO, VIDEOS_PER_RUN, YouTubeSearch
    from tests.playback import API_KEY, json_response, load, playback_client
    from tests.search_playback import constructed, moment, serve_bluesky, serve_mastodon

    first, *instances = servers
    base = first.url_for("").rstrip("/")
    settings.PLATFORM_BASE_URLS = {**settings.PLATFORM_BASE_URLS, "youtube": base, "bluesky": base}

    # YouTube: the constructed videos renumbered up to the cap, each with the recorded threads.
    template = constructed("constructed_youtube_search.json")["items"][0]
    videos = []
    for n in range(VIDEOS_PER_RUN):
        video = copy.deepcopy(template)
        video["id"]["videoId"] = f"benchvideo{n:02d}"
        videos.append(video)
    threads = load("youtube", "pyyoutube_comment_threads_by_video_paged_1.json")["items"]

    def comment_threads(request):
        video_id = request.args["videoId"]
        page = []
        for n in range(COMMENTS_PER_VIDEO):
            thread = copy.deepcopy(threads[n % len(threads)])
            thread["id"] = thread["snippet"]["topLevelComment"]["id"] = f"{video_id}-{n:03d}"
            page.append(thread)
        return json_response({"kind": "youtube#commentThreadListResponse", "items": page})

    first.expect_request("/search").respond_with_json({"kind": "youtube#searchListResponse", "items": videos})
    first.expect_request("/commentThreads").respond_with_handler(comment_threads)

    def youtube():
        ctx = FetchContext(http=playback_client(), credentials={"youtube": API_KEY})
        pages = list(YouTubeSearch().search(SearchQuery("Nimbus Notes"), ctx))
        return sum(len(page.items) for page in pages), ctx.http.requests_made

    timed("YouTube (videos, then comments)", rounds, youtube)

    # Bluesky: the constructed posts repeated up to a full run.
    posts = constructed("constructed_bluesky_search_posts.json")["posts"][:5]
    many = []
    for n in range(PAGES_PER_RUN * BLUESKY_PAGE):
        post = copy.deepcopy(posts[n % len(posts)])
        post["uri"] = f"{post['uri']}-{n}"
        shifted = moment(post["record"]["createdAt"]) - timedelta(minutes=n)
        post["record"]["createdAt"] = post["indexedAt"] = shifted.isoformat().replace("+00:00", "Z")
        many.append(post)
    serve_bluesky(first, many)

    def bluesky():
        ctx = FetchContext(http=playback_client())
        pages = list(BlueskySearch().search(SearchQuery("Nimbus Notes"), ctx))
        return sum(len(page.items) for page in pages), ctx.http.requests_made

    timed("Bluesky (searchPosts)", rounds, bluesky)

    # Mastodon: three instances of a full run each; each shares half its statuses with the next.
    statuses = [s for s in constructed("constructed_mastodon_tag_timeline.json") if not s.get("reblog")]
    per_instance = PAGES_PER_INSTANCE * MASTODON_PAGE
    pool = []
    for n in range(per_instance * 2):
        status = copy.deepcopy(statuses[n % len(statuses)])
        status["id"] = str(int(status["id"]) - (n << 22))
        status["uri"] = f"https://mastodon.example/users/bench/statuses/{n}"
        status["created_at"] = (moment(status["created_at"]) - timedelta(seconds=64 * n)).isoformat()
        pool.append(status)
    half = per_instance // 2
    for index, server in enumerate(instances):
        own = pool[index * half : index * half + per_instance]
        serve_mastodon(server, [dict(s, id=str(int(s["id"]) + index)) for s in own])
    names = tuple(server.url_for("").rstrip("/") for server in instances)
    seen_total = sum(len(pool[i * half : i * half + per_instance]) for i in range(len(instances)))

    def mastodon():
        ctx = FetchContext(http=playback_client())
        pages = list(MastodonSearch().search(SearchQuery("#nimbusnotes", instances=names), ctx))
        return sum(len(page.items) for page in pages), ctx.http.requests_made

    timed("Mastodon (3 instances, tag)", rounds, mastodon)
    found, _requests = mastodon()
    removed = seen_total - found
    print(
        f"Mastodon duplicates removed: {removed} of {seen_total} statuses read = {removed / seen_total:.0%}"
    )


if __name__ == "__main__":
    main()
