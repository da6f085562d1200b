"""Which recogniser a pasted URL goes to."""

from __future__ import annotations

from projects.platforms import Platform

from . import amazon, appstore, generic, google, googleplay, hackernews, reddit, steam, trustpilot, youtube
from .base import Recognition, UnrecognizedURL, parse_url, refuse

# Each module claims its hosts with matches(url) and then recognises or refuses the URL;
# no two modules claim the same host, so the order only matters for speed.
PLATFORM_MODULES = (amazon, youtube, reddit, steam, google, appstore, googleplay, hackernews, trustpilot)
HINTS = frozenset(Platform.values) - {Platform.FILE}


def recognize(url: str, *, hint: str | None = None) -> Recognition:
    """The target a pasted URL stands for, or ``UnrecognizedURL`` with the reason.

    ``hint`` is the target type the analyst chose, if any: ``"feed"`` or ``"web"`` take any
    http(s) URL as that generic type; a platform value refuses URLs of another platform.
    Without a hint, a platform link that is not a target of that platform but looks like a
    feed (``reddit.com/r/python/.rss``) is taken as a feed.
    Pure: no network, no database.
    """
    if hint is not None and hint not in HINTS:
        if hint == Platform.FILE:
            raise refuse("a file target is uploaded, not given as a URL", Platform.FILE)
        raise refuse(f"unknown target type '{hint}'")
    # Android's store links (market://details?id=...) are the app's web page in another scheme;
    # a package id pasted alone would otherwise pass for a host name.
    url = googleplay.from_market_link(url or "")
    googleplay.refuse_bare_package_id(url)
    parsed = parse_url(url)
    if hint == Platform.FEED:
        return generic.feed(parsed)
    if hint == Platform.WEB:
        return generic.page(parsed)
    module = next((m for m in PLATFORM_MODULES if m.matches(parsed)), generic)
    try:
        recognition = module.recognize(parsed)
    except UnrecognizedURL:
        # Platforms publish feeds too (a subreddit's .rss, a channel's videos.xml): a link
        # that is not a target of the platform's own kind but looks like a feed is a feed.
        if hint is None and generic.looks_like_feed(parsed):
            return generic.feed(parsed)
        raise
    if hint is not None and recognition.platform != hint:
        found, wanted = Platform(recognition.platform).label, Platform(hint).label
        raise refuse(f"this is a {found} link, but the target type chosen is {wanted}", recognition.platform)
    return recognition
