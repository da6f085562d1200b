"""How a result's author and rating read on a page: the one place that turns what a platform
stored (a 17-digit SteamID, a thumbs-up kept as 5.0) into what an analyst recognises."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scraping.results_store import safe_web_url

STEAM_ID = re.compile(r"^7656\d{13}$")  # SteamID64 of an individual account
STEAM_PROFILE = "https://steamcommunity.com/profiles/{}"


@dataclass(frozen=True)
class Author:
    name: str
    url: str = ""  # the author's profile, when the platform has one
    full: str = ""  # the stored identifier, when the name shortens it


def author_of(platform: str, author: str, metadata: dict | None) -> Author:
    """The author as shown. Steam's review endpoint gives only the SteamID (a persona name
    needs a Web API key), so a Steam author reads "Steam user …1234" and links to the
    profile; YouTube keeps the display name it sends and links the channel; Reddit reads
    "u/name" (a deleted account stays "[deleted]")."""
    author = (author or "").strip()
    metadata = metadata or {}
    if not author:
        return Author("")
    if platform == "steam" and STEAM_ID.match(author):
        return Author(f"Steam user …{author[-4:]}", STEAM_PROFILE.format(author), author)
    if platform == "youtube":
        return Author(author, safe_web_url(metadata.get("author_channel_url") or ""))
    if platform == "reddit" and not author.startswith(("[", "u/")):
        return Author(f"u/{author}", f"https://www.reddit.com/user/{author}/")
    return Author(author)


@dataclass(frozen=True)
class Rating:
    symbol: str  # 👍, 👎 or ★
    text: str  # "Recommended", "5", "4.5 of 10"
    thumbs: bool


def rating_of(rating: float | None, metadata: dict | None) -> Rating | None:
    """A thumbs answer (Steam's ``voted_up``, any platform that stores an up/down vote as
    ``metadata.voted_up``) as 👍/👎, never as the 5.0/1.0 it is stored as for averages;
    other ratings as stars with their scale. None when there is no rating."""
    metadata = metadata or {}
    voted_up = metadata.get("voted_up")
    if isinstance(voted_up, bool):
        return Rating("👍", "Recommended", True) if voted_up else Rating("👎", "Not recommended", True)
    if rating is None:
        return None
    value = f"{float(rating):g}"
    scale = metadata.get("rating_scale")
    return Rating("★", f"{value} of {scale}" if scale else value, False)
