"""The security audit trail (``audit_logs``): one call records one event."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.http import HttpRequest

from accounts.models import AuditLog, User
from sentimatrix.security import client_ip

logger = logging.getLogger(__name__)

# The events the product records; the list page filters on these.
EVENTS = {
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.logout": "Signed out",
    "auth.password_change": "Password changed",
    "auth.password_reset": "Password reset",
    "auth.email_change": "Email address changed",
    "auth.email_confirmed": "Email address confirmed",
    "api_key.create": "API key added",
    "api_key.delete": "API key deleted",
    "api_key.use_failed": "API key rejected by its provider",
    "api_token.create": "Access token created",
    "api_token.revoke": "Access token revoked",
    "project.archive": "Project archived",
    "project.delete": "Project deleted",
    "webhook.create": "Webhook added",
    "webhook.update": "Webhook changed",
    "webhook.delete": "Webhook deleted",
    "webhook.disabled": "Webhook disabled",
    "admin.plan_change": "Plan changed by an admin",
    "admin.role_change": "Role changed by an admin",
    "admin.status_change": "Status changed by an admin",
    "data.export": "Data exported",
    "account.delete": "Account deleted",
}


def record(
    event_type: str,
    *,
    request: HttpRequest | None = None,
    user: User | None = None,
    success: bool = True,
    **metadata: Any,
) -> AuditLog:
    """Write one audit entry; ``request`` supplies IP, user agent and (by default) the user."""
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = cast(User, request.user) if request.user.is_authenticated else None

    entry = AuditLog.objects.create(
        user=user,
        event_type=event_type,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:512],
        success=success,
        metadata=metadata,
    )
    logger.info("audit %s success=%s user=%s", event_type, success, getattr(user, "pk", None))
    return entry
