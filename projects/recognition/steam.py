"""Steam games.

Accepted:

- ``store.steampowered.com/app/ID``, ``/app/ID/Name/``, ``/agecheck/app/ID/``, ``/news/app/ID``,
  ``/appreviews/ID`` (the reviews endpoint itself), with any query (``snr=...`` and the like)
- ``steamcommunity.com/app/ID`` and everything below it (``/reviews/``, ``/discussions/``, ...)
- ``s.team/a/ID`` (Steam's own short links carry the app id)

Refused with the reason: packages (``/sub/``), bundles, user profiles (``/id/``, ``/profiles/``),
groups, Workshop items, curator, developer and publisher pages, search, the store home page,
links without an app id and ids that are not a positive 32-bit number.
"""

from __future__ import annotations

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse, slug_name

DOMAINS = ("steampowered.com", "steamcommunity.com")
MAX_APP_ID = 2**32 - 1

_NOT_AN_APP = {
    "sub": "this is a Steam package (sub), not an app: open one of its games and paste that link",
    "bundle": "this is a Steam bundle, not an app: open one of its games and paste that link",
    "id": "this is a Steam user profile, not an app",
    "profiles": "this is a Steam user profile, not an app",
    "groups": "this is a Steam group, not an app",
    "sharedfiles": "this is a Steam Workshop item, not an app",
    "workshop": "this is a Steam Workshop page, not an app",
    "curator": "this is a Steam curator page, not an app",
    "developer": "this is a Steam developer page, not an app",
    "publisher": "this is a Steam publisher page, not an app",
    "franchise": "this is a Steam franchise page, not an app",
    "search": "this is a Steam search page, not an app",
}


def matches(url: ParsedURL) -> bool:
    return url.host == "s.team" or any(url.subdomain_of(domain) is not None for domain in DOMAINS)


def _candidate(url: ParsedURL) -> str | None:
    lowered = [s.lower() for s in url.segments]
    if url.host == "s.team":
        return url.segments[1] if lowered[:1] == ["a"] and len(lowered) > 1 else None
    # The app id follows "app" in the first few segments (/agecheck/app/ID, /news/app/ID).
    for index, segment in enumerate(lowered[:3]):
        if segment in ("app", "appreviews") and index + 1 < len(lowered):
            return url.segments[index + 1]
    return None


def _slug(url: ParsedURL) -> str:
    """The game's name in a store link: ``/app/573170/FINAL_FANTASY_XIV_Online/``."""
    lowered = [s.lower() for s in url.segments]
    if url.host == "s.team" or lowered[:1] != ["app"] or len(lowered) < 3:
        return ""
    return slug_name(url.segments[2])


def recognize(url: ParsedURL) -> Recognition:
    """A Steam app target, or ``UnrecognizedURL`` saying what kind of page it is."""
    candidate = _candidate(url)
    if candidate is None:
        first = url.segments[0].lower() if url.segments else ""
        if not first:
            raise refuse("this is the Steam store home page, not an app", Platform.STEAM)
        message = _NOT_AN_APP.get(first)
        raise refuse(
            message or "no app ID in this Steam URL: paste a store link like store.steampowered.com/app/570/",
            Platform.STEAM,
        )
    if not candidate.isascii() or not candidate.isdigit() or not 0 < int(candidate) <= MAX_APP_ID:
        raise refuse(f"'{candidate}' is not a valid Steam app ID: it is a number, like 570", Platform.STEAM)
    app_id = int(candidate)
    return Recognition(
        platform=Platform.STEAM,
        detected_type=DetectedType.GAME,
        platform_data={"app_id": app_id},
        canonical_url=f"https://store.steampowered.com/app/{app_id}",
        label=f"Steam app {app_id}",
        default_options={"language": "all", "filter": "recent"},
        url=url.url,
        name=_slug(url),
    )
