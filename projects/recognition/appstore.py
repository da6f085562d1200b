"""App Store apps.

Accepted, on apps.apple.com and itunes.apple.com:

- ``/CC/app/NAME/idNUMBER`` with any query (``?mt=8``, ``?platform=iphone``, ``?see-all=reviews``)
  and percent-encoded names, ``/CC/app/idNUMBER``, ``/app/NAME/idNUMBER`` (country ``us``)
- ``itunes.apple.com/WebObjects/MZStore.woa/wa/viewSoftware?id=NUMBER`` (old links)

The country is part of the target: Apple keeps reviews per storefront, so one app in two
countries is two targets. Refused with the reason: developer pages, app bundles, editorial
stories, charts and lists, links without an app id and malformed ids.
"""

from __future__ import annotations

import re

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse

HOSTS = ("apps.apple.com", "itunes.apple.com", "geo.itunes.apple.com")
DEFAULT_COUNTRY = "us"
_COUNTRY = re.compile(r"^[a-z]{2}$")
_APP_ID = re.compile(r"^id(\d{1,12})$", re.IGNORECASE)

_NOT_AN_APP = {
    "developer": "this is an App Store developer page, not an app: open one of its apps and paste that link",
    "app-bundle": "this is an App Store app bundle, not an app",
    "story": "this is an App Store story, not an app",
    "charts": "this is an App Store chart, not an app",
    "collection": "this is an App Store list, not an app",
    "room": "this is an App Store list, not an app",
    "genre": "this is an App Store category, not an app",
}


def matches(url: ParsedURL) -> bool:
    return url.host in HOSTS


def _app_id(url: ParsedURL, segments: tuple[str, ...]) -> str:
    for segment in segments[1:]:
        match = _APP_ID.match(segment)
        if match:
            return match.group(1)
    # "/app/name/idXYZ": the last segment is where the id belongs.
    last = segments[-1] if len(segments) > 1 else ""
    if last.lower().startswith("id") and (len(segments) > 2 or any(c.isdigit() for c in last)):
        raise refuse(
            f"'{last}' is not a valid App Store app ID: it is 'id' and a number, like id389801252",
            Platform.APPSTORE,
        )
    raise refuse("no app ID in this App Store URL: an app link ends with id and a number", Platform.APPSTORE)


def recognize(url: ParsedURL) -> Recognition:
    """An App Store app target, or ``UnrecognizedURL`` saying what kind of page it is."""
    segments = url.segments
    country = DEFAULT_COUNTRY
    if segments and _COUNTRY.match(segments[0].lower()):
        country, segments = segments[0].lower(), segments[1:]
    kind = segments[0].lower() if segments else ""
    if kind == "app":
        app_id = _app_id(url, segments)
    elif kind == "webobjects" and (url.param("id") or "").isdigit():
        app_id = url.param("id") or ""
    elif kind in _NOT_AN_APP:
        raise refuse(_NOT_AN_APP[kind], Platform.APPSTORE)
    else:
        raise refuse("no app in this App Store URL: paste an app's page link", Platform.APPSTORE)
    number = int(app_id)
    if number <= 0:
        raise refuse(f"'id{app_id}' is not a valid App Store app ID", Platform.APPSTORE)
    return Recognition(
        platform=Platform.APPSTORE,
        detected_type=DetectedType.APP,
        platform_data={"app_id": number, "country": country},
        canonical_url=f"https://apps.apple.com/{country}/app/id{number}",
        label=f"App Store app {number} ({country.upper()})",
        default_options={"country": country},
        url=url.url,
    )
