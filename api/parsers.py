"""Request body parsers that refuse bodies over ``API_MAX_BODY_BYTES`` (413) and JSON nested
deeper than :data:`MAX_JSON_DEPTH` (400).

The size is checked on the bytes actually read, so a missing or false ``Content-Length``
does not get around it. Depth is limited because no request of the API needs more than a few
levels, while a deep body makes the decoder (and every recursive walk after it, such as
BSON encoding) hit Python's recursion limit: that was a 500.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from api.exceptions import PayloadTooLarge


def read_limited(stream) -> bytes:
    limit = settings.API_MAX_BODY_BYTES
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise PayloadTooLarge()
    return data


#: Objects and arrays inside each other; the API's deepest request needs a handful.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The body is nested too deeply (more than {MAX_JSON_DEPTH} levels of objects and arrays)."


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _deeper_than(data, limit: int) -> bool:
    """Whether ``data`` nests objects and arrays more than ``limit`` levels (walked without
    recursion, so the walk itself cannot overflow)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class LimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = read_limited(stream).decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
        if _deeper_than(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
