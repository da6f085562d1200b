"""Requests per minute, per token and per user, counted in Django's cache.

The cache is shared by every web process (MongoDB-backed by default, Redis when
configured), and the counters move with its atomic ``incr``, so the limits hold across
processes. Windows are fixed minutes: a client may send up to twice the limit around a
window's edge, which is acceptable for protecting the service and costs one cache
round trip per request in the steady state. ``Retry-After`` says when the window ends.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from sentimatrix.security import client_ip

WINDOW_SECONDS = 60


def hit(key: str, timeout: int) -> int:
    """Add one to the counter ``key`` (created with ``timeout``) and return its new value."""
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout):
            return 1
        return cache.incr(key)  # another process created it first


class _WindowThrottle(BaseThrottle):
    kind = ""
    subject = ""

    def key(self, request) -> str | None:
        raise NotImplementedError

    @property
    def limit(self) -> int:
        return int(settings.API_RATE_LIMITS.get(self.kind) or 0)

    def allow_request(self, request, view) -> bool:
        key = self.key(request)
        if key is None or self.limit <= 0:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self.retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        return hit(f"api-rate:{key}:{window}", WINDOW_SECONDS + 5) <= self.limit

    def wait(self):
        return getattr(self, "retry_after", WINDOW_SECONDS)

    def describe(self) -> str:
        return f"at most {self.limit} requests per minute {self.subject}"

    def get_ident(self, request):
        # DRF's own guess trusts a client-sent X-Forwarded-For unless NUM_PROXIES is set: any
        # limit keyed on the address uses the product's one rule instead.
        return client_ip(request)


class TokenRateThrottle(_WindowThrottle):
    """Per token (token requests only)."""

    kind = "token"
    subject = "per token"

    def key(self, request):
        return f"token:{request.auth.pk}" if isinstance(request.auth, ApiToken) else None


class UserRateThrottle(_WindowThrottle):
    """Per user, whatever the token or session: several tokens do not multiply the limit."""

    kind = "user"
    subject = "per user"

    def key(self, request):
        user = getattr(request, "user", None)
        return f"user:{user.pk}" if user is not None and user.is_authenticated else None
