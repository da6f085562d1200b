"""What the server behind a connection is, as it reports itself: the embedded one or MongoDB.

The store's choice of path depends on this answer, never on a setting that could disagree with
the server actually reached (a ``MONGODB_URI`` pointing at an embedded server started by hand, or
the other way round). The answer comes from ``buildInfo``: SecantusDB adds ``secantusVersion`` to
it (and otherwise answers as MongoDB 8.2). It is asked once per client (clients pymongo counts as
equal, those to the same servers, share it) and kept while the client lives.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from pymongo import MongoClient

from sentimatrix.mongo import get_db

EMBEDDED = "embedded"
MONGODB = "mongodb"


@dataclass(frozen=True)
class ServerProfile:
    """What the store needs to know about a server."""

    kind: str  # EMBEDDED or MONGODB
    version: str

    @property
    def windowed(self) -> bool:
        """Reads must be windowed: the server cannot stop early in an index walk (it reads the
        whole index range before sorting or limiting) and counts by reading every match."""
        return self.kind == EMBEDDED


def profile_from_build_info(info: dict) -> ServerProfile:
    """The profile a ``buildInfo`` reply describes."""
    if info.get("secantusVersion"):
        return ServerProfile(EMBEDDED, str(info["secantusVersion"]))
    return ServerProfile(MONGODB, str(info.get("version", "")))


_profiles: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def profile_of(client: MongoClient) -> ServerProfile:
    """The profile of the server behind a pymongo client (asked once per client)."""
    found = _profiles.get(client)
    if found is None:
        found = _profiles[client] = profile_from_build_info(client.admin.command("buildInfo"))
    return found


def server_profile(alias: str = "default") -> ServerProfile:
    """The profile of the server behind a Django connection."""
    return profile_of(get_db(alias).client)
