"""Who is asking, and what a browser may do with the answer.

``client_ip`` is the one place that decides a request's client address: sign-in limits
(through the allauth adapter), the audit log and the API throttles all call it.
``SecurityHeadersMiddleware`` adds the Content-Security-Policy to every response and keeps
private answers out of caches.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.utils.cache import patch_cache_control


def _address(value: str | None) -> str | None:
    """``value`` as a normalised IP address (a port or IPv6 brackets removed), or None."""
    value = (value or "").strip()
    if value.startswith("["):  # [2001:db8::1]:4711
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # 203.0.113.7:4711
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address, trusting exactly ``ALLAUTH_TRUSTED_PROXY_COUNT`` proxies.

    With no trusted proxy, ``X-Forwarded-For`` is the client's own claim and is ignored:
    the address is ``REMOTE_ADDR``. With N trusted proxies, each appended the address it
    received from to the header, so the client is the N-th entry from the right; anything
    to its left was written by the client and is ignored. A request carrying fewer entries
    skipped the outer proxies and its left-most entry is the address the first proxy saw.
    """
    remote = _address(request.META.get("REMOTE_ADDR"))
    count = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:  # reached the application without going through the proxy
        return remote
    # A trusted proxy that wrote something other than an address is misconfigured; its
    # own address is the only one left that the client did not choose.
    return _address(forwarded[-min(count, len(forwarded))]) or remote


def content_security_policy() -> str:
    """The ``Content-Security-Policy`` header value built from ``CONTENT_SECURITY_POLICY``."""
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in settings.CONTENT_SECURITY_POLICY.items()
    )


class SecurityHeadersMiddleware:
    """The policy on every response; ``Cache-Control: private, no-store`` on answers that
    depend on who asks (a signed-in user, an ``Authorization`` header, anything under
    ``PRIVATE_PATH_PREFIXES``) so neither a shared cache nor the browser's back button
    keeps them. Public pages and static files keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        if self._private(request):
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def _private(request) -> bool:
        if request.path.startswith(tuple(settings.PRIVATE_PATH_PREFIXES)):
            return True
        if "HTTP_AUTHORIZATION" in request.META:
            return True
        # Static files are answered before authentication runs: they have no user.
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
