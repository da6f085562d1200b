"""Request body parsers that refuse bodies over ``API_MAX_BODY_BYTES`` (413).

The size is checked on the bytes actually read, so a missing or false ``Content-Length``
does not get around it.
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


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class LimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = read_limited(stream).decode(encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
