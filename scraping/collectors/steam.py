"""Steam user reviews, from the store's public review endpoint.

``GET {steam}/appreviews/{app_id}?json=1&cursor=*&num_per_page=100&filter=recent
&language=all&purchase_type=all`` returns a page of reviews and the cursor of the next
page. The first page also carries ``query_summary.total_reviews``, the number of reviews
matching the query, which becomes ``Page.reported_total``.

Steam reviews are thumbs up or down, not stars. The item's ``rating`` puts them on the
five-point scale the other platforms use, 5.0 for a recommendation and 1.0 for a
thumbs-down, so averages and charts across platforms stay comparable; ``metadata.voted_up``
keeps the original answer.

Target options: ``language`` (Steam's language name, e.g. ``english``; default ``all``),
``sort_by`` or ``filter`` (``recent`` (default), ``updated`` or ``all``), and in a ``filter``
dict also ``review_type`` (``all``/``positive``/``negative``) and ``purchase_type``
(``all``/``steam``/``non_steam_purchase``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from projects.platforms import SORT_ORDERS, Platform
from scraping.collectors._dates import from_timestamp, in_window, older_than_window
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)

FIRST_CURSOR = "*"
PAGE_SIZE = 100  # the endpoint's maximum
STEAM_COMMUNITY = "https://steamcommunity.com"

REVIEW_TYPES = ("all", "positive", "negative")
PURCHASE_TYPES = ("all", "steam", "non_steam_purchase")

RATING_UP = 5.0
RATING_DOWN = 1.0


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    value = str(value).strip().lower()
    if value not in allowed:
        raise CollectorError(f"Steam {name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def query_options(options: dict) -> dict[str, str]:
    """The endpoint's query parameters for a target's options (validated)."""
    extra = options.get("filter")
    extra = extra if isinstance(extra, dict) else {}
    sort = options.get("sort_by") or extra.get("filter")
    if not sort and isinstance(options.get("filter"), str):
        sort = options["filter"]
    return {
        "filter": _choice(sort or "recent", SORT_ORDERS[Platform.STEAM], "sort order"),
        "language": str(options.get("language") or extra.get("language") or "all").strip().lower(),
        "review_type": _choice(extra.get("review_type") or "all", REVIEW_TYPES, "review type"),
        "purchase_type": _choice(extra.get("purchase_type") or "all", PURCHASE_TYPES, "purchase type"),
    }


def map_review(review: dict, app_id: str) -> CollectedItem:
    """One review object of the endpoint as a collected item."""
    try:
        review_id = str(review["recommendationid"])
        voted_up = bool(review["voted_up"])
        created = from_timestamp(float(review["timestamp_created"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutChangedError(f"a Steam review lacks {exc}") from exc
    author = review.get("author") or {}
    steam_id = str(author.get("steamid") or "")
    updated = review.get("timestamp_updated")
    metadata = {
        "voted_up": voted_up,
        "votes_up": review.get("votes_up"),
        "votes_funny": review.get("votes_funny"),
        "weighted_vote_score": _float(review.get("weighted_vote_score")),
        "comment_count": review.get("comment_count"),
        "language": review.get("language"),
        "steam_purchase": review.get("steam_purchase"),
        "received_for_free": review.get("received_for_free"),
        "written_during_early_access": review.get("written_during_early_access"),
        # Minutes, as Steam reports them.
        "playtime_forever": author.get("playtime_forever"),
        "playtime_last_two_weeks": author.get("playtime_last_two_weeks"),
        "playtime_at_review": author.get("playtime_at_review"),
        "author_num_games_owned": author.get("num_games_owned"),
        "author_num_reviews": author.get("num_reviews"),
        "primarily_steam_deck": review.get("primarily_steam_deck"),
        "developer_response": review.get("developer_response"),
        "updated_at": from_timestamp(float(updated)).isoformat() if updated else None,
    }
    return CollectedItem(
        platform_id=review_id,
        text=str(review.get("review") or "").strip(),
        author=steam_id,
        rating=RATING_UP if voted_up else RATING_DOWN,
        date=created,
        url=f"{STEAM_COMMUNITY}/profiles/{steam_id}/recommended/{app_id}/" if steam_id else "",
        metadata={key: value for key, value in metadata.items() if value is not None},
    )


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class SteamCollector(Collector):
    platform = Platform.STEAM

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """Pages of reviews from ``cursor`` (``*``: the newest) until Steam has no more.

        Stops when a page is empty, when Steam hands back a cursor it already gave
        (it sometimes does at the end, which would otherwise loop forever), or when a
        newest-first listing passes ``ctx.date_from``.
        """
        app_id = str(target.platform_data.get("app_id") or "").strip()
        if not app_id.isdigit():
            raise CollectorError("this Steam target has no app id; re-add it from its store URL")
        url = f"{self.base_url('steam')}/appreviews/{app_id}"
        params = {"json": "1", "num_per_page": str(PAGE_SIZE), **query_options(target.options)}
        newest_first = params["filter"] == "recent"
        current = cursor or FIRST_CURSOR
        seen = {current}
        while True:
            before = ctx.http.requests_made
            data = ctx.http.get_json(url, params={**params, "cursor": current})
            reviews, next_cursor, total = self._parse_page(data, app_id)
            items = [item for item in reviews if in_window(item.date, ctx)]
            stop = not reviews or not next_cursor or next_cursor in seen
            if newest_first and any(older_than_window(item.date, ctx) for item in reviews):
                stop = True
            yield Page(
                items=items,
                next_cursor=None if stop else next_cursor,
                reported_total=total,
                requests_made=ctx.http.requests_made - before,
            )
            if stop:
                return
            seen.add(next_cursor)
            current = next_cursor

    def fetch_name(self, target: TargetSpec, ctx: FetchContext) -> str:
        """The game's name from the store's ``appdetails`` (the review endpoint has none)."""
        app_id = str(target.platform_data.get("app_id") or "").strip()
        if not app_id.isdigit():
            return ""
        data = ctx.http.get_json(
            f"{self.base_url('steam')}/api/appdetails", params={"appids": app_id, "filters": "basic"}
        )
        entry = data.get(app_id) if isinstance(data, dict) else None
        details = entry.get("data") if isinstance(entry, dict) and entry.get("success") else None
        return str(details.get("name") or "").strip() if isinstance(details, dict) else ""

    @staticmethod
    def _parse_page(data: Any, app_id: str) -> tuple[list[CollectedItem], str | None, int | None]:
        if not isinstance(data, dict):
            raise LayoutChangedError("the Steam review endpoint did not answer a JSON object")
        if data.get("success") != 1:
            raise CollectorError(
                f"Steam refused the review query for app {app_id} (success={data.get('success')!r}); "
                "check the app id"
            )
        reviews = data.get("reviews")
        if reviews is None:
            reviews = []
        if not isinstance(reviews, list):
            raise LayoutChangedError("Steam's 'reviews' is no longer a list")
        summary = data.get("query_summary") or {}
        total = summary.get("total_reviews")
        next_cursor = data.get("cursor")
        return (
            [map_review(review, app_id) for review in reviews],
            str(next_cursor) if next_cursor else None,
            int(total) if isinstance(total, int | float) else None,
        )
