"""Personal access tokens: create (shown once), find by bearer value, record use, revoke.

A token is 43 URL-safe characters carrying 256 random bits. The database keeps its first
:data:`PREFIX_LENGTH` characters (unique: the one document to look at) and the SHA-256 hex of
the whole token, compared in constant time. Creating and revoking are audit-logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit
from accounts.models import User
from api.models import ApiToken, Scope
from sentimatrix.mongo import collection
from sentimatrix.refusals import Refused

PREFIX_LENGTH = 8
TOKEN_BYTES = 32
# A token is written as used at most once a minute: not one database write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
MAX_ACTIVE_TOKENS = 20
MAX_LIFETIME_DAYS = 366
# token_urlsafe(32) gives 43 characters; anything far off that is not a token of ours.
_LENGTHS = range(40, 100)


class TokenRefused(Refused):
    """A token cannot be created (too many, bad scopes); the message says why."""


class InvalidToken(Exception):
    """The bearer value is not a usable token; the message is safe to show the caller."""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def active_tokens(user: User) -> QuerySet[ApiToken]:
    """The user's tokens that still work (neither revoked nor expired)."""
    now = timezone.now()
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(expires_at__lte=now)


def create_token(
    user: User,
    *,
    name: str,
    scopes: Iterable[str] | None,
    expires_in_days: int | None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token of ``user``; returns it with its plaintext, to show once and never again.

    ``expires_in_days`` None makes a token that never expires. Raises ``TokenRefused`` for an
    empty or unknown scope list, a lifetime out of range, or past :data:`MAX_ACTIVE_TOKENS`.
    """
    wanted = set(scopes or ())
    scopes = [s for s in Scope.values if s in wanted]
    if not scopes or len(scopes) != len(wanted):
        raise TokenRefused("Choose at least one scope among read, write and jobs.")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        raise TokenRefused(f"A token lives between 1 and {MAX_LIFETIME_DAYS} days, or never expires.")
    if active_tokens(user).count() >= MAX_ACTIVE_TOKENS:
        raise TokenRefused(f"You have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use first.")
    now = timezone.now()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
    for _ in range(5):
        raw = secrets.token_urlsafe(TOKEN_BYTES)
        token = ApiToken(
            user=user,
            name=(name or "").strip()[:100] or "API token",
            prefix=raw[:PREFIX_LENGTH],
            token_hash=hash_token(raw),
            scopes=scopes,
            expires_at=expires_at,
            created_at=now,
        )
        try:
            token.save(force_insert=True)
        except IntegrityError:  # the prefix is taken (2^-48 odds): draw another token
            continue
        audit.record(
            "api_token.create",
            request=request,
            user=user,
            token=token.prefix,
            name=token.name,
            scopes=scopes,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
        return token, raw
    raise TokenRefused("No token could be created; try again.")  # pragma: no cover


def revoke_token(token: ApiToken, *, request: HttpRequest | None = None) -> bool:
    """Revoke a token at once (one conditional update); True when this call revoked it."""
    now = timezone.now()
    changed = collection("api_tokens").update_one(
        {"_id": token.pk, "revoked_at": None}, {"$set": {"revoked_at": now}}
    )
    if not changed.modified_count:
        return False
    token.revoked_at = now
    audit.record("api_token.revoke", request=request, user=token.user, token=token.prefix, name=token.name)
    return True


def find_token(raw: str) -> ApiToken:
    """The usable token whose value is ``raw``, with its user; ``InvalidToken`` otherwise."""
    raw = (raw or "").strip()
    if len(raw) not in _LENGTHS:
        raise InvalidToken("Invalid token.")
    token = ApiToken.objects.select_related("user").filter(prefix=raw[:PREFIX_LENGTH]).first()
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(raw)):
        raise InvalidToken("Invalid token.")
    if token.is_revoked:
        raise InvalidToken("This token was revoked.")
    if token.is_expired():
        raise InvalidToken("This token has expired.")
    if not token.user.is_active:
        raise InvalidToken("This account is not active.")
    return token


def mark_used(token: ApiToken) -> None:
    """Record that the token was used now (at most one write per token and minute)."""
    now = timezone.now()
    collection("api_tokens").update_one(
        {
            "_id": token.pk,
            "$or": [{"last_used_at": None}, {"last_used_at": {"$lt": now - LAST_USED_RESOLUTION}}],
        },
        {"$set": {"last_used_at": now}},
    )
    token.last_used_at = now
