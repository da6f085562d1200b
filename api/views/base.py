"""The base of every endpoint: authentication, scopes, limits, refusals and query parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView

from accounts.usage import PlanLimitReached, consume
from api.exceptions import Conflict, PayloadTooLarge, QuotaExceeded, RateLimited
from api.models import ApiToken
from projects.models import ProjectStatus
from sentimatrix.refusals import Refused


def _seconds_to_next_month(now: datetime) -> int:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return max(1, int((following - now).total_seconds()))


class ApiView(GenericAPIView):
    """Body size, authentication, scope, rate limits, then the monthly quota.

    ``scopes`` maps a method to the scope it needs (default: GET ``read``, others ``write``).
    Only token requests count against ``usage.api_calls_this_month``: session requests are
    the pages' own calls.
    """

    scopes: dict[str, str] = {}
    pagination_class = None

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all then
        if length > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)
        if isinstance(request.auth, ApiToken):
            try:
                consume(request.user, "api_calls_this_month")
            except PlanLimitReached as exc:
                raise QuotaExceeded(_seconds_to_next_month(datetime.now(UTC)), exc.message) from exc

    def check_throttles(self, request):
        failed = [t for t in self.get_throttles() if not t.allow_request(request, self)]
        if failed:
            wait = max(t.wait() for t in failed)
            limits = " and ".join(t.describe() for t in failed)
            raise RateLimited(wait, f"Rate limit reached ({limits}). Retry in {wait} seconds.")

    def paged(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def refused(exc: Refused):
    """A service's refusal: about one input field (400) or the object's state (409)."""
    if exc.field:
        return ValidationError({exc.field: [exc.message]})
    return Conflict(exc.message)


def choice_param(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in choices:
        raise ValidationError({name: [f"Choose one of: {', '.join(choices)}."]})
    return value


STATUS_PARAM = OpenApiParameter("status", str, enum=ProjectStatus.values, description="Only this status.")
