"""Google Maps places.

Accepted, on google.<any country domain>/maps, www.google..., maps.google...:

- ``/maps/place/NAME/@LAT,LNG,ZOOM/data=...!1s0xHEX:0xHEX...``: the feature id; its second
  half is the place's CID (``cid`` in decimal, ``feature_id`` as written)
- ``data=...!1sChIJ...``, ``?q=place_id:ChIJ...``, ``?query_place_id=ChIJ...``: a place id
- ``?cid=NUMBER`` (maps.google.com/?cid=, google.com/maps?cid=), ``?ftid=0x..:0x..``,
  and a Google search link with ``ludocid=NUMBER`` (a place's knowledge panel)
- ``/maps/place/NAME/@...`` without ids, ``/maps/search/QUERY``, ``?q=QUERY``,
  ``?api=1&query=QUERY``: the query (the place is looked up by name when collected)
- short links ``maps.app.goo.gl/CODE`` and ``goo.gl/maps/CODE``: the place is known only by
  following the redirect, which needs the network; recognised with
  ``platform_data.short_link`` and ``needs_resolution=True``.

``platform_data`` holds one of ``place_id``, ``cid`` or ``query`` (in that preference), plus
``name`` when the link shows the place's name. Refused with the reason: directions, bare map
views and coordinates, contributor profiles, other Google pages, the home page.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_plus

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse

_GOOGLE_HOST = re.compile(r"^(?:(www|maps)\.)?google\.(?:com|co\.[a-z]{2}|com\.[a-z]{2}|[a-z]{2})$")
SHORT_HOSTS = ("maps.app.goo.gl", "goo.gl")

_PLACE_ID_IN_DATA = re.compile(r"!1s(ChIJ[A-Za-z0-9_-]+|GhIJ[A-Za-z0-9_-]+)")
_FEATURE_ID = re.compile(r"(0x[0-9a-f]{1,16}):(0x[0-9a-f]{1,16})", re.IGNORECASE)
_FEATURE_IN_DATA = re.compile(r"!1s(0x[0-9a-f]{1,16}:0x[0-9a-f]{1,16})", re.IGNORECASE)
_COORDINATES = re.compile(r"^\s*-?\d{1,3}(?:\.\d+)?\s*,\s*-?\d{1,3}(?:\.\d+)?\s*$")

DEFAULT_LANGUAGE = "en"


def matches(url: ParsedURL) -> bool:
    if url.host == "goo.gl":
        return url.segments[:1] == ("maps",)
    return url.host in SHORT_HOSTS or bool(_GOOGLE_HOST.match(url.host))


def _short_link(url: ParsedURL) -> Recognition:
    segments = url.raw_segments[1:] if url.host == "goo.gl" else url.raw_segments
    if not segments:
        raise refuse("this Google Maps short link has no code", Platform.GOOGLE)
    link = f"https://{url.host}/" + "/".join(url.raw_segments)
    return Recognition(
        platform=Platform.GOOGLE,
        detected_type=DetectedType.PLACE,
        platform_data={"short_link": link},
        canonical_url=link,
        label=f"Google Maps short link {segments[-1]}",
        default_options={"language": DEFAULT_LANGUAGE, "sort_by": "newest"},
        url=url.url,
        needs_resolution=True,
    )


def _maps_segments(url: ParsedURL) -> tuple[str, ...]:
    """The raw path below /maps, or the refusal for Google pages that are not Maps."""
    segments = url.raw_segments
    if segments[:1] == ("maps",):
        return segments[1:]
    if url.host.startswith("maps."):
        return segments
    if not segments:
        raise refuse("this is the Google home page, not a Google Maps place", Platform.GOOGLE)
    if segments[0] == "search":
        if url.param("ludocid"):
            return ()
        raise refuse("this is a Google search page, not a Google Maps place", Platform.GOOGLE)
    raise refuse("this Google page is not a Google Maps place", Platform.GOOGLE)


def _place_id(url: ParsedURL, decoded: str) -> str | None:
    match = _PLACE_ID_IN_DATA.search(decoded)
    if match:
        return match.group(1)
    if url.param("query_place_id"):
        return url.param("query_place_id")
    for name in ("q", "query"):
        value = url.param(name) or ""
        if value.startswith("place_id:"):
            return value.removeprefix("place_id:").strip() or None
    return None


def _cid(url: ParsedURL, decoded: str) -> tuple[str | None, str | None]:
    """(cid in decimal, feature id) of the link, each None when absent."""
    for name in ("cid", "ludocid"):
        value = (url.param(name) or "").strip()
        if value:
            if not value.isdigit():
                raise refuse(f"'{value}' is not a valid Google Maps CID: it is a number", Platform.GOOGLE)
            return value, None
    match = _FEATURE_IN_DATA.search(decoded) or _FEATURE_ID.fullmatch(url.param("ftid") or "")
    if not match:
        return None, None
    feature = match.group(1) if match.lastindex == 1 else f"{match.group(1)}:{match.group(2)}"
    feature = feature.lower()
    return str(int(feature.split(":")[1], 16)), feature


def _name_and_query(url: ParsedURL, segments: tuple[str, ...]) -> tuple[str | None, str | None]:
    kind = segments[0] if segments else ""
    text = unquote_plus(segments[1]) if len(segments) > 1 else ""
    if text.startswith(("@", "data=")):
        text = ""
    text = " ".join(text.split())
    name = text if kind == "place" and text else None
    query = text if kind in ("place", "search") and text else None
    for param in ("q", "query"):
        value = " ".join((url.param(param) or "").split())
        if not query and value and not value.startswith("place_id:"):
            query = value
    return name, query


def recognize(url: ParsedURL) -> Recognition:
    """A Google Maps place target, or ``UnrecognizedURL`` saying what kind of page it is."""
    if url.host in SHORT_HOSTS:
        return _short_link(url)
    segments = _maps_segments(url)
    kind = segments[0] if segments else ""
    if kind == "dir":
        raise refuse("this is a Google Maps directions link, not a place", Platform.GOOGLE)
    if kind == "contrib":
        raise refuse("this is a Google Maps contributor profile, not a place", Platform.GOOGLE)
    decoded = "/".join(unquote_plus(s) for s in segments)
    name, query = _name_and_query(url, segments)
    place_id = _place_id(url, decoded)
    cid, feature = (None, None) if place_id else _cid(url, decoded)
    if place_id:
        data = {"place_id": place_id}
        canonical = f"https://www.google.com/maps/place/?q=place_id:{place_id}"
        label = f"Google Maps place {place_id}"
    elif cid:
        data = {"cid": cid} | ({"feature_id": feature} if feature else {})
        canonical = f"https://www.google.com/maps?cid={cid}"
        label = f"Google Maps place {cid}"
    elif query and not _COORDINATES.match(query):
        data = {"query": query}
        canonical = f"https://www.google.com/maps/search/?api=1&query={quote(query)}"
        label = f"Google Maps: {query}"
    elif query:
        raise refuse("this Google Maps link is a pair of coordinates, not a place", Platform.GOOGLE)
    elif any(s.startswith("@") for s in segments):
        raise refuse("this Google Maps link shows a map area, not a place", Platform.GOOGLE)
    else:
        raise refuse("no place in this Google Maps URL: open the place and paste its link", Platform.GOOGLE)
    if name and "query" not in data:
        data["name"] = name
        label = f"Google Maps: {name}"
    return Recognition(
        platform=Platform.GOOGLE,
        detected_type=DetectedType.PLACE,
        platform_data=data,
        canonical_url=canonical,
        label=label,
        default_options={"language": url.param("hl") or DEFAULT_LANGUAGE, "sort_by": "newest"},
        url=url.url,
    )
