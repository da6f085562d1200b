"""Cursor (keyset) pagination: pages stay stable while documents are being added.

A list is ordered on one field and the id, both in the same direction (newest collected
first is ``(created_at, _id)`` descending). The cursor names the last item of the page
(its field value and id), and the next page is what sorts after it, so results collected
while a client pages through never shift or repeat items; an offset would. Cursors are
signed, so a client cannot hand-craft one, and carry the order they were made for.

MongoDB sorts a missing or null value before every number or date; the conditions below
follow that order, so lists sorted on an optional field (a rating, a posted date) page
through the documents without one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from bson.errors import InvalidId
from django.core import signing
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

SALT = "api.cursor"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Ordering:
    """``field`` (an ORM path such as ``content__date``) then the id, in one direction."""

    key: str
    field: str
    descending: bool = True

    def order_by(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return (f"{sign}{self.field}", f"{sign}pk")

    def value_of(self, obj):
        value = obj
        for part in self.field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def after(self, value, pk) -> Q:
        """Everything that sorts after (value, pk) in this order."""
        field = self.field
        if self.descending:
            if value is None:
                return Q(**{f"{field}__isnull": True, "pk__lt": pk})
            return (
                Q(**{f"{field}__lt": value})
                | Q(**{field: value, "pk__lt": pk})
                | Q(**{f"{field}__isnull": True})
            )
        if value is None:
            return Q(**{f"{field}__isnull": True, "pk__gt": pk}) | Q(**{f"{field}__isnull": False})
        return Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": pk})


NEWEST_FIRST = Ordering("created", "created_at")


def _encode_value(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value):
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    return value


def invalid(message: str, name: str = "cursor"):
    return ValidationError({name: [message]})


def page_size(request) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid(f"Give a whole number from 1 to {MAX_PAGE_SIZE}.", "page_size")
    return size


class KeysetPagination(BasePagination):
    """Pages of ``page_size`` (default 20, at most 100) items and a ``next`` link.

    The view gives the order through ``get_ordering(request)`` (default: newest first) and
    hands over a queryset that is not yet ordered. A view with ``read_page(after, size)`` reads
    its pages itself (the results store does, on the embedded server), from the cursor's
    (value, id) or the start; it returns None to leave the slicing to the queryset.
    """

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        ordering = view.get_ordering(request) if hasattr(view, "get_ordering") else NEWEST_FIRST
        size = page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        after = self._decode(raw, ordering) if raw else None
        reader = getattr(view, "read_page", None)
        items = reader(after, size + 1) if reader is not None else None
        if items is None:
            if after is not None:
                queryset = queryset.filter(ordering.after(*after))
            items = list(queryset.order_by(*ordering.order_by())[: size + 1])
        self.request = request
        self.next_cursor = None
        if len(items) > size:
            items = items[:size]
            last = items[-1]
            self.next_cursor = signing.dumps(
                {"o": ordering.key, "v": _encode_value(ordering.value_of(last)), "id": str(last.pk)},
                salt=SALT,
                compress=True,
            )
        return items

    @staticmethod
    def _decode(raw: str, ordering: Ordering):
        try:
            data = signing.loads(raw, salt=SALT)
            value, pk = _decode_value(data["v"]), ObjectId(data["id"])
        except (signing.BadSignature, KeyError, TypeError, ValueError, InvalidId) as exc:
            raise invalid("This cursor is not valid: use the next link of a previous page.") from exc
        if data.get("o") != ordering.key:
            raise invalid("This cursor belongs to another sort order: keep the sort of the first page.")
        return value, pk

    def get_next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; null on the last page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from the previous page's next link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Items per page (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
