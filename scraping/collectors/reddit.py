"""Reddit comments on one post.

Two ways in, the same JSON:

* With a Reddit app stored in the vault (``credentials["reddit"]`` = ``"client_id:client_secret"``):
  an app-only OAuth token (``POST {reddit_auth}/api/v1/access_token``,
  ``grant_type=client_credentials``), then ``GET {reddit_oauth}/comments/{post_id}``. Reddit
  allows 60 requests a minute to such an app, so requests are spaced by a second.
* Without: the public listing ``GET {reddit}/comments/{post_id}.json``, spaced by six seconds
  (Reddit allows about ten unauthenticated requests a minute).

The comment tree is flattened: every comment is an item, and a reply keeps the id of the
comment it answers in ``parent_id`` (top-level comments answer the post: ``parent_id`` is
None and ``metadata.depth`` is 0). Items are identified by Reddit's fullnames (``t1_…``),
the form Reddit itself uses in ``parent_id``. Replies are always collected, whatever
``ctx.include_replies`` says: on Reddit the discussion *is* the replies.

Reddit sends a first part of the tree and leaves "more comments" stubs for the rest: those
are expanded with ``/api/morechildren`` and "continue this thread" stubs with
``/comments/{post_id}/_/{comment_id}``, one page per expansion, until nothing is left or
``ctx.max_items`` comments were collected. The cursor of a page is the list of stubs still
to expand, so an interrupted run resumes where it stopped. Deleted and removed comments
carry no text and are skipped (their replies are kept).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from projects.platforms import SORT_ORDERS, Platform
from scraping.collectors._dates import from_timestamp, in_window
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    MissingCredentialError,
    Page,
    TargetSpec,
)
from sentimatrix.http import HttpStatusError

REDDIT_SITE = "https://www.reddit.com"
OAUTH_DELAY = 1.0  # 60 requests a minute for an OAuth app
PUBLIC_DELAY = 6.0  # about 10 a minute without one
MORECHILDREN_BATCH = 100  # the most ids /api/morechildren takes at once
TREE_LIMIT = 500
SORTS = SORT_ORDERS[Platform.REDDIT]
DEFAULT_SORT = "new"
GONE = ("[deleted]", "[removed]")

# A stub still to expand: ("m", parent fullname, [child ids]) or ("c", comment id).
Stub = tuple


class RedditApi:
    """GETs against the OAuth API when the user has an app, else the public ``.json`` pages."""

    def __init__(self, ctx: FetchContext, base_url: Callable[[str], str]):
        self.http = ctx.http
        secret = (ctx.credentials.get("reddit") or "").strip()
        self.app: tuple[str, str] | None = None
        if secret:
            client_id, sep, client_secret = secret.partition(":")
            if not sep or not client_id.strip() or not client_secret.strip():
                raise MissingCredentialError(
                    'the Reddit credential on the API keys page must be "client_id:client_secret" '
                    "(the id and secret of a Reddit script or web app)"
                )
            self.app = (client_id.strip(), client_secret.strip())
        self.auth_base = base_url("reddit_auth")
        self.base = base_url("reddit_oauth") if self.app else base_url("reddit")
        self.http.set_min_delay(self.base, OAUTH_DELAY if self.app else PUBLIC_DELAY)
        self._token: str | None = None

    def _authenticate(self) -> str:
        try:
            data = self.http.post_json(
                f"{self.auth_base}/api/v1/access_token",
                data={"grant_type": "client_credentials"},
                auth=self.app,
            )
        except HttpStatusError as exc:
            if exc.status in (400, 401, 403):
                raise MissingCredentialError(
                    "Reddit refused the app id and secret stored on the API keys page; check them or remove them "
                    "to use the public listing"
                ) from exc
            raise
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            error = data.get("error") if isinstance(data, dict) else None
            raise MissingCredentialError(
                f"Reddit gave no access token for the stored app ({error or 'no reason'})"
            )
        return str(token)

    def get(self, path: str, params: dict) -> Any:
        """GET ``path`` (no ``.json`` suffix) with ``raw_json=1``; refreshes an expired token once."""
        params = {**params, "raw_json": "1"}
        if not self.app:
            return self.http.get_json(f"{self.base}{path}.json", params=params)
        for attempt in (1, 2):
            if self._token is None:
                self._token = self._authenticate()
            try:
                return self.http.get_json(
                    f"{self.base}{path}", params=params, headers={"Authorization": f"bearer {self._token}"}
                )
            except HttpStatusError as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                self._token = None  # expired (tokens last an hour): fetch a new one
        raise AssertionError("unreachable")  # pragma: no cover


def post_id_of(target: TargetSpec) -> str:
    post_id = str(target.platform_data.get("post_id") or "").strip()
    post_id = post_id.removeprefix("t3_")
    if not post_id.isalnum():
        raise CollectorError("this Reddit target has no post id; re-add it from the post's URL")
    return post_id.lower()


def encode_cursor(stubs: list[Stub]) -> str | None:
    return json.dumps([list(stub) for stub in stubs], separators=(",", ":")) if stubs else None


def decode_cursor(cursor: str) -> list[Stub]:
    try:
        stubs = [tuple(stub) for stub in json.loads(cursor)]
    except (TypeError, ValueError) as exc:
        raise CollectorError("the saved Reddit position is unreadable; run the target again") from exc
    if not all(stub and stub[0] in ("m", "c") for stub in stubs):
        raise CollectorError("the saved Reddit position is unreadable; run the target again")
    return stubs


class Flattener:
    """Walks Reddit listings into items and stubs, remembering depths and ids already seen."""

    def __init__(self, post_id: str, subreddit: str):
        self.post_id = post_id
        self.subreddit = subreddit
        self.depths: dict[str, int] = {}
        self.seen: set[str] = set()

    def walk(self, things: Any, items: list[CollectedItem], stubs: list[Stub], depth: int | None = 0) -> None:
        if not isinstance(things, list):
            raise LayoutChangedError("a Reddit comment listing is not a list")
        for thing in things:
            kind, data = thing.get("kind"), thing.get("data")
            if not isinstance(data, dict):
                raise LayoutChangedError("a Reddit comment has no data")
            if kind == "more":
                stubs.extend(self.stubs_of(data))
            elif kind == "t1":
                own_depth = self.depth_of(data, depth)
                item = self.item(data, own_depth)
                if item is not None and item.platform_id not in self.seen:
                    self.seen.add(item.platform_id)
                    items.append(item)
                replies = data.get("replies")
                if isinstance(replies, dict):
                    children = (replies.get("data") or {}).get("children", [])
                    self.walk(children, items, stubs, None if own_depth is None else own_depth + 1)

    def depth_of(self, data: dict, depth: int | None) -> int | None:
        if isinstance(data.get("depth"), int):
            depth = data["depth"]
        elif depth is None:
            parent = str(data.get("parent_id") or "")
            depth = 0 if parent.startswith("t3_") else self.depths.get(parent, -2) + 1
            depth = depth if depth >= 0 else None
        if depth is not None:
            self.depths[f"t1_{data.get('id')}"] = depth
        return depth

    @staticmethod
    def stubs_of(data: dict) -> list[Stub]:
        children = [str(child) for child in data.get("children") or []]
        if children:
            parent = str(data.get("parent_id") or "")
            return [
                ("m", parent, children[start : start + MORECHILDREN_BATCH])
                for start in range(0, len(children), MORECHILDREN_BATCH)
            ]
        # No ids but a parent: the tree goes deeper than Reddit nests ("continue this thread").
        parent = str(data.get("parent_id") or "")
        return [("c", parent.removeprefix("t1_"))] if parent.startswith("t1_") else []

    def item(self, data: dict, depth: int | None) -> CollectedItem | None:
        try:
            comment_id = str(data["id"])
            body = str(data.get("body") or "")
            created = from_timestamp(float(data["created_utc"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise LayoutChangedError(f"a Reddit comment lacks {exc}") from exc
        if body.strip() in GONE or not body.strip():
            return None
        parent = str(data.get("parent_id") or "")
        subreddit = str(data.get("subreddit") or self.subreddit)
        permalink = data.get("permalink")
        if permalink:
            url = f"{REDDIT_SITE}{permalink}"
        elif subreddit:
            url = f"{REDDIT_SITE}/r/{subreddit}/comments/{self.post_id}/_/{comment_id}/"
        else:
            url = f"{REDDIT_SITE}/comments/{self.post_id}/_/{comment_id}/"
        edited = data.get("edited")
        metadata = {
            "score": data.get("score"),
            "controversiality": data.get("controversiality"),
            "gilded": data.get("gilded"),
            "depth": depth,
            "subreddit": subreddit or None,
            "post_id": f"t3_{self.post_id}",
            "edited_at": from_timestamp(float(edited)).isoformat() if _is_number(edited) else None,
            "is_submitter": data.get("is_submitter"),
            "distinguished": data.get("distinguished"),
            "stickied": data.get("stickied") or None,
        }
        return CollectedItem(
            platform_id=f"t1_{comment_id}",
            text=body.strip(),
            author=str(data.get("author") or ""),
            date=created,
            url=url,
            parent_id=parent if parent.startswith("t1_") else None,
            metadata={key: value for key, value in metadata.items() if value is not None},
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class RedditCollector(Collector):
    platform = Platform.REDDIT
    credential_providers = ("reddit",)

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """The post's comment tree first, then one page per expanded stub, up to ``ctx.max_items``."""
        post_id = post_id_of(target)
        sort = str(target.options.get("sort_by") or DEFAULT_SORT).lower()
        if sort not in SORTS:
            raise CollectorError(f"Reddit comment order must be one of {', '.join(SORTS)}, not {sort!r}")
        api = RedditApi(ctx, self.base_url)
        flat = Flattener(post_id, str(target.platform_data.get("subreddit") or ""))
        collected = 0
        if cursor:
            stubs = decode_cursor(cursor)
        else:
            before = ctx.http.requests_made
            items, stubs, total, title = self._tree(api, flat, post_id, sort)
            collected += len(items)
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=encode_cursor(stubs) if collected < ctx.max_items else None,
                reported_total=total,
                requests_made=ctx.http.requests_made - before,
                target_name=title,
            )
        while stubs and collected < ctx.max_items:
            stub, stubs = stubs[0], stubs[1:]
            before = ctx.http.requests_made
            items, new_stubs = self._expand(api, flat, post_id, sort, stub)
            # New stubs sit where the expanded one was, keeping the listing's order.
            stubs = new_stubs + stubs
            collected += len(items)
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=encode_cursor(stubs) if collected < ctx.max_items else None,
                requests_made=ctx.http.requests_made - before,
            )

    def _tree(
        self, api: RedditApi, flat: Flattener, post_id: str, sort: str
    ) -> tuple[list[CollectedItem], list[Stub], int | None, str]:
        """The first comments, the stubs to expand, the comment count and the post's title."""
        data = self._get(api, f"/comments/{post_id}", {"limit": str(TREE_LIMIT), "sort": sort}, post_id)
        post, comments = _listings(data)
        post_children = (post.get("data") or {}).get("children") or [{}]
        post_data = post_children[0].get("data") or {}
        if not flat.subreddit:
            flat.subreddit = str(post_data.get("subreddit") or "")
        items: list[CollectedItem] = []
        stubs: list[Stub] = []
        flat.walk((comments.get("data") or {}).get("children"), items, stubs)
        total = post_data.get("num_comments")
        title = str(post_data.get("title") or "").strip()
        return items, stubs, int(total) if _is_number(total) else None, title

    def _expand(
        self, api: RedditApi, flat: Flattener, post_id: str, sort: str, stub: Stub
    ) -> tuple[list[CollectedItem], list[Stub]]:
        items: list[CollectedItem] = []
        stubs: list[Stub] = []
        if stub[0] == "c":
            data = self._get(api, f"/comments/{post_id}/_/{stub[1]}", {"sort": sort}, post_id)
            _post, comments = _listings(data)
            flat.walk((comments.get("data") or {}).get("children"), items, stubs, depth=None)
            return items, stubs
        _kind, _parent, children = stub
        data = self._get(
            api,
            "/api/morechildren",
            {
                "api_type": "json",
                "link_id": f"t3_{post_id}",
                "children": ",".join(children),
                "sort": sort,
                "limit_children": "false",
            },
            post_id,
        )
        try:
            things = data["json"]["data"]["things"]
        except (KeyError, TypeError) as exc:
            errors = data.get("json", {}).get("errors") if isinstance(data, dict) else None
            if errors:
                raise CollectorError(f"Reddit refused to expand more comments: {errors}") from exc
            raise LayoutChangedError("Reddit's morechildren answer has no json.data.things") from exc
        flat.walk(things, items, stubs, depth=None)
        return items, stubs

    @staticmethod
    def _get(api: RedditApi, path: str, params: dict, post_id: str) -> Any:
        try:
            return api.get(path, params)
        except HttpStatusError as exc:
            if exc.status == 404:
                raise CollectorError(f"Reddit has no post {post_id} (deleted, or a wrong id)") from exc
            if exc.status == 403:
                raise CollectorError(
                    f"Reddit refused access to post {post_id}: the subreddit may be private or quarantined"
                ) from exc
            raise


def _listings(data: Any) -> tuple[dict, dict]:
    """The (post, comments) listings of a ``/comments/…`` answer."""
    if (
        not isinstance(data, list)
        or len(data) < 2
        or not all(isinstance(part, dict) and part.get("kind") == "Listing" for part in data[:2])
    ):
        raise LayoutChangedError("Reddit's comment page is no longer [post listing, comment listing]")
    return data[0], data[1]
