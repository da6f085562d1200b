"""Google Play reviews, read from the endpoint the store's own web pages call.

Google offers no review API for other people's apps. The store's pages load reviews with a
``batchexecute`` call of the remote procedure ``UsvDTd``, which the maintained open-source
scrapers (google-play-scraper for Python and for Node) use too:

``POST {googleplay}/_/PlayStoreUi/data/batchexecute?hl={language}&gl={country}`` with the form
field ``f.req`` = ``[[["UsvDTd", ARGS, null, "generic"]]]``, where ARGS is itself JSON text:
``[null, null, [2, SORT, [COUNT, null, TOKEN], null, [null, RATING]], [PACKAGE, 7]]``.
SORT is 1 (most relevant) or 2 (newest), COUNT the page size, TOKEN the continuation token
of the previous page (null for the first), RATING 1-5 or null for every rating.

The answer starts with the anti-JSON-hijacking prefix ``)]}'`` and is then a JSON list of
rows; the row ``["wrb.fr", "UsvDTd", PAYLOAD, ...]`` carries PAYLOAD as JSON text:
``[[REVIEW, ...], [null, NEXT_TOKEN]]`` (no token on the last page; null for an app without
reviews). A REVIEW is a list: ``[0]`` id, ``[1][0]`` author, ``[2]`` stars, ``[4]`` text,
``[5]`` ``[seconds, nanos]``, ``[6]`` thumbs-up count, ``[7]`` the developer's reply
``[author, text, [seconds, nanos]]``, ``[10]`` the app version reviewed.

The app's page (``/store/apps/details?id=...``) gives the app's name and, when the first
page of reviews is empty, the number of reviews the store shows (``Page.reported_total``), so
an empty answer for an app that has reviews is seen as a silent zero rather than success.

Target options: ``language`` and ``country`` (``hl``/``gl``; default en/us), ``sort_by``
(``newest`` (default) or ``most_relevant``), ``filter.rating`` (1-5: only reviews with that
many stars). ``commercial_provider: "scraperapi"`` sends the same requests through ScraperAPI,
which the runner does when direct fetching fails and the project has a ScraperAPI key.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from bs4 import BeautifulSoup

from projects.platforms import CAVEATS, SORT_ORDERS, Platform
from scraping.collectors._dates import from_timestamp, in_window, older_than_window
from scraping.collectors._text import squash
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
from sentimatrix.http import HttpStatusError, RateLimitedError

logger = logging.getLogger(__name__)

RPC_ID = "UsvDTd"
BATCH_PATH = "/_/PlayStoreUi/data/batchexecute"
DETAILS_PATH = "/store/apps/details"
PUBLIC_STORE = "https://play.google.com"
SORT_CODES = {"most_relevant": 1, "newest": 2}
PAGE_SIZE = 150  # what the store's own pages ask for; it answers up to 199
ANSWER_PREFIX = ")]}'"
PROVIDER = "scraperapi"

BLOCKED_MESSAGE = (
    "Google Play refused automated requests (HTTP {status}); add a ScraperAPI key and choose "
    "ScraperAPI as the project's commercial provider to collect through it"
)

_DATA_BLOCK = re.compile(
    r"AF_initDataCallback\(\{key:\s*'ds:5'.*?data:(?P<data>.*?), sideChannel:", re.DOTALL
)
# " - Apps on Google Play" and its translations, after a hyphen, an en dash or an em dash.
_STORE_SUFFIX = re.compile(r"\s+[-\u2013\u2014]\s+[^-\u2013\u2014]*Google Play\s*$")


class BlockedError(CollectorError):
    """Google answered 403 or kept answering 429: it takes the client for a robot."""


@dataclass(frozen=True)
class Query:
    """What one target asks the store for."""

    package: str
    language: str
    country: str
    sort: str
    rating: int | None
    provider: str | None


def query_for(target: TargetSpec) -> Query:
    """The target's package, language, country, sort order and rating filter, validated."""
    package = Collector.identifier(
        target, "package_id", "this Google Play target has no package id; add it again from its store link"
    )
    options = target.options
    extra = options.get("filter") if isinstance(options.get("filter"), dict) else {}
    sort = str(options.get("sort_by") or "newest").strip().lower()
    if sort not in SORT_ORDERS[Platform.GOOGLE_PLAY]:
        allowed = ", ".join(SORT_ORDERS[Platform.GOOGLE_PLAY])
        raise CollectorError(f"Google Play sort order must be one of {allowed}, not {sort!r}")
    rating = extra.get("rating")
    if rating not in (None, ""):
        if str(rating).strip() not in {"1", "2", "3", "4", "5"}:
            raise CollectorError(
                f"the Google Play rating filter is a number of stars from 1 to 5, not {rating!r}"
            )
        rating = int(str(rating).strip())
    provider = options.get("commercial_provider") or None
    country = options.get("country") or target.platform_data.get("country") or "us"
    return Query(
        package=package,
        language=str(options.get("language") or "en").strip(),
        country=str(country).strip().lower(),
        sort=sort,
        rating=rating or None,
        provider=provider,
    )


def request_form(query: Query, count: int, token: str | None) -> dict[str, str]:
    """The form body of one ``UsvDTd`` call (``f.req``)."""
    args = [
        None,
        None,
        [2, SORT_CODES[query.sort], [count, None, token], None, [None, query.rating]],
        [query.package, 7],
    ]
    envelope = [[[RPC_ID, json.dumps(args, separators=(",", ":")), None, "generic"]]]
    return {"f.req": json.dumps(envelope, separators=(",", ":"))}


def rpc_payload(body: str) -> Any:
    """The decoded PAYLOAD of the ``UsvDTd`` row of a batchexecute answer (None: no reviews)."""
    text = body.lstrip()
    if not text.startswith(ANSWER_PREFIX):
        raise LayoutChangedError(f"the Google Play answer does not start with {ANSWER_PREFIX}")
    try:
        rows = json.loads(text[len(ANSWER_PREFIX) :])
    except ValueError as exc:
        raise LayoutChangedError("the Google Play answer is not JSON after its prefix") from exc
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and len(row) > 2 and row[:2] == ["wrb.fr", RPC_ID]:
            if row[2] is None:
                return None
            if not isinstance(row[2], str):
                raise LayoutChangedError("the Google Play reviews row holds no JSON text")
            try:
                return json.loads(row[2])
            except ValueError as exc:
                raise LayoutChangedError("the Google Play reviews row is not JSON") from exc
    raise LayoutChangedError(f"the Google Play answer has no {RPC_ID} row")


def split_payload(payload: Any) -> tuple[list, str | None]:
    """(reviews, next token) of a PAYLOAD; the token is None on the last page."""
    if payload is None:
        return [], None
    if not isinstance(payload, list):
        raise LayoutChangedError("the Google Play reviews payload is not a list")
    reviews = payload[0] if payload else None
    if reviews is None:
        reviews = []
    if not isinstance(reviews, list):
        raise LayoutChangedError("the Google Play reviews are not a list")
    tail = payload[-1] if len(payload) > 1 else None
    token = tail[-1] if isinstance(tail, list) and tail and isinstance(tail[-1], str) else None
    return reviews, token or None


def _at(node: Any, *path: int) -> Any:
    for index in path:
        if not isinstance(node, list) or len(node) <= index:
            return None
        node = node[index]
    return node


def _moment(node: Any) -> datetime | None:
    """``[seconds, nanos]`` as UTC."""
    seconds = _at(node, 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    return from_timestamp(float(seconds))


def map_review(review: Any, package: str, query: Query) -> CollectedItem | None:
    """One REVIEW list as an item; None for a star rating without text. A review without an
    id, stars or date is a changed layout."""
    review_id, stars, moment = _at(review, 0), _at(review, 2), _moment(_at(review, 5))
    if not isinstance(review_id, str) or not review_id:
        raise LayoutChangedError("a Google Play review has no id where expected")
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise LayoutChangedError(f"a Google Play review has no 1-5 star rating where expected ({stars!r})")
    if moment is None:
        raise LayoutChangedError("a Google Play review has no date where expected")
    text = squash(_at(review, 4) if isinstance(_at(review, 4), str) else "")
    if not text:
        return None
    author = _at(review, 1, 0)
    thumbs = _at(review, 6)
    version = _at(review, 10)
    reply_text = _at(review, 7, 1)
    reply_at = _moment(_at(review, 7, 2))
    metadata = {
        "thumbs_up": thumbs if isinstance(thumbs, int) and not isinstance(thumbs, bool) else 0,
        "app_version": version if isinstance(version, str) else "",
        "language": query.language,
        "country": query.country,
    }
    if isinstance(reply_text, str) and reply_text.strip():
        metadata["developer_reply"] = squash(reply_text)
        metadata["developer_reply_at"] = reply_at.isoformat() if reply_at else None
    return CollectedItem(
        platform_id=review_id,
        text=text,
        author=squash(author) if isinstance(author, str) else "",
        rating=float(stars),
        date=moment,
        url=f"{PUBLIC_STORE}{DETAILS_PATH}?id={package}&reviewId={review_id}",
        metadata=metadata,
    )


@dataclass(frozen=True)
class AppPage:
    """What the app's store page tells: its name and how many reviews it shows."""

    name: str = ""
    reviews: int | None = None


def parse_app_page(html: str) -> AppPage:
    """Name and review count of an app's details page, best effort (either may be missing)."""
    data = None
    match = _DATA_BLOCK.search(html)
    if match:
        try:
            data = json.loads(match.group("data"))
        except ValueError:
            data = None
    name = _at(data, 1, 2, 0, 0)
    count = _at(data, 1, 2, 51, 3, 1)
    if not isinstance(name, str) or not name.strip():
        soup = BeautifulSoup(html, "lxml")
        meta = soup.find("meta", attrs={"property": "og:title"})
        title = meta.get("content") if meta else (soup.title.get_text() if soup.title else "")
        name = _STORE_SUFFIX.sub("", squash(str(title or "")))
    return AppPage(
        name=squash(name)[:200],
        reviews=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


class GooglePlayCollector(Collector):
    platform = Platform.GOOGLE_PLAY.value
    caveat = CAVEATS[Platform.GOOGLE_PLAY]

    def credentials_needed(self, target: TargetSpec) -> tuple[str, ...]:
        return (PROVIDER,) if target.options.get("commercial_provider") == PROVIDER else ()

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """Pages of reviews from ``cursor`` (None: the first) until the store gives no token.

        Stops on a token already seen (a loop), at ``ctx.max_items``, and, newest first, at a
        review older than ``ctx.date_from`` (an incremental run reaching what it has).
        """
        query = query_for(target)
        if query.provider not in (None, PROVIDER):
            raise CollectorError(
                f"Google Play is collected directly or through ScraperAPI, not through {query.provider!r}"
            )
        token, seen, collected = cursor, {cursor}, 0
        while True:
            before = ctx.http.requests_made
            count = max(1, min(PAGE_SIZE, ctx.max_items - collected))
            reviews, next_token = split_payload(rpc_payload(self._batch(ctx, query, count, token)))
            if not reviews and token is None:
                yield self._empty_first_page(ctx, query, before)
                return
            items = self._items(reviews, query)
            collected += len(items)
            stop = not next_token or next_token in seen
            if query.sort == "newest" and any(older_than_window(item.date, ctx) for item in items):
                stop = True
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=None if stop else next_token,
                requests_made=ctx.http.requests_made - before,
            )
            # At the limit the token still says there is more (the run is partial), but
            # nothing more is asked for.
            if stop or collected >= ctx.max_items:
                return
            seen.add(next_token)
            token = next_token

    def fetch_name(self, target: TargetSpec, ctx: FetchContext) -> str:
        """The app's name from its store page (the review answers carry none)."""
        return self._app_page(ctx, query_for(target)).name

    # --- pieces ----------------------------------------------------------------------------
    @staticmethod
    def _items(reviews: list, query: Query) -> list[CollectedItem]:
        items = [map_review(review, query.package, query) for review in reviews]
        kept = [item for item in items if item is not None]
        # The store applies the rating filter itself; checking again costs nothing and keeps
        # a store that ignores it from filling the target with other ratings.
        return [item for item in kept if query.rating is None or item.rating == query.rating]

    def _empty_first_page(self, ctx: FetchContext, query: Query, before: int) -> Page:
        """No review at all: an app without reviews is zero items; an app whose page counts
        reviews is an error that says why (the count covers every language, the answer one)."""
        page = self._app_page(ctx, query)
        if page.reviews and query.rating is None:  # a rating filter may rightly find nothing
            raise CollectorError(
                f"Google Play returned no review in “{query.language}” although the app's page counts "
                f"{page.reviews:,} in all languages: the app may have none in this language (add it "
                "again with another one), or the store's answer changed shape"
            )
        return Page(
            items=[],
            next_cursor=None,
            reported_total=None if query.rating is not None else page.reviews,
            requests_made=ctx.http.requests_made - before,
            target_name=page.name,
        )

    def _app_page(self, ctx: FetchContext, query: Query) -> AppPage:
        url = f"{self.base_url('googleplay')}{DETAILS_PATH}"
        params = {"id": query.package, "hl": query.language, "gl": query.country}
        try:
            response = self._send(ctx, query, "GET", url, params=params)
        except HttpStatusError as exc:
            if exc.status == 404:
                raise CollectorError(
                    f"Google Play has no app {query.package!r} (its page answers 404): check the package id"
                ) from exc
            raise
        return parse_app_page(response.text)

    def _batch(self, ctx: FetchContext, query: Query, count: int, token: str | None) -> str:
        url = f"{self.base_url('googleplay')}{BATCH_PATH}"
        params = {"hl": query.language, "gl": query.country}
        response = self._send(ctx, query, "POST", url, params=params, data=request_form(query, count, token))
        return response.content.decode("utf-8", errors="replace")

    @staticmethod
    def _send(
        ctx: FetchContext, query: Query, method: str, url: str, *, params: dict, data: dict | None = None
    ):
        """One request, direct or through ScraperAPI (which forwards the method and body)."""
        if query.provider == PROVIDER:
            key = ctx.credentials.get(PROVIDER)
            if not key:
                raise MissingCredentialError(
                    "ScraperAPI is selected for this Google Play target but no ScraperAPI key is stored"
                )
            target_url = f"{url}?{urlencode(params)}"
            try:
                return ctx.http.request(
                    method,
                    f"{Collector.base_url(PROVIDER)}/",
                    params={"api_key": key, "url": target_url},
                    data=data,
                )
            except HttpStatusError as exc:
                if exc.status in (401, 403):
                    raise CollectorError(
                        f"ScraperAPI refused the stored key (HTTP {exc.status}); check it in the API keys page"
                    ) from exc
                raise
        try:
            return ctx.http.request(method, url, params=params, data=data)
        except HttpStatusError as exc:
            if exc.status == 403:
                raise BlockedError(BLOCKED_MESSAGE.format(status=403)) from exc
            raise
        except RateLimitedError as exc:
            raise BlockedError(BLOCKED_MESSAGE.format(status=429)) from exc
