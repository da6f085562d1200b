"""Play recorded platform responses (``settings.SHARED_DATA_DIR / "platforms"``) on a local server.

Each ``serve_*`` helper registers handlers on a pytest-httpserver ``HTTPServer`` that answer
the way the platform's API does (paths, query parameters, pagination tokens, error payloads)
with the recorded data, and returns a small object describing what is served. Point the
collectors at the server with ``use_server(settings, httpserver, "steam", ...)``.

The recorded sets are small (151 Steam reviews, 7 YouTube threads, ...). For job tests and
benchmarks that need more, ``count=`` replicates the recorded items with fresh ids (and
shifted dates, so orderings stay strict) up to the number asked for.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from django.conf import settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sentimatrix.http import HttpClient

STEAM_FILE = "steamreviews_review_573170.json"
REDDIT_POST = "3hahrw"
REDDIT_CASSETTE = "praw_cassette_TestCommentForest.test_replace__all.json"
YOUTUBE_THREAD_FILES = (
    "pyyoutube_comment_threads_by_video_paged_1.json",
    "pyyoutube_comment_threads_multi.json",
)
YOUTUBE_REPLY_FILES = (
    "pyyoutube_comments_by_parent_paged_1.json",
    "pyyoutube_comments_by_parent_paged_2.json",
)
GOOGLE_FILE = "gmaps_java_PlacesApiDetailsInFrenchResponse.json"
API_KEY = "playback-key"


# --- common ---------------------------------------------------------------------------------
def platform_file(folder: str, name: str) -> Path:
    """A recorded file under ``SHARED_DATA_DIR/platforms/<folder>/``."""
    return Path(settings.SHARED_DATA_DIR) / "platforms" / folder / name


def load(folder: str, name: str):
    return json.loads(platform_file(folder, name).read_text(encoding="utf-8"))


def use_server(django_settings, httpserver: HTTPServer, *platforms: str) -> str:
    """Point ``PLATFORM_BASE_URLS[platform]`` at ``httpserver`` (pytest-django ``settings`` fixture)."""
    base = httpserver.url_for("").rstrip("/")
    django_settings.PLATFORM_BASE_URLS = {
        **django_settings.PLATFORM_BASE_URLS,
        **dict.fromkeys(platforms, base),
    }
    return base


class RecordingSleep:
    """A ``sleep`` for ``HttpClient`` that records waits instead of sleeping."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def playback_client(**kwargs) -> HttpClient:
    """An ``HttpClient`` for playback tests: no real waiting (waits land in ``client.sleep.waits``)."""
    kwargs.setdefault("sleep", RecordingSleep())
    kwargs.setdefault("rate_limit_delay", 0.0)
    kwargs.setdefault("timeout", 10)
    kwargs.setdefault("max_retries", 1)
    return HttpClient(**kwargs)


def json_response(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def encode_token(prefix: str, offset: int) -> str:
    """An opaque page token, with the ``+``/``/``/``=`` characters real tokens have."""
    return base64.b64encode(f"{prefix}:{offset:08d}>>?".encode()).decode()


def decode_token(token: str | None, prefix: str) -> int | None:
    if not token:
        return 0
    try:
        kind, offset = base64.b64decode(token).decode().rstrip(">?").split(":")
    except ValueError:
        return None
    return int(offset) if kind == prefix else None


def replicate(items: list, count: int | None, refresh: Callable[[dict, int], dict]) -> list:
    """``items`` cycled up to ``count`` entries; copy number k >= 1 goes through ``refresh(copy, k)``."""
    if count is None or count <= len(items):
        return list(items if count is None else items[:count])
    out = list(items)
    k = 0
    while len(out) < count:
        k += 1
        for item in items[: count - len(out)]:
            out.append(refresh(copy.deepcopy(item), k))
    return out


# --- Steam ----------------------------------------------------------------------------------
DAY = 24 * 3600


def steam_reviews(name: str = STEAM_FILE, count: int | None = None) -> list[dict]:
    """The recorded reviews of one file, newest first, replicated up to ``count``."""
    data = load("steam", name)
    reviews = sorted(data["reviews"].values(), key=lambda r: r["timestamp_created"], reverse=True)
    # Each replica round is dated just before the previous one, so newest-first stays true.
    shift = reviews[0]["timestamp_created"] - reviews[-1]["timestamp_created"] + DAY if reviews else DAY

    def refresh(review: dict, k: int) -> dict:
        review["recommendationid"] = f"{review['recommendationid']}{k:04d}"
        review["timestamp_created"] -= shift * k
        review["timestamp_updated"] -= shift * k
        return review

    return replicate(reviews, count, refresh)


@dataclass
class SteamPlayback:
    app_id: str
    reviews: list[dict]
    requests: list[dict] = field(default_factory=list)


def serve_steam_appdetails(httpserver: HTTPServer, app_id: str | int, name: str) -> list[dict]:
    """Steam's ``/api/appdetails`` answer as documented (constructed: no recording exists)."""
    requests: list[dict] = []

    def handler(request: Request) -> Response:
        requests.append(request.args.to_dict())
        return Response(
            f'{{"{app_id}": {{"success": true, "data": {{"type": "game", "name": "{name}", '
            f'"steam_appid": {app_id}}}}}}}',
            content_type="application/json",
        )

    httpserver.expect_request("/api/appdetails").respond_with_handler(handler)
    return requests


def serve_steam(
    httpserver: HTTPServer,
    app_id: str | int,
    reviews: str | list[dict] = STEAM_FILE,
    page_size: int = 100,
    *,
    count: int | None = None,
    stuck_after: int | None = None,
) -> SteamPlayback:
    """Serve ``/appreviews/{app_id}`` like Steam: ``cursor`` pagination over ``reviews``.

    ``reviews`` is a recorded file name or a list of review objects. The first page carries
    the full ``query_summary`` (``total_reviews`` counts what matches the query's
    ``language``/``review_type``/``purchase_type``); once the reviews run out Steam answers
    an empty page with the cursor it was sent. ``stuck_after=n`` makes the server hand back
    the cursor it was sent (with the same reviews) from page n on, as Steam sometimes does.
    """
    app_id = str(app_id)
    recorded = steam_reviews(reviews, count) if isinstance(reviews, str) else list(reviews)
    playback = SteamPlayback(app_id, recorded)

    def handler(request: Request) -> Response:
        args = request.args.to_dict()
        playback.requests.append(args)
        if args.get("json") != "1":
            return Response("<html>not the JSON endpoint</html>", content_type="text/html")
        selected = _steam_select(recorded, args)
        cursor = args.get("cursor", "*")
        offset = 0 if cursor == "*" else decode_token(cursor, "steam")
        if offset is None:
            return json_response({"success": 2})
        size = min(page_size, int(args.get("num_per_page") or page_size))
        page_number = offset // size if size else 0
        page = selected[offset : offset + size]
        stuck = stuck_after is not None and page_number >= stuck_after
        if stuck or not page:
            next_cursor = cursor
        else:
            next_cursor = encode_token("steam", min(offset + size, len(selected)))
        summary: dict = {"num_reviews": len(page)}
        if cursor == "*":
            positive = sum(1 for r in selected if r["voted_up"])
            summary.update(
                review_score=8 if selected and positive / len(selected) >= 0.8 else 5,
                review_score_desc="Very Positive"
                if selected and positive / len(selected) >= 0.8
                else "Mixed",
                total_positive=positive,
                total_negative=len(selected) - positive,
                total_reviews=len(selected),
            )
        return json_response({"success": 1, "query_summary": summary, "reviews": page, "cursor": next_cursor})

    httpserver.expect_request(f"/appreviews/{app_id}", method="GET").respond_with_handler(handler)
    return playback


def _steam_select(reviews: list[dict], args: dict) -> list[dict]:
    language = args.get("language", "all")
    review_type = args.get("review_type", "all")
    purchase = args.get("purchase_type", "all")
    selected = [
        r
        for r in reviews
        if (language == "all" or r.get("language") in language.split(","))
        and (review_type == "all" or r["voted_up"] == (review_type == "positive"))
        and (purchase == "all" or bool(r.get("steam_purchase")) == (purchase == "steam"))
    ]
    order = args.get("filter", "recent")
    if order == "updated":
        selected.sort(key=lambda r: r["timestamp_updated"], reverse=True)
    elif order == "all":
        selected.sort(key=lambda r: float(r.get("weighted_vote_score") or 0), reverse=True)
    return selected


# --- Reddit ---------------------------------------------------------------------------------
@dataclass
class RedditPlayback:
    post_id: str
    tree: list
    token: str
    client: tuple[str, str]
    morechildren: dict[frozenset, str] = field(default_factory=dict)
    continued: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)


def reddit_cassette(name: str = REDDIT_CASSETTE) -> tuple[dict[frozenset, str], dict[str, str]]:
    """The recorded ``/api/morechildren`` answers (keyed by the set of child ids asked for)
    and "continue this thread" pages (keyed by comment id) of a PRAW cassette."""
    morechildren: dict[frozenset, str] = {}
    continued: dict[str, str] = {}
    for interaction in load("reddit", name)["interactions"]:
        request, body = interaction["request"], interaction["response"]["body"]["string"]
        if "/api/morechildren" in request["uri"]:
            children = parse_qs(request["body"])["children"][0].split(",")
            morechildren[frozenset(children)] = body
        elif match := re.search(r"/comments/\w+/_/(\w+)", request["uri"]):
            continued[match.group(1)] = body
    return morechildren, continued


def reddit_tree(name: str, count: int | None = None) -> list:
    """A recorded ``/comments/{id}`` answer; with ``count``, top-level comment subtrees are
    replicated with fresh ids (their "more" stubs dropped) until it holds ``count`` comments."""
    tree = load("reddit", name)
    if count is None:
        return tree
    listing = tree[1]["data"]["children"]
    originals = [thing for thing in listing if thing["kind"] == "t1"]
    total = count_comments(listing)
    k = 0
    while total < count and originals:
        k += 1
        for thing in originals:
            if total >= count:
                break
            fresh = copy.deepcopy(thing)
            total += _rename_subtree(fresh, f"r{k}")
            listing.append(fresh)
    return tree


def count_comments(things: Iterable[dict]) -> int:
    total = 0
    for thing in things:
        if thing["kind"] == "t1":
            total += 1
            replies = thing["data"].get("replies")
            if isinstance(replies, dict):
                total += count_comments(replies["data"]["children"])
    return total


def _rename_subtree(thing: dict, suffix: str) -> int:
    data = thing["data"]
    data["id"] = f"{data['id']}{suffix}"
    data["name"] = f"t1_{data['id']}"
    if data["parent_id"].startswith("t1_"):
        data["parent_id"] = f"{data['parent_id']}{suffix}"
    renamed = 1
    replies = data.get("replies")
    if isinstance(replies, dict):
        children = [child for child in replies["data"]["children"] if child["kind"] == "t1"]
        replies["data"]["children"] = children
        renamed += sum(_rename_subtree(child, suffix) for child in children)
    return renamed


def serve_reddit(
    httpserver: HTTPServer,
    post_id: str = REDDIT_POST,
    comments: str | None = None,
    cassette: str | None = REDDIT_CASSETTE,
    *,
    count: int | None = None,
    client: tuple[str, str] = ("playback-app", "playback-secret"),
    tokens: Iterable[str] = ("playback-token",),
) -> RedditPlayback:
    """Serve Reddit's public and OAuth endpoints for one post from recorded answers.

    ``/comments/{post}`` (with or without ``.json``) answers ``comments`` (default
    ``reddit_comments_{post}.json``); ``/api/morechildren`` and ``/comments/{post}/_/{id}``
    answer what the cassette recorded for the same request, 404 otherwise.
    ``/api/v1/access_token`` hands ``client`` the ``tokens`` in turn (then the last one again);
    OAuth requests with a token other than the last get 401, as an expired one would.
    Point "reddit", "reddit_oauth" and "reddit_auth" at the server.
    """
    tree = reddit_tree(comments or f"reddit_comments_{post_id}.json", count)
    morechildren, continued = reddit_cassette(cassette) if cassette else ({}, {})
    issued = list(tokens)
    playback = RedditPlayback(post_id, tree, issued[-1], client, morechildren, continued)
    body_tree = json.dumps(tree)

    def authorised(request: Request) -> bool:
        header = request.headers.get("Authorization")
        return header is None or header == f"bearer {playback.token}"

    def record(request: Request) -> dict:
        params = {**request.args.to_dict(), **request.form.to_dict()}
        playback.requests.append((request.method, request.path, params))
        return params

    def token(request: Request) -> Response:
        record(request)
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != client:
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        if request.form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        handed = issued.pop(0) if len(issued) > 1 else issued[0]
        return json_response(
            {"access_token": handed, "token_type": "bearer", "expires_in": 3600, "scope": "*"}
        )

    def comments_page(request: Request) -> Response:
        record(request)
        if not authorised(request):
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        return Response(body_tree, content_type="application/json; charset=UTF-8")

    def more(request: Request) -> Response:
        params = record(request)
        if not authorised(request):
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        body = morechildren.get(frozenset(params.get("children", "").split(",")))
        if body is None or params.get("link_id") != f"t3_{post_id}":
            return json_response({"message": "Not Found", "error": 404}, 404)
        return Response(body, content_type="application/json; charset=UTF-8")

    def continue_thread(request: Request) -> Response:
        record(request)
        if not authorised(request):
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        comment_id = re.search(r"/_/(\w+)", request.path).group(1)
        body = continued.get(comment_id)
        if body is None:
            return json_response({"message": "Not Found", "error": 404}, 404)
        return Response(body, content_type="application/json; charset=UTF-8")

    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_handler(token)
    httpserver.expect_request(re.compile(rf"^/comments/{post_id}(\.json|/)?$")).respond_with_handler(
        comments_page
    )
    httpserver.expect_request(re.compile(r"^/api/morechildren(\.json|/)?$")).respond_with_handler(more)
    httpserver.expect_request(re.compile(rf"^/comments/{post_id}/_/\w+(\.json|/)?$")).respond_with_handler(
        continue_thread
    )
    return playback


# --- YouTube --------------------------------------------------------------------------------
@dataclass
class YouTubePlayback:
    video_id: str
    threads: list[dict]
    replies: dict[str, list[list[dict]]]
    requests: list[tuple[str, dict]] = field(default_factory=list)


def youtube_error(status: int, reason: str, message: str) -> Response:
    """An error in the Data API's shape."""
    return json_response(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "youtube.commentThread", "reason": reason}],
            }
        },
        status,
    )


def _rehome_replies(pages: list[list[dict]], thread_id: str) -> list[list[dict]]:
    """Recorded reply pages moved under ``thread_id`` (reply ids are "<parent>.<suffix>")."""
    moved = copy.deepcopy(pages)
    for page in moved:
        for reply in page:
            reply["id"] = f"{thread_id}.{reply['id'].split('.', 1)[-1]}"
            reply["snippet"]["parentId"] = thread_id
    return moved


def serve_youtube(
    httpserver: HTTPServer,
    video_id: str = "F1UP7wRCPH8",
    thread_files: Iterable[str] = YOUTUBE_THREAD_FILES,
    *,
    page_size: int = 100,
    count: int | None = None,
    replies: dict[str, Iterable[str]] | None = None,
    inline_replies: int = 5,
    api_key: str = API_KEY,
) -> YouTubePlayback:
    """Serve ``/commentThreads`` and ``/comments`` of the Data API v3 from recorded answers.

    The threads of ``thread_files`` are served, in order, in pages of ``page_size`` (capped
    by ``maxResults``) linked by ``nextPageToken``; ``count`` replicates them with fresh ids.
    ``replies`` maps a thread id to recorded reply files: each file is one page of
    ``/comments?parentId=``, moved under that thread, whose ``totalReplyCount`` is updated.
    With ``part=snippet,replies`` a thread carries its first ``inline_replies`` replies, as
    the API does. A wrong ``key`` gets the API's 400 ``keyInvalid`` error.
    """
    threads: list[dict] = []
    for name in thread_files:
        threads.extend(load("youtube", name)["items"])

    def published(thread: dict) -> datetime:
        return datetime.fromisoformat(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"])

    # Each replica round is dated just before the previous one, so newest-first stays true.
    shift = (
        (max(map(published, threads)) - min(map(published, threads)) + timedelta(days=1)) if threads else None
    )

    def refresh(thread: dict, k: int) -> dict:
        thread["id"] = f"{thread['id']}{k:03d}"
        comment = thread["snippet"]["topLevelComment"]
        comment["id"] = thread["id"]
        for name in ("publishedAt", "updatedAt"):
            moment = datetime.fromisoformat(comment["snippet"][name]) - shift * k
            comment["snippet"][name] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return thread

    threads = replicate(threads, count, refresh)
    reply_pages: dict[str, list[list[dict]]] = {}
    for thread_id, files in (replies or {}).items():
        pages = _rehome_replies([load("youtube", name)["items"] for name in files], thread_id)
        reply_pages[thread_id] = pages
        for thread in threads:
            if thread["id"] == thread_id:
                thread["snippet"]["totalReplyCount"] = sum(len(page) for page in pages)
    playback = YouTubePlayback(video_id, threads, reply_pages)

    def check(request: Request, endpoint: str) -> Response | None:
        playback.requests.append((endpoint, request.args.to_dict()))
        if request.args.get("key") != api_key:
            return youtube_error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        return None

    def comment_threads(request: Request) -> Response:
        if error := check(request, "commentThreads"):
            return error
        if request.args.get("videoId") != video_id:
            return youtube_error(
                404, "videoNotFound", "The video identified by the videoId parameter could not be found."
            )
        size = min(page_size, int(request.args.get("maxResults") or 20))
        offset = decode_token(request.args.get("pageToken"), "threads")
        if offset is None:
            return youtube_error(400, "invalidPageToken", "The pageToken parameter value is invalid.")
        page = copy.deepcopy(threads[offset : offset + size])
        if "replies" in (request.args.get("part") or ""):
            for thread in page:
                inline = [reply for pages in reply_pages.get(thread["id"], []) for reply in pages]
                if inline[:inline_replies]:
                    thread["replies"] = {"comments": inline[:inline_replies]}
        body = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
            "items": page,
        }
        if offset + size < len(threads):
            body["nextPageToken"] = encode_token("threads", offset + size)
        return json_response(body)

    def comments(request: Request) -> Response:
        if error := check(request, "comments"):
            return error
        pages = reply_pages.get(request.args.get("parentId") or "")
        if pages is None:
            return youtube_error(404, "commentNotFound", "The comment could not be found.")
        index = decode_token(request.args.get("pageToken"), "replies")
        if index is None or index >= len(pages):
            return youtube_error(400, "invalidPageToken", "The pageToken parameter value is invalid.")
        body = {
            "kind": "youtube#commentListResponse",
            "pageInfo": {"resultsPerPage": 100},
            "items": pages[index],
        }
        if index + 1 < len(pages):
            body["nextPageToken"] = encode_token("replies", index + 1)
        return json_response(body)

    httpserver.expect_request("/commentThreads", method="GET").respond_with_handler(comment_threads)
    httpserver.expect_request("/comments", method="GET").respond_with_handler(comments)
    return playback


# --- Google Places --------------------------------------------------------------------------
@dataclass
class GooglePlayback:
    place_id: str
    result: dict
    requests: list[dict] = field(default_factory=list)


def serve_google(
    httpserver: HTTPServer, name: str = GOOGLE_FILE, *, place_id: str | None = None, api_key: str = API_KEY
) -> GooglePlayback:
    """Serve Place Details (``/details/json``) for one recorded place.

    The place id defaults to the recorded one. A wrong key answers ``REQUEST_DENIED`` and
    another place id ``NOT_FOUND``, with HTTP 200 as the API does.
    """
    recorded = load("google_places", name)
    place_id = place_id or recorded["result"]["place_id"]
    playback = GooglePlayback(place_id, recorded["result"])

    def details(request: Request) -> Response:
        playback.requests.append(request.args.to_dict())
        if request.args.get("key") != api_key:
            return json_response(
                {
                    "error_message": "The provided API key is invalid.",
                    "html_attributions": [],
                    "status": "REQUEST_DENIED",
                }
            )
        if request.args.get("place_id") != place_id:
            return json_response({"html_attributions": [], "status": "NOT_FOUND"})
        return json_response(recorded)

    httpserver.expect_request("/details/json", method="GET").respond_with_handler(details)
    return playback
