"""Targets on any other host: RSS/Atom feeds and web pages read with CSS selectors.

A URL is a feed when the analyst says so (``hint="feed"``) or when it looks like one:

- the path ends with ``.rss``, ``.xml``, ``.atom`` or ``.rdf`` (``/feed.xml``, ``/index.rss``)
- the last path segment is ``feed``, ``rss``, ``atom`` or ``rss2`` (``/blog/feed/``)
- the query asks for one (``?feed=rss2``, ``?format=rss``, ``?output=rss``)

Anything else is a web page (detected type ``page``); its form asks for the CSS selectors
of the reviews. ``platform_data`` holds ``feed_url`` / ``page_url``: the link without
tracking parameters or fragment, its trailing slash kept since some servers care. The
``canonical_url`` also drops a trailing slash, so ``/reviews/`` and ``/reviews`` are one
target. Whether the host resolves to a public address is checked when it is fetched.
"""

from __future__ import annotations

import contextlib

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, clean_url

FEED_EXTENSIONS = (".rss", ".xml", ".atom", ".rdf")
FEED_SEGMENTS = ("feed", "rss", "atom", "rss2")
FEED_QUERY = {"feed": ("rss", "rss2", "atom", "rdf"), "format": ("rss", "atom"), "output": ("rss", "atom")}
MAX_LABEL = 80


def looks_like_feed(url: ParsedURL) -> bool:
    last = url.segments[-1].lower() if url.segments else ""
    if last.endswith(FEED_EXTENSIONS) or last in FEED_SEGMENTS:
        return True
    return any((url.param(name) or "").lower() in values for name, values in FEED_QUERY.items())


def _short(url: ParsedURL) -> str:
    """host + path for a label: no scheme, www. or trailing slash, cut at ``MAX_LABEL``."""
    host = url.host.removeprefix("www.")
    # Labels show internationalised names as people write them; invalid punycode stays ASCII.
    with contextlib.suppress(UnicodeError):
        host = host.encode("ascii").decode("idna")
    text = host + url.decoded_path.rstrip("/")
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def feed(url: ParsedURL) -> Recognition:
    """An RSS/Atom feed target."""
    return Recognition(
        platform=Platform.FEED,
        detected_type=DetectedType.FEED,
        platform_data={"feed_url": clean_url(url)},
        canonical_url=clean_url(url, strip_trailing_slash=True),
        label=f"Feed {_short(url)}",
        default_options={},
        url=url.url,
    )


def page(url: ParsedURL) -> Recognition:
    """A web page target; it needs CSS selectors before it can be collected."""
    return Recognition(
        platform=Platform.WEB,
        detected_type=DetectedType.PAGE,
        platform_data={"page_url": clean_url(url)},
        canonical_url=clean_url(url, strip_trailing_slash=True),
        label=_short(url),
        default_options={},
        url=url.url,
    )


def recognize(url: ParsedURL) -> Recognition:
    """A feed when the URL looks like one, else a web page."""
    return feed(url) if looks_like_feed(url) else page(url)
