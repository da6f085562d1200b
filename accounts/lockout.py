"""When a request refused by allauth's rate limits may try again.

allauth keeps, per limit, the times of the recent hits in the cache and answers only
"allowed or not"; these functions read the same entries (through allauth's own key
builder, so the keys cannot drift) and work out when the oldest hit that still counts
leaves the window.
"""

from __future__ import annotations

import math
import time

from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.http import HttpRequest

APP = "allauth.account"

# allauth's views -> the action their 429 answers come from.
ACTIONS_BY_VIEW = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
    "account_set_password": "change_password",
    "account_email": "manage_email",
    "account_reauthenticate": "reauthenticate",
}


def retry_after(request: HttpRequest, action: str, *, key: str | None = None) -> int | None:
    """Seconds until the limits of ``action`` let this client (its address, signed-in user
    or ``key``) through again; None when none of them is spent."""
    now = time.time()
    user = getattr(request, "user", None)
    waits = []
    for rate in ratelimit.get_rates(app=APP, action=action):
        if (rate.per == "key" and key is None) or (
            rate.per == "user" and not (user is not None and user.is_authenticated)
        ):
            continue
        cache_key = ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key)
        # Newest first; once the amount-th newest hit leaves the window, one more is allowed.
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(hits) >= rate.amount:
            waits.append(hits[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(max(waits))) if waits else None


def request_retry_after(request: HttpRequest) -> int | None:
    """``retry_after`` for the action of the allauth view that answered ``request`` with 429."""
    match = getattr(request, "resolver_match", None)
    action = ACTIONS_BY_VIEW.get(match.url_name) if match else None
    if action is None:
        return None
    email = request.POST.get("email", "").strip().lower() if request.method == "POST" else ""
    # Only the password reset keys its limit on the submitted address.
    key = email if action == "reset_password" and email else None
    return retry_after(request, action, key=key)


def in_minutes(seconds: int) -> str:
    """``"in 5 minutes"``, rounded up: never earlier than the limit allows."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"
