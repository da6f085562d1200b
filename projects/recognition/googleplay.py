"""Google Play apps.

Accepted, on play.google.com, m.play.google.com and the old market.android.com:

- ``/store/apps/details?id=PACKAGE`` with any other query (``hl``, ``gl``, ``showAllReviews=true``,
  ``reviewId=...``, tracking parameters), and the older ``/store/apps/details/NAME?id=PACKAGE``
- ``/store/apps/datasafety?id=PACKAGE`` (the app's data-safety page: the same app)
- ``market.android.com/details?id=PACKAGE``
- ``market://details?id=PACKAGE`` (the link Android apps open the store with): rewritten to
  its web form by :func:`from_market_link` before the URL is parsed, since only http(s)
  URLs are parsed.

``hl`` (language) and ``gl`` (country) become the target's ``language`` and ``country``
options and are part of the canonical URL: Google Play serves reviews per language, so one
app read in two languages is two targets (as one App Store app in two storefronts is).

Refused with the reason: developer pages, categories, collections, searches, books, films,
the store home page, links without an app id and ids that are no Android package name. A
bare package id (``com.spotify.music``) is no URL: :func:`refuse_bare_package_id` says how to
paste it. Short links (``play.app.goo.gl``) are not accepted: they are Firebase Dynamic Links,
which Google shut down, so they resolve nowhere.
"""

from __future__ import annotations

import re

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse

HOSTS = ("play.google.com", "m.play.google.com", "market.android.com")
DEFAULT_LANGUAGE = "en"
DEFAULT_COUNTRY = "us"
STORE_URL = "https://play.google.com/store/apps/details"
MAX_PACKAGE_LENGTH = 255

# Android's rule for an application id: two or more dot-separated names, each starting with
# a letter and made of letters, digits and underscores.
_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")
_LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_]([a-z]{2}|\d{3}|[a-z]{4}))?$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[a-z]{2}$", re.IGNORECASE)
_MARKET = re.compile(r"^market://(details|search|apps|dev)\b(.*)$", re.IGNORECASE | re.DOTALL)
# First names of reversed domains: a "host" starting with one of these is a package id.
_REVERSED_TLDS = frozenset({
    "com", "org", "net", "io", "co", "de", "fr", "uk", "us", "jp", "cn", "ru", "br", "in", "it",
    "es", "nl", "se", "no", "fi", "dk", "pl", "ch", "at", "be", "au", "ca", "kr", "tw", "me", "tv",
    "app", "dev", "ai", "gg", "edu", "gov", "info", "biz",
})  # fmt: skip

_NOT_AN_APP = {
    "dev": "this is a Google Play developer page, not an app: open one of its apps and paste that link",
    "developer": "this is a Google Play developer page, not an app: open one of its apps and paste that link",
    "category": "this is a Google Play category, not an app",
    "collection": "this is a Google Play list, not an app",
    "top": "this is a Google Play chart, not an app",
    "search": "this is a Google Play search, not an app: open an app and paste its link",
    "books": "this is a Google Play book, not an app",
    "movies": "this is a Google Play film, not an app",
    "tv": "this is a Google Play TV show, not an app",
    "music": "this is Google Play music, not an app",
    "games": "this is the Google Play games page, not an app: open a game and paste its link",
}


def matches(url: ParsedURL) -> bool:
    return url.host in HOSTS


def from_market_link(text: str) -> str:
    """``market://details?id=X`` as its play.google.com link; any other text unchanged.

    Other ``market://`` links (searches, developer pages) become their web pages too, so the
    refusal names what they are instead of the scheme.
    """
    match = _MARKET.match(text.strip())
    if not match:
        return text
    kind, rest = match.group(1).lower(), match.group(2)
    path = "/store/apps/details" if kind == "details" else f"/store/{'apps/dev' if kind == 'dev' else kind}"
    return f"https://play.google.com{path}{rest}"


def refuse_bare_package_id(text: str) -> None:
    """Refuse ``com.spotify.music`` pasted alone: it reads as a host name, but it is an app id."""
    text = text.strip()
    if "/" in text or ":" in text or not _PACKAGE.match(text):
        return
    first = text.split(".", 1)[0].lower()
    # Host names have no underscores; three names under a top-level domain read backwards
    # (com.spotify.music) are an Android package, not a server.
    if (text.count(".") >= 2 and first in _REVERSED_TLDS) or "_" in text:
        raise refuse(
            f"'{text}' looks like a Google Play package id, not a URL: paste the app's link, "
            f"{STORE_URL}?id={text}",
            Platform.GOOGLE_PLAY,
        )


def _language(url: ParsedURL) -> str:
    value = (url.param("hl") or "").strip()
    match = _LANGUAGE.match(value)
    if not match:
        return DEFAULT_LANGUAGE
    language, region = match.group(1).lower(), match.group(2)
    if not region:
        return language
    region = region.title() if len(region) == 4 else region.upper()
    return f"{language}-{region}"


def _country(url: ParsedURL) -> str:
    value = (url.param("gl") or "").strip()
    return value.lower() if _COUNTRY.match(value) else DEFAULT_COUNTRY


def _kind(url: ParsedURL) -> str:
    """What the path shows: ``details``, ``datasafety``, or the section it is in."""
    lowered = [s.lower() for s in url.segments]
    if url.host == "market.android.com":
        return lowered[0] if lowered else ""
    if lowered[:1] == ["store"]:
        lowered = lowered[1:]
    if lowered[:1] == ["apps"]:
        return lowered[1] if len(lowered) > 1 else "apps"
    return lowered[0] if lowered else ""


def recognize(url: ParsedURL) -> Recognition:
    """A Google Play app target, or ``UnrecognizedURL`` saying what kind of page it is."""
    kind = _kind(url)
    if kind not in ("details", "datasafety"):
        if kind in ("", "apps", "store"):
            raise refuse("this is the Google Play home page, not an app", Platform.GOOGLE_PLAY)
        raise refuse(
            _NOT_AN_APP.get(kind)
            or "no app in this Google Play URL: paste an app's page, like play.google.com/store/apps/details?id=com.example.app",
            Platform.GOOGLE_PLAY,
        )
    package = (url.param("id") or "").strip()
    if not package:
        raise refuse(
            "no app id in this Google Play URL: an app link has ?id= and the package name, "
            "like ?id=com.spotify.music",
            Platform.GOOGLE_PLAY,
        )
    if len(package) > MAX_PACKAGE_LENGTH or not _PACKAGE.match(package):
        raise refuse(
            f"'{package[:80]}' is not a valid Google Play package id: it is names joined by dots, "
            "like com.spotify.music",
            Platform.GOOGLE_PLAY,
        )
    language, country = _language(url), _country(url)
    return Recognition(
        platform=Platform.GOOGLE_PLAY,
        detected_type=DetectedType.APP,
        platform_data={"package_id": package, "country": country},
        canonical_url=f"{STORE_URL}?id={package}&hl={language}&gl={country}",
        label=f"Google Play app {package} ({language}, {country.upper()})",
        default_options={"language": language, "country": country, "sort_by": "newest"},
        url=url.url,
    )
