"""Constructed Reddit and Hacker News search answers (tests/fixtures/constructed/constructed_*) served
on a local server the way the platforms page them, for the keyword monitor's tests and bench.

``count=`` replicates the mentions with fresh ids and distinct words (so they are neither the
same mention nor a cross-post of each other) up to the number asked for, for benchmarks.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.playback import json_response, use_server

DATA = Path(__file__).parent / "fixtures" / "constructed"
QUERY = "battery -refund"
#: Of the constructed mentions, what a monitor of QUERY keeps: Reddit r1, r2, r4 (r3 says
#: "refund", r5 only "batteries"); Hacker News 9001 and 9002 (9003 is r4 cross-posted, 9004
#: says only "batteries").
KEPT = {
    "reddit": ["reddit:t3_r1", "reddit:t3_r2", "reddit:t3_r4"],
    "hackernews": ["hackernews:9001", "hackernews:9002"],
}
NEWEST = {"reddit": "1764899900:t3_r1", "hackernews": "1764899950"}


def load(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@dataclass
class SearchPlayback:
    """What is served, and the requests each platform received."""

    reddit_posts: list[dict]
    reddit_comments: list[dict]
    hn_hits: list[dict]
    page_size: int = 3
    requests: dict[str, list[dict]] = field(default_factory=lambda: {"reddit": [], "hackernews": []})


def _fresh(items: list[dict], count: int | None, renew) -> list[dict]:
    if count is None or count <= len(items):
        return list(items)
    out = list(items)
    k = 0
    while len(out) < count:
        k += 1
        for item in items[: count - len(out)]:
            out.append(renew(copy.deepcopy(item), k))
    return out


def _renew_reddit(child: dict, k: int) -> dict:
    data = child["data"]
    data["name"] = f"{data['name']}x{k}"
    data["permalink"] = data["permalink"].rstrip("/") + f"_{k}/"
    data["created_utc"] -= 1000 * k
    data["selftext" if "selftext" in data else "body"] = f"copy {k} battery {k * 7} words apart " + data.get(
        "selftext", data.get("body", "")
    )
    return child


def _renew_hit(hit: dict, k: int) -> dict:
    hit["objectID"] = f"{hit['objectID']}{k:04d}"
    hit["created_at_i"] -= 1000 * k
    key = "story_text" if "story_text" in hit else "comment_text"
    hit[key] = f"copy {k} battery {k * 11} other words " + (hit.get(key) or "")
    return hit


def serve_search(
    settings, httpserver: HTTPServer, *, count: int | None = None, page_size: int = 3
) -> SearchPlayback:
    """Serve Reddit's ``/search.json`` (``after`` paging, ``type=comment`` for comments) and
    Algolia's ``/search_by_date`` (``page`` paging, ``numericFilters=created_at_i>N``)."""
    use_server(settings, httpserver, "reddit", "hackernews")
    posts = load("constructed_reddit_search_page1.json")["data"]["children"]
    posts += load("constructed_reddit_search_page2.json")["data"]["children"]
    comments = load("constructed_reddit_search_comments.json")["data"]["children"]
    hits = (
        load("constructed_hackernews_search_page0.json")["hits"]
        + load("constructed_hackernews_search_page1.json")["hits"]
    )
    served = SearchPlayback(
        _fresh(posts, count, _renew_reddit), comments, _fresh(hits, count, _renew_hit), page_size
    )

    def reddit(request: Request) -> Response:
        served.requests["reddit"].append(dict(request.args))
        listing = served.reddit_comments if request.args.get("type") == "comment" else served.reddit_posts
        start = 0
        after = request.args.get("after")
        if after:
            start = next(i for i, c in enumerate(listing) if c["data"]["name"] == after) + 1
        chunk = listing[start : start + served.page_size]
        more = start + served.page_size < len(listing)
        return json_response(
            {
                "kind": "Listing",
                "data": {"after": chunk[-1]["data"]["name"] if more else None, "children": chunk},
            }
        )

    def hackernews(request: Request) -> Response:
        served.requests["hackernews"].append(dict(request.args))
        since = 0
        numeric = request.args.get("numericFilters", "")
        if numeric.startswith("created_at_i>"):
            since = int(numeric.removeprefix("created_at_i>"))
        hits = [h for h in served.hn_hits if h["created_at_i"] > since]
        size = int(request.args.get("hitsPerPage") or served.page_size)
        size = min(size, served.page_size)
        page = int(request.args.get("page") or 0)
        pages = max(1, -(-len(hits) // size))
        return json_response(
            {
                "hits": hits[page * size : (page + 1) * size],
                "nbHits": len(hits),
                "page": page,
                "nbPages": pages,
                "hitsPerPage": size,
            }
        )

    httpserver.expect_request("/search.json").respond_with_handler(reddit)
    httpserver.expect_request("/search_by_date").respond_with_handler(hackernews)
    return served


def rate_limited(httpserver: HTTPServer, path: str) -> None:
    """``path`` answers 429 with a wait longer than the client accepts (a clear failure at once)."""
    httpserver.expect_request(path).respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "3600"})
    )
