"""One error shape for every API response that is not a success::

    {"error": {"code": "validation_error", "message": "...", "details": {...}}}

``code`` is a stable machine-readable word, ``message`` a sentence for people, ``details``
an object: for invalid input, each field's messages under its dotted path
(``config.limits.max_reviews_per_target``); for rate limits, ``retry_after`` in seconds.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.plans import UPGRADE_PHRASE

logger = logging.getLogger(__name__)

INVALID_MESSAGE = "Some input is invalid; see details."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, detail=None, code=None):
        super().__init__(
            detail or f"The request body is larger than {settings.API_MAX_BODY_BYTES:,} bytes.", code
        )


class Conflict(exceptions.APIException):
    """The action is refused in the object's present state (archived, already running...)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The action is not possible now."


class TooManyRequests(exceptions.APIException):
    """429 with ``Retry-After`` (DRF's ``Throttled`` would append its own sentence)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, wait: int, detail: str):
        super().__init__(detail)
        self.wait = int(wait)


class RateLimited(TooManyRequests):
    """Too many requests this minute (per token or per user)."""


class QuotaExceeded(TooManyRequests):
    """The plan's monthly API calls are used up; ``Retry-After`` runs to the next month."""

    default_code = "quota_exceeded"


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"dotted.path": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key in ("non_field_errors", "__all__") else str(key)
            path = f"{prefix}.{name}" if prefix and name != "non_field_errors" else (prefix or name)
            for sub, messages in flatten(value, path).items():
                out.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _code_of(exc: exceptions.APIException) -> str:
    detail = exc.detail
    code = getattr(detail, "code", None) if not isinstance(detail, dict | list) else None
    if not code or code in ("invalid", "error"):
        code = exc.default_code
    return str(code)


def exception_handler(exc, context):
    """DRF's handler (status, headers such as ``Retry-After`` and ``WWW-Authenticate``), with
    the body reshaped; Django validation errors are 400s; anything else is a logged 500."""
    # DRF's views module loads the parser classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler  # noqa: PLC0415 - import cycle with DRF

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("API error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("validation_error", INVALID_MESSAGE, flatten(exc.detail))
    elif isinstance(exc, exceptions.Throttled | TooManyRequests):
        body = error_body(_code_of(exc), str(exc.detail), {"retry_after": exc.wait})
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else INVALID_MESSAGE
        body = error_body(_code_of(exc), message)
    _link_plans(body, context.get("request"))
    response.data = body
    return response


def _link_plans(body: dict, request) -> None:
    """A refusal at a plan limit names the page that shows the plans (``details.plans_url``),
    as the web pages link it."""
    if request is None or UPGRADE_PHRASE not in body["error"]["message"].lower():
        return
    body["error"]["details"]["plans_url"] = request.build_absolute_uri(reverse("accounts:plans"))
