"""The one way to reach pymongo objects behind the Django connection.

What is read here decodes dates as aware UTC datetimes (pymongo's default is naive), so code
reading raw documents compares and shows their dates like the ORM's. The Django connection
itself keeps naive decoding: django-mongodb-backend makes the dates it reads aware itself, and
refuses ones that already are.
"""

from datetime import UTC

from django.db import connections
from pymongo.database import Database


def get_db(alias: str = "default") -> Database:
    """The pymongo ``Database`` of a Django connection (connecting if needed), decoding dates
    as aware UTC datetimes."""
    database: Database = connections[alias].database
    return database.with_options(codec_options=database.codec_options.with_options(tz_aware=True, tzinfo=UTC))


def collection(name: str, alias: str = "default"):
    """A collection of :func:`get_db`."""
    return get_db(alias)[name]
