"""The bell's number on every page: the signed-in user's unread alerts."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from notifications.alerts import inbox


def unread_alerts(request) -> dict:
    """``unread_alerts``: counted once, and only when a page shows it (signed-in users only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_alerts": SimpleLazyObject(lambda: inbox.unread_count(user))}
