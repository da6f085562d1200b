"""The one way to reach pymongo objects behind the Django connection."""

from django.db import connections
from pymongo.database import Database


def get_db(alias: str = "default") -> Database:
    """The pymongo ``Database`` of a Django connection (connecting if needed)."""
    return connections[alias].database


def collection(name: str, alias: str = "default"):
    return get_db(alias)[name]
