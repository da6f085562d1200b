"""Google Maps reviews of one place, through the Places API (Place Details).

``GET {google}/details/json?place_id=…&fields=name,rating,user_ratings_total,reviews,url&key=…``
with the user's key from the vault (``credentials["google_places"]``). The API returns at
most five reviews per place, whatever the place has; ``caveat`` says so on the target.

Places reviews have no id. A review is identified by its author's contributor id (a person
reviews a place once, and an edited review keeps it), or, when the author URL carries none,
by a hash of author name and time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from projects.platforms import CAVEATS, SORT_ORDERS, Platform
from scraping.collectors._dates import from_timestamp, in_window
from scraping.collectors._text import fallback_id
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    LayoutChangedError,
    Page,
    TargetSpec,
)

FIELDS = "name,rating,user_ratings_total,reviews,url"
SORTS = SORT_ORDERS[Platform.GOOGLE]
_CONTRIBUTOR = re.compile(r"/contrib/(\d+)")

MISSING_KEY = (
    "collecting Google reviews needs a Google Places API key: add one on the API keys page under "
    '"google_places" (Google Cloud console, Places API)'
)
# Place Details statuses other than OK -> what the user can do about them.
STATUS_MESSAGES = {
    "REQUEST_DENIED": 'Google refused the Places API key stored on the API keys page under "google_places"',
    "OVER_QUERY_LIMIT": "the Google Places API key is over its quota or has no billing account",
    "NOT_FOUND": "Google has no place with this id any more; re-add the place from its Maps URL",
    "INVALID_REQUEST": "Google rejected the request: the place id looks wrong",
    "UNKNOWN_ERROR": "Google's Places API had a server error; try again later",
}


def review_id(review: dict) -> str:
    """The contributor id from the author URL, else a hash of author name and time."""
    match = _CONTRIBUTOR.search(str(review.get("author_url") or ""))
    if match:
        return f"contrib-{match.group(1)}"
    moment = from_timestamp(float(review["time"])) if review.get("time") else None
    return fallback_id(str(review.get("author_name") or ""), moment, "")


def map_review(review: dict, place: dict) -> CollectedItem:
    """One review of a Place Details result as a collected item."""
    try:
        created = from_timestamp(float(review["time"]))
        rating = review.get("rating")
        rating = float(rating) if rating is not None else None
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutChangedError(f"a Google review lacks {exc}") from exc
    metadata = {
        "language": review.get("language"),
        "original_language": review.get("original_language"),
        "translated": review.get("translated"),
        "relative_time_description": review.get("relative_time_description"),
        "author_url": review.get("author_url"),
        "place_name": place.get("name"),
        "place_rating": place.get("rating"),
        "place_ratings_total": place.get("user_ratings_total"),
    }
    return CollectedItem(
        platform_id=review_id(review),
        text=str(review.get("text") or "").strip(),
        author=str(review.get("author_name") or ""),
        rating=rating,
        date=created,
        url=str(place.get("url") or review.get("author_url") or ""),
        metadata={key: value for key, value in metadata.items() if value is not None},
    )


class GooglePlacesCollector(Collector):
    platform = Platform.GOOGLE
    credential_providers = ("google_places",)
    caveat = CAVEATS[Platform.GOOGLE]

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """A single page: the (up to five) reviews Place Details returns."""
        key = self.credential(ctx, "google_places", MISSING_KEY)
        place_id = self.identifier(
            target, "place_id", "this Google target has no place id; re-add it from the place's Maps URL"
        )
        sort = str(target.options.get("sort_by") or "newest").lower()
        if sort not in SORTS:
            raise CollectorError(f"Google review order must be one of {', '.join(SORTS)}, not {sort!r}")
        params = {
            "place_id": place_id,
            "fields": FIELDS,
            "reviews_sort": sort,
            # Original texts: sentiment and language detection work on what people wrote.
            "reviews_no_translations": "true",
            "key": key,
        }
        if target.options.get("language"):
            params["language"] = str(target.options["language"])
        before = ctx.http.requests_made
        data = ctx.http.get_json(f"{self.base_url('google')}/details/json", params=params)
        place = self._result(data)
        reviews = place.get("reviews") or []
        if not isinstance(reviews, list):
            raise LayoutChangedError("Google's result.reviews is no longer a list")
        items = [map_review(review, place) for review in reviews]
        yield Page(
            items=[item for item in items if in_window(item.date, ctx)],
            next_cursor=None,
            requests_made=ctx.http.requests_made - before,
            target_name=str(place.get("name") or "").strip(),
        )

    @staticmethod
    def _result(data: Any) -> dict:
        if not isinstance(data, dict) or "status" not in data:
            raise LayoutChangedError("the Place Details answer has no status")
        status = data["status"]
        if status != "OK":
            message = STATUS_MESSAGES.get(status, f"Google answered {status}")
            detail = data.get("error_message")
            raise CollectorError(f"{message} ({detail})" if detail else message)
        result = data.get("result")
        if not isinstance(result, dict):
            raise LayoutChangedError("the Place Details answer has no result")
        return result
