"""The fields every API document shares: ObjectIds as hex strings and datetimes in UTC."""

from __future__ import annotations

from datetime import UTC

from rest_framework import serializers


class IdField(serializers.CharField):
    """An ObjectId (or None) as its 24-character hex string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(value)


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC (``Z``), whatever time zone the request runs in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


def id_field(**kwargs):
    """A read-only id."""
    return IdField(**kwargs)


def nullable_id_field(**kwargs):
    """A read-only id that may be null (an optional reference)."""
    return IdField(allow_null=True, **kwargs)


def time_field(**kwargs):
    """A read-only UTC datetime."""
    return UtcDateTimeField(read_only=True, **kwargs)


def nullable_time_field(**kwargs):
    """A read-only UTC datetime that may be null (not happened yet)."""
    return UtcDateTimeField(read_only=True, allow_null=True, **kwargs)
