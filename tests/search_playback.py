"""Local servers that answer like the platforms' search APIs, for the keyword monitor's sources.

Each ``serve_*`` helper registers handlers on a pytest-httpserver ``HTTPServer`` that filter,
order and page the constructed answers in ``tests/fixtures/constructed/`` the way the platform
documents (YouTube Data API ``search``, Mastodon tag timelines and ``/api/v2/search``, Bluesky
``app.bsky.feed.searchPosts``), and record what was asked. YouTube comments of the videos found
are the recorded ``commentThreads`` answers of ``tests/playback.py``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scraping.collectors._text import html_to_text
from tests.playback import API_KEY, decode_token, encode_token, json_response, load, youtube_error

CONSTRUCTED = Path(__file__).parent / "fixtures" / "constructed"


def constructed(name: str):
    return json.loads((CONSTRUCTED / name).read_text(encoding="utf-8"))


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _matches(text: str, query: str) -> bool:
    """Every word and "phrase" of ``query`` in ``text`` and no -exclusion (case ignored)."""
    lowered = text.lower()
    for negated, phrase, word in re.findall(r'(-?)"([^"]*)"|(\S+)', query):
        if word.startswith("language:"):
            continue
        term, excluded = (phrase, bool(negated)) if phrase else (word.lstrip("-"), word.startswith("-"))
        if (term.lower() in lowered) == excluded:
            return False
    return True


@dataclass
class Recorded:
    """What a served platform was asked: (path, query parameters, headers that matter)."""

    requests: list[tuple[str, dict, dict]] = field(default_factory=list)

    def params(self, path_part: str = "") -> list[dict]:
        return [params for path, params, _headers in self.requests if path_part in path]

    def record(self, request: Request) -> dict:
        params = request.args.to_dict()
        headers = {name: request.headers[name] for name in ("Authorization",) if name in request.headers}
        self.requests.append((request.path, params, headers))
        return params


# --- YouTube --------------------------------------------------------------------------------------
#: The recorded comment threads of two of the constructed search results' videos.
YOUTUBE_THREADS = {
    "F1UP7wRCPH8": "pyyoutube_comment_threads_by_video_paged_1.json",
    "D-lhorsDlUQ": "pyyoutube_comment_threads_multi.json",
}
#: The constructed video whose comments are turned off.
YOUTUBE_NO_COMMENTS = "xNoComments1"


def serve_youtube_search(httpserver: HTTPServer, *, page_size: int = 50, api_key: str = API_KEY) -> Recorded:
    """``/search`` over ``constructed_youtube_search.json`` (``publishedAfter`` filters, pages of
    ``page_size`` linked by ``nextPageToken``) and ``/commentThreads`` of each video found."""
    videos = constructed("constructed_youtube_search.json")["items"]
    recorded = Recorded()

    def checked(request: Request) -> tuple[dict, Response | None]:
        params = recorded.record(request)
        if params.get("key") != api_key:
            return params, youtube_error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        return params, None

    def search(request: Request) -> Response:
        params, error = checked(request)
        if error:
            return error
        after = params.get("publishedAfter")
        selected = [v for v in videos if not after or moment(v["snippet"]["publishedAt"]) >= moment(after)]
        size = min(page_size, int(params.get("maxResults") or 5))
        offset = decode_token(params.get("pageToken"), "search")
        page = selected[offset : offset + size]
        body = {
            "kind": "youtube#searchListResponse",
            "pageInfo": {"totalResults": len(selected), "resultsPerPage": size},
            "items": page,
        }
        if offset + size < len(selected):
            body["nextPageToken"] = encode_token("search", offset + size)
        return json_response(body)

    def comment_threads(request: Request) -> Response:
        params, error = checked(request)
        if error:
            return error
        video = params.get("videoId")
        if video == YOUTUBE_NO_COMMENTS:
            return youtube_error(403, "commentsDisabled", "The video has disabled comments.")
        if video not in YOUTUBE_THREADS:
            return youtube_error(404, "videoNotFound", "The video could not be found.")
        body = copy.deepcopy(load("youtube", YOUTUBE_THREADS[video]))
        body.pop("nextPageToken", None)  # one page per video is all a monitor reads
        return json_response(body)

    httpserver.expect_request("/search", method="GET").respond_with_handler(search)
    httpserver.expect_request("/commentThreads", method="GET").respond_with_handler(comment_threads)
    return recorded


# --- Mastodon ------------------------------------------------------------------------------------
def mastodon_statuses(*, id_offset: int = 0, uris: set[str] | None = None) -> list[dict]:
    """The constructed tag timeline (a boost first), as one instance numbers it: ``id_offset``
    moves the snowflakes' sequence part (another instance's local ids for the same statuses),
    ``uris`` keeps only those statuses (and boosts of them)."""
    statuses = constructed("constructed_mastodon_tag_timeline.json")
    kept = []
    for status in statuses:
        own = (status.get("reblog") or status)["uri"]
        if uris is not None and own not in uris:
            continue
        copied = copy.deepcopy(status)
        copied["id"] = str(int(status["id"]) + id_offset)
        kept.append(copied)
    return kept


def serve_mastodon(
    httpserver: HTTPServer,
    statuses: list[dict] | None = None,
    *,
    tag: str = "nimbusnotes",
    search: str = "open",
    page_size: int = 40,
) -> Recorded:
    """A Mastodon instance: ``/api/v1/timelines/tag/{tag}`` and ``/api/v2/search``, newest first,
    ``since_id``/``min_id``/``max_id`` bounds and a ``Link: rel="next"`` header on every page
    that has statuses.

    ``search`` is how the instance answers full-text search: "open" (to anyone), "empty" (no
    statuses without an account, as most instances do) or "refused" (401).
    """
    statuses = mastodon_statuses() if statuses is None else statuses
    recorded = Recorded()

    def bounded(selected: list[dict], params: dict) -> list[dict]:
        lower = params.get("since_id") or params.get("min_id")
        upper = params.get("max_id")
        selected = [s for s in selected if (not lower or int(s["id"]) > int(lower))]
        selected = [s for s in selected if (not upper or int(s["id"]) < int(upper))]
        return sorted(selected, key=lambda s: int(s["id"]), reverse=True)

    def page_of(request: Request, selected: list[dict], params: dict) -> tuple[list[dict], dict]:
        size = min(page_size, int(params.get("limit") or 20))
        page = bounded(selected, params)[:size]
        headers = {}
        if page:  # as Mastodon does: a next link while there are statuses
            headers["Link"] = f'<{request.base_url}?limit={size}&max_id={page[-1]["id"]}>; rel="next"'
        return page, headers

    def timeline(request: Request) -> Response:
        params = recorded.record(request)
        wanted = request.path.rsplit("/", 1)[-1].lower()
        if wanted != tag:
            return json_response([])
        page, headers = page_of(request, statuses, params)
        response = json_response(page)
        response.headers.update(headers)
        return response

    def full_text(request: Request) -> Response:
        params = recorded.record(request)
        if search == "refused":
            return json_response({"error": "The access token is invalid"}, 401)
        if search == "empty" or params.get("type") != "statuses":
            return json_response({"accounts": [], "statuses": [], "hashtags": []})
        query = params.get("q", "")
        language = re.search(r"language:(\w+)", query)
        selected = [
            s
            for s in statuses
            if not s.get("reblog")
            and _matches(html_to_text(s["content"]), query)
            and (not language or s.get("language") == language.group(1))
        ]
        page, headers = page_of(request, selected, params)
        response = json_response({"accounts": [], "statuses": page, "hashtags": []})
        response.headers.update(headers)
        return response

    httpserver.expect_request(re.compile(r"^/api/v1/timelines/tag/[^/]+$")).respond_with_handler(timeline)
    httpserver.expect_request("/api/v2/search").respond_with_handler(full_text)
    return recorded


# --- Bluesky -------------------------------------------------------------------------------------
BLUESKY_HANDLE = "monitor.bsky.social"
BLUESKY_APP_PASSWORD = "abcd-efgh-ijkl-mnop"
BLUESKY_TOKEN = "session-token-1"


def bluesky_sort_at(post: dict) -> datetime:
    return min(moment(post["record"]["createdAt"]), moment(post["indexedAt"]))


def serve_bluesky(
    httpserver: HTTPServer,
    posts: list[dict] | None = None,
    *,
    page_size: int = 100,
    needs_account: bool = False,
) -> Recorded:
    """``/xrpc/app.bsky.feed.searchPosts`` over ``posts`` (default the constructed ones): words and
    phrases must appear (exclusions are left to the client, as the API leaves the syntax
    unspecified), ``since`` inclusive on ``sortAt``, ``lang`` on the record's languages, newest
    first, an offset ``cursor``. With ``needs_account`` a search without a bearer token gets 403,
    and ``/xrpc/com.atproto.server.createSession`` signs ``BLUESKY_HANDLE`` in."""
    posts = constructed("constructed_bluesky_search_posts.json")["posts"] if posts is None else posts
    recorded = Recorded()

    def search(request: Request) -> Response:
        params = recorded.record(request)
        if needs_account and request.headers.get("Authorization") != f"Bearer {BLUESKY_TOKEN}":
            return json_response({"error": "Forbidden", "message": "Forbidden"}, 403)
        query = re.sub(r'(^|\s)-("[^"]*"|\S+)', " ", params.get("q", ""))
        since = params.get("since")
        language = params.get("lang")
        selected = [
            p
            for p in posts
            if _matches(p["record"]["text"], query)
            and (not since or bluesky_sort_at(p) >= moment(since))
            and (not language or language in p["record"].get("langs", []))
        ]
        selected.sort(key=bluesky_sort_at, reverse=True)
        size = min(page_size, int(params.get("limit") or 25))
        offset = int(params.get("cursor") or 0)
        body: dict = {"posts": selected[offset : offset + size], "hitsTotal": len(selected)}
        if offset + size < len(selected):
            body["cursor"] = str(offset + size)
        return json_response(body)

    def session(request: Request) -> Response:
        recorded.requests.append((request.path, {}, {}))
        sent = request.get_json(silent=True) or {}
        if (sent.get("identifier"), sent.get("password")) != (BLUESKY_HANDLE, BLUESKY_APP_PASSWORD):
            return json_response(
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401
            )
        return json_response({"accessJwt": BLUESKY_TOKEN, "refreshJwt": "refresh", "handle": BLUESKY_HANDLE})

    httpserver.expect_request("/xrpc/app.bsky.feed.searchPosts", method="GET").respond_with_handler(search)
    httpserver.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_handler(
        session
    )
    return recorded
