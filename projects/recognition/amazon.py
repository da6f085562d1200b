"""Amazon products.

Accepted, on every marketplace of ``MARKETPLACES`` (bare, www., smile. or m. host):

- ``/dp/ASIN``, ``/<slug>/dp/ASIN``, ``/dp/product/ASIN``, ``/-/<lang>/dp/ASIN``
- ``/gp/product/ASIN``, ``/gp/aw/d/ASIN`` (mobile), ``/gp/offer-listing/ASIN``
- ``/product-reviews/ASIN``, ``/<slug>/product-reviews/ASIN``, ``/gp/product-reviews/ASIN``
- ``/exec/obidos/ASIN/ASIN`` (old links), ``?asin=ASIN`` on any other page
- ``amzn.com/ASIN`` and ``amzn.com/dp/ASIN`` (the ASIN is in the link)
- short links ``amzn.to/CODE``, ``amzn.eu/d/CODE``, ``amzn.asia/d/CODE``, ``a.co/d/CODE``:
  which product they lead to is known only by following the redirect, which needs the
  network. They are recognised as an Amazon product with ``platform_data.short_link`` and
  ``needs_resolution=True``, and without a country.

Refused with the reason: search results, category, best-seller, brand-store, wish-list,
cart and profile pages, the home page, links without an ASIN and malformed ASINs.
"""

from __future__ import annotations

import re

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse, slug_name

# Marketplace domain (after "amazon.") -> ISO 3166 country, lower-case.
MARKETPLACES = {
    "com": "us", "ca": "ca", "com.mx": "mx", "com.br": "br", "co.uk": "gb", "de": "de", "fr": "fr",
    "it": "it", "es": "es", "nl": "nl", "se": "se", "pl": "pl", "com.be": "be", "com.tr": "tr",
    "ae": "ae", "sa": "sa", "eg": "eg", "in": "in", "co.jp": "jp", "sg": "sg", "com.au": "au",
    "co.za": "za", "cn": "cn",
}  # fmt: skip
# Other subdomains (aws., developer., music., ...) are not the shop.
STORE_SUBDOMAINS = ("", "www", "smile", "m")
SHORT_HOSTS = ("amzn.to", "amzn.eu", "amzn.asia", "a.co")
ASIN_HOSTS = ("amzn.com", "www.amzn.com")

ASIN = re.compile(r"^(?:B[0-9A-Z]{9}|\d{9}[\dX])$")
_ASIN_IN_PATH = re.compile(
    r"/(?:dp(?:/product)?|gp/product|gp/aw/d|gp/offer-listing|product-reviews|gp/product-reviews"
    r"|exec/obidos/asin|o/asin)/([^/]+)",
    re.IGNORECASE,
)
_MARKETPLACE_HOST = re.compile(r"^(?:([a-z0-9-]+)\.)?amazon\.([a-z.]+)$")

# (path prefix, message) for Amazon pages that are not a product.
_NOT_PRODUCT = (
    (("s",), "this looks like an Amazon search page, not a product"),
    (("gp", "search"), "this looks like an Amazon search page, not a product"),
    (("b",), "this looks like an Amazon category page, not a product"),
    (("gp", "browse.html"), "this looks like an Amazon category page, not a product"),
    (("gp", "bestsellers"), "this is an Amazon best-seller list, not a product"),
    (("zgbs",), "this is an Amazon best-seller list, not a product"),
    (("gp", "new-releases"), "this is an Amazon best-seller list, not a product"),
    (("stores",), "this is an Amazon brand store, not a product"),
    (("hz", "wishlist"), "this is an Amazon wish list, not a product"),
    (("gp", "registry"), "this is an Amazon wish list, not a product"),
    (("gp", "cart"), "this is the Amazon shopping cart, not a product"),
    (("gp", "profile"), "this is an Amazon customer profile, not a product"),
)


def _marketplace(host: str) -> str | None:
    match = _MARKETPLACE_HOST.match(host)
    if match and match.group(2) in MARKETPLACES and (match.group(1) or "") in STORE_SUBDOMAINS:
        return match.group(2)
    return None


def matches(url: ParsedURL) -> bool:
    return url.host in SHORT_HOSTS or url.host in ASIN_HOSTS or _marketplace(url.host) is not None


def _short_link(url: ParsedURL) -> Recognition:
    if not url.segments or url.segments == ("d",):
        raise refuse(f"this {url.host} short link has no code", Platform.AMAZON)
    link = f"https://{url.host}{url.path.rstrip('/')}"
    return Recognition(
        platform=Platform.AMAZON,
        detected_type=DetectedType.PRODUCT,
        platform_data={"short_link": link},
        canonical_url=link,
        label=f"Amazon short link {url.host}{url.path.rstrip('/')}",
        default_options={"sort_by": "recent"},
        url=url.url,
        needs_resolution=True,
    )


def _not_a_product(url: ParsedURL) -> str:
    lowered = tuple(s.lower() for s in url.segments)
    if not lowered:
        return "this is the Amazon home page, not a product"
    for prefix, message in _NOT_PRODUCT:
        if lowered[: len(prefix)] == prefix:
            return message
    if url.param("k") is not None or url.param("field-keywords") is not None:
        return "this looks like an Amazon search page, not a product"
    if url.param("node") is not None:
        return "this looks like an Amazon category page, not a product"
    return "no product ID (ASIN) in this Amazon URL: a product link contains /dp/ followed by the ASIN"


def recognize(url: ParsedURL) -> Recognition:
    """An Amazon product target, or ``UnrecognizedURL`` saying what kind of page it is."""
    if url.host in SHORT_HOSTS:
        return _short_link(url)
    if url.host in ASIN_HOSTS:
        tld = "com"
        segments = url.segments[1:] if url.segments[:1] == ("dp",) else url.segments
        candidate = segments[0] if segments else None
    else:
        tld = _marketplace(url.host) or "com"
        match = _ASIN_IN_PATH.search(url.decoded_path)
        candidate = match.group(1) if match else url.param("asin")
    if not candidate:
        raise refuse(_not_a_product(url), Platform.AMAZON)
    asin = candidate.upper()
    if not ASIN.match(asin):
        raise refuse(
            f"'{candidate}' is not a valid ASIN: an ASIN is 10 letters and digits, like B08N5WRWNW",
            Platform.AMAZON,
        )
    country = MARKETPLACES[tld]
    return Recognition(
        platform=Platform.AMAZON,
        detected_type=DetectedType.PRODUCT,
        platform_data={"asin": asin, "country": country, "tld": tld},
        canonical_url=f"https://www.amazon.{tld}/dp/{asin}",
        label=f"Amazon.{tld} {asin}",
        default_options={"country": country, "sort_by": "recent"},
        url=url.url,
        name=_slug(url),
    )


def _slug(url: ParsedURL) -> str:
    """The product's name in a link: ``/Some-Product-Name/dp/B0...``."""
    lowered = [s.lower() for s in url.segments]
    if "dp" not in lowered or lowered.index("dp") == 0:
        return ""
    return slug_name(url.segments[lowered.index("dp") - 1])
