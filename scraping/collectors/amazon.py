"""Amazon product reviews.

Three ways to the same reviews, chosen by ``target.options["commercial_provider"]``:

* ``None``: the review pages fetched directly
  (``{amazon}/product-reviews/{asin}/?pageNumber=N&sortBy=recent``). Amazon often
  answers automated clients with a robot check or a sign-in page; both are reported as
  a clear error that points at the providers below.
* ``"scraperapi"``: the same pages fetched through ScraperAPI
  (``{scraperapi}/?api_key=KEY&url=ENCODED_PAGE_URL``), parsed the same way.
* ``"apify"``: an Apify actor that scrapes the reviews itself, run synchronously
  (``run-sync-get-dataset-items``); its dataset items are mapped here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

from bs4 import BeautifulSoup, Tag

from projects.platforms import CAVEATS, Platform
from scraping.collectors._dates import in_window, older_than_window, parse_date, parse_prose_date
from scraping.collectors._text import fallback_id, parse_count, parse_number, squash
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

DEFAULT_APIFY_ACTOR = "junglee~amazon-reviews-scraper"
PROVIDERS = ("scraperapi", "apify")

ROBOT_CHECK_MESSAGE = "Amazon answered with a robot check; configure ScraperAPI or Apify"
SIGN_IN_MESSAGE = "Amazon asked for a sign-in before showing reviews; configure ScraperAPI or Apify"

# "Reviewed in the United States on March 3, 2024" and its translations on the
# other storefronts: (country, date) in that order.
_REVIEWED_IN = [
    re.compile(r"^Reviewed in (?:the )?(?P<country>.+?) on (?P<date>.+)$", re.IGNORECASE),
    re.compile(r"^Rezension aus (?:der |dem |den )?(?P<country>.+?) vom (?P<date>.+)$", re.IGNORECASE),
    re.compile(r"^Comment[ée] (?:en |au |aux |à |a )?(?P<country>.+?) le (?P<date>.+)$", re.IGNORECASE),
    re.compile(r"^Calificad[oa] en (?P<country>.+?) el (?P<date>.+)$", re.IGNORECASE),
    re.compile(r"^Recensito in (?P<country>.+?) (?:il|l') ?(?P<date>.+)$", re.IGNORECASE),
    re.compile(r"^Beoordeeld in (?P<country>.+?) op (?P<date>.+)$", re.IGNORECASE),
]
# Inside a title or body: Amazon's translation, star icons, spacers and the "Read more" expander.
_NOT_REVIEW_TEXT = (
    ".cr-translated-review-content, .a-icon-alt, .a-letter-space, .a-expander-header, i, script, style"
)
_HELPFUL_ONE = re.compile(r"^(one|eine|une|una|uno|een)\b", re.IGNORECASE)
_WITH_REVIEWS = re.compile(
    r"([\d.,\u00a0\u202f ]+)\s*(?:with reviews|mit Rezensionen|avec avis|avec commentaires|con reseñas|"
    r"con recensioni|met reviews)",
    re.IGNORECASE,
)
_SHOWING_OF = re.compile(r"\b(?:of|von|sur|de|di|van)\s+([\d.,\u00a0\u202f]+)\s+\w+", re.IGNORECASE)


class RobotCheckError(CollectorError):
    """Amazon showed a CAPTCHA or a sign-in page instead of reviews."""


def parse_reviewed_in(text: str) -> tuple[str, datetime | None]:
    """Country and UTC date of a "Reviewed in <country> on <date>" line, in any
    storefront language; the country is "" when the line has none."""
    text = squash(text)
    for pattern in _REVIEWED_IN:
        match = pattern.match(text)
        if match:
            return match.group("country").strip(), parse_prose_date(match.group("date"))
    return "", parse_prose_date(text)


def parse_helpful_votes(text: str) -> int:
    """Helpful votes from "12 people found this helpful" / "One person found this helpful"."""
    text = squash(text)
    if not text:
        return 0
    if _HELPFUL_ONE.match(text):
        return 1
    return parse_count(text) or 0


def _is_robot_check(soup: BeautifulSoup) -> bool:
    if soup.select_one('form[action*="validateCaptcha"], #captchacharacters'):
        return True
    title = soup.title.get_text() if soup.title else ""
    return "robot check" in title.lower()


def _is_sign_in(soup: BeautifulSoup) -> bool:
    return bool(soup.select_one('form[name="signIn"], input#ap_email, input[name="email"][type="email"]'))


def _reported_total(soup: BeautifulSoup) -> int | None:
    """The review count Amazon shows above the list (reviews with text, not star-only ratings)."""
    info = soup.select_one(
        '[data-hook="cr-filter-info-review-rating-count"], [data-hook="cr-filter-info-section"]'
    )
    if info:
        text = squash(info.get_text(" "))
        match = _WITH_REVIEWS.search(text) or _SHOWING_OF.search(text)
        if match:
            return parse_count(match.group(1))
    total = soup.select_one('[data-hook="total-review-count"]')
    return parse_count(total.get_text()) if total else None


def _original_text(node: Tag | None) -> str:
    """Text of a title or body, preferring the reviewer's original over Amazon's translation."""
    if node is None:
        return ""
    original = node.select_one(".cr-original-review-content")
    if original is not None:
        node = original
    else:
        for hidden in node.select(_NOT_REVIEW_TEXT):
            hidden.decompose()
    for br in node.find_all("br"):
        br.replace_with("\n")
    return squash(node.get_text())


def _review_item(element: Tag, site: str, asin: str) -> CollectedItem | None:
    review_id = element.get("id") or ""
    review_id = review_id.removeprefix("customer_review-")
    author_node = element.select_one(".a-profile-name")
    author = squash(author_node.get_text()) if author_node else ""
    stars = element.select_one(
        '[data-hook="review-star-rating"] .a-icon-alt, [data-hook="cmps-review-star-rating"] .a-icon-alt'
    )
    rating = parse_number(stars.get_text()) if stars else None
    title = _original_text(element.select_one('[data-hook="review-title"]'))
    body = _original_text(element.select_one('[data-hook="review-body"]'))
    date_node = element.select_one('[data-hook="review-date"]')
    country, moment = parse_reviewed_in(date_node.get_text()) if date_node else ("", None)
    text = body or title
    if not text:
        return None
    variant_node = element.select_one('[data-hook="format-strip"]')
    if variant_node:
        for separator in variant_node.select(".a-icon-text-separator"):
            separator.replace_with(" | ")
    helpful = element.select_one('[data-hook="helpful-vote-statement"]')
    metadata = {
        "asin": asin,
        "verified_purchase": bool(element.select_one('[data-hook^="avp-badge"]')),
        "helpful_votes": parse_helpful_votes(helpful.get_text()) if helpful else 0,
        "country": country,
    }
    if variant_node:
        metadata["variant"] = squash(variant_node.get_text())
    if element.select_one('[data-hook="vine-badge"], .a-color-success.a-text-bold'):
        metadata["vine"] = True
    if element.select_one('[data-hook="cmps-review-star-rating"], [id^="customer_review_foreign-"]'):
        # "Top reviews from other countries": not part of this storefront's date order.
        metadata["other_storefront"] = True
    platform_id = review_id or fallback_id(author, moment, text)
    return CollectedItem(
        platform_id=platform_id,
        text=text,
        title=title if body else "",
        author=author,
        rating=rating,
        date=moment,
        url=f"{site}/gp/customer-reviews/{review_id}" if review_id else f"{site}/product-reviews/{asin}",
        metadata=metadata,
    )


def parse_reviews_page(html: str, site: str, asin: str) -> tuple[list[CollectedItem], bool, int | None]:
    """Items, whether a next page exists, and the reported review count of one
    review page. Raises ``RobotCheckError`` for a CAPTCHA or sign-in page and
    ``LayoutChangedError`` when reviews should be there but none are found."""
    soup = BeautifulSoup(html, "lxml")
    if _is_robot_check(soup):
        raise RobotCheckError(ROBOT_CHECK_MESSAGE)
    reported = _reported_total(soup)
    elements = soup.select('[data-hook="review"]')
    if not elements and _is_sign_in(soup):
        raise RobotCheckError(SIGN_IN_MESSAGE)
    items = [item for item in (_review_item(element, site, asin) for element in elements) if item]
    if not items:
        no_reviews = soup.select_one('[data-hook="cr-filter-info-review-rating-count"], #cm_cr-review_list')
        if reported or not no_reviews:
            raise LayoutChangedError(f"Amazon review page for {asin} has no review elements")
    next_link = soup.select_one("ul.a-pagination li.a-last:not(.a-disabled) a[href]")
    return items, next_link is not None, reported


def product_title(html: str) -> str:
    """The product's name on a review page: its product link, else the page title after
    Amazon's "Customer reviews:" prefix; "" when neither is there."""
    soup = BeautifulSoup(html, "lxml")
    link = soup.select_one('[data-hook="product-link"]')
    if link is not None and link.get_text(strip=True):
        return squash(link.get_text(" ", strip=True))
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    _, colon, name = title.rpartition(":")
    return squash(name) if colon and name.strip() else ""


def map_apify_item(row: dict, site: str, asin: str) -> CollectedItem | None:
    """One dataset item of an Amazon reviews actor. Actors name fields differently;
    the common spellings are accepted."""

    def first(*keys: str) -> object:
        for key in keys:
            value = row.get(key)
            if value not in (None, ""):
                return value
        return None

    text = squash(str(first("reviewDescription", "reviewText", "text", "body", "content") or ""))
    title = squash(str(first("reviewTitle", "title", "headline") or ""))
    author = squash(str(first("userName", "reviewerName", "author", "name") or ""))
    reviewed_in = str(first("reviewedIn", "dateText") or "")
    country, moment = parse_reviewed_in(reviewed_in) if reviewed_in else ("", None)
    moment = parse_date(first("date", "reviewDate", "publishedAt")) or moment
    country = str(first("country") or country or "")
    text = text or title
    if not text:
        return None
    review_id = str(first("reviewId", "id") or "")
    helpful = first("helpfulVotes", "helpfulCount", "reviewReaction")
    verified = first("isVerified", "verified", "verifiedPurchase")
    metadata = {
        "asin": str(first("productAsin", "asin") or asin),
        "verified_purchase": _truthy(verified),
        "helpful_votes": helpful if isinstance(helpful, int) else parse_helpful_votes(str(helpful or "")),
        "country": country,
    }
    if first("variant", "variantName"):
        metadata["variant"] = squash(str(first("variant", "variantName")))
    url = str(first("reviewUrl", "url") or "")
    if not url:
        url = f"{site}/gp/customer-reviews/{review_id}" if review_id else f"{site}/product-reviews/{asin}"
    return CollectedItem(
        platform_id=review_id or fallback_id(author, moment, text),
        text=text,
        title=title if text != title else "",
        author=author,
        rating=parse_number(first("ratingScore", "rating", "stars")),
        date=moment,
        url=url,
        metadata=metadata,
    )


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "verified", "verified purchase")
    return bool(value)


class AmazonCollector(Collector):
    platform = Platform.AMAZON.value
    caveat = CAVEATS[Platform.AMAZON]

    def credentials_needed(self, target: TargetSpec) -> tuple[str, ...]:
        provider = target.options.get("commercial_provider")
        return (provider,) if provider in PROVIDERS else ()

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        asin = str(target.platform_data.get("asin") or "").strip()
        if not asin:
            raise CollectorError("the target has no ASIN: add it again from an Amazon product URL")
        provider = target.options.get("commercial_provider") or None
        if provider not in (None, *PROVIDERS):
            raise CollectorError(f"unknown commercial provider {provider!r}; use ScraperAPI or Apify")
        site = self.site_url(target)
        if provider == "apify":
            yield self._apify_page(target, ctx, site, asin)
            return
        yield from self._review_pages(
            target, ctx, site=site, asin=asin, provider=provider, page=int(cursor or 1)
        )

    @classmethod
    def site_url(cls, target: TargetSpec) -> str:
        """The storefront of the target (``https://www.amazon.de`` for tld ``de``)."""
        tld = str(target.platform_data.get("tld") or "com").strip(".").lower()
        return cls.base_url("amazon").replace("{tld}", tld)

    @staticmethod
    def review_page_url(site: str, asin: str, page: int, sort_by: str = "recent") -> str:
        query = urlencode({"pageNumber": page, "sortBy": sort_by})
        return f"{site}/product-reviews/{asin}/?{query}"

    def _review_pages(
        self,
        target: TargetSpec,
        ctx: FetchContext,
        *,
        site: str,
        asin: str,
        provider: str | None,
        page: int,
    ) -> Iterator[Page]:
        sort_by = target.options.get("sort_by") or "recent"
        collected = 0
        while True:
            page_url = self.review_page_url(site, asin, page, sort_by)
            html = self._fetch(ctx, target, page_url, provider)
            items, has_next, reported = parse_reviews_page(html, site, asin)
            collected += len(items)
            stop = not has_next or collected >= ctx.max_items
            local = [item for item in items if not item.metadata.get("other_storefront")]
            if sort_by == "recent" and local and older_than_window(local[-1].date, ctx):
                stop = True
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=None if stop else str(page + 1),
                reported_total=reported,
                target_name=product_title(html) if not collected - len(items) else "",
            )
            if stop:
                return
            page += 1

    @staticmethod
    def _fetch(ctx: FetchContext, target: TargetSpec, page_url: str, provider: str | None) -> str:
        if provider is None:
            try:
                return ctx.http.get_text(page_url)
            except HttpStatusError as exc:
                # Amazon's answer to clients it takes for robots is often a bare 503.
                if exc.status == 503:
                    raise RobotCheckError(f"{ROBOT_CHECK_MESSAGE} (HTTP 503)") from exc
                raise
        key = ctx.credentials.get("scraperapi")
        if not key:
            raise MissingCredentialError(
                "ScraperAPI is selected for this Amazon target but no ScraperAPI key is stored"
            )
        params = {"api_key": key, "url": page_url}
        options = target.options
        if options.get("render"):
            params["render"] = "true"
        if options.get("country_code"):
            params["country_code"] = str(options["country_code"]).lower()
        if options.get("premium"):
            params["premium"] = "true"
        try:
            return ctx.http.get_text(f"{Collector.base_url('scraperapi')}/", params=params)
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                raise CollectorError(
                    f"ScraperAPI refused the stored key (HTTP {exc.status}); check it in the API keys page"
                ) from exc
            raise

    def _apify_page(self, target: TargetSpec, ctx: FetchContext, site: str, asin: str) -> Page:
        token = ctx.credentials.get("apify")
        if not token:
            raise MissingCredentialError(
                "Apify is selected for this Amazon target but no Apify token is stored"
            )
        actor = str(target.options.get("apify_actor") or DEFAULT_APIFY_ACTOR).replace("/", "~")
        payload = {
            "productUrls": [{"url": f"{site}/dp/{asin}"}],
            "maxReviews": ctx.max_items,
            "sort": target.options.get("sort_by") or "recent",
        }
        try:
            rows = ctx.http.post_json(
                f"{self.base_url('apify')}/acts/{actor}/run-sync-get-dataset-items",
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
            )
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                raise CollectorError(
                    f"Apify refused the stored token (HTTP {exc.status}); check it in the API keys page"
                ) from exc
            if exc.status == 404:
                raise CollectorError(f"the Apify actor {actor!r} does not exist") from exc
            raise
        if not isinstance(rows, list):
            raise LayoutChangedError("the Apify actor did not return a list of dataset items")
        items = [
            item
            for item in (map_apify_item(row, site, asin) for row in rows if isinstance(row, dict))
            if item
        ]
        if rows and not items:
            raise LayoutChangedError("the Apify actor returned items without review text")
        return Page(items=[item for item in items if in_window(item.date, ctx)], next_cursor=None)
