"""The API key vault: provider keys encrypted at rest, never shown again.

The plaintext exists only in the request that stores it and in the process
that uses it; pages see ``masked_key`` alone. Each ciphertext is bound to its
owner and provider (associated data), so a record copied onto another user's
row does not decrypt.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bson import ObjectId
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import BASE_URL_PROVIDERS, ApiKey, User
from sentimatrix import crypto, netguard


def _associated_data(user_id: ObjectId, provider: str) -> str:
    return f"api_key:{user_id}:{provider}"


def mask(plaintext: str) -> str:
    """``sk-...abc123``-style display form: a short prefix and the last 4 characters."""
    plaintext = plaintext.strip()
    if len(plaintext) <= 8:
        return "…" + plaintext[-2:]
    prefix = plaintext[:3] if plaintext[:3].isascii() else ""
    return f"{prefix}…{plaintext[-4:]}"


def endpoint_policy() -> netguard.Policy:
    """What a key's own base URL may point at: public addresses; loopback and private
    networks too where the operator allows private endpoints (``LLM_ALLOW_PRIVATE_ENDPOINTS``,
    for a self-hosted Ollama or vLLM). The LLM client checks every request under this policy."""
    allow = bool(settings.LLM_ALLOW_PRIVATE_ENDPOINTS)
    return netguard.Policy(allow_loopback=allow, allow_private=allow)


def own_base_url(key: ApiKey) -> str:
    """The base URL the key's owner typed (OpenAI-compatible, Ollama), or "" when the
    provider's address comes from the operator's settings."""
    return key.base_url if key.provider in BASE_URL_PROVIDERS else ""


def check_base_url(url: str) -> None:
    """Raise ``ValidationError`` unless ``url`` may be a key's base URL: http(s) without
    credentials, query or fragment, on a host whose every address :func:`endpoint_policy`
    allows (the SSRF guard, ``sentimatrix.netguard.check_url``). Runs when a key is saved
    and again before a key check sends anything."""
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise netguard.BlockedAddressError("leave credentials out of the URL; the key is sent for you")
        netguard.join_path(url, "/models")  # refuses a query or a fragment
        policy = endpoint_policy()
        netguard.check_url(url, allow_loopback=policy.allow_loopback, allow_private=policy.allow_private)
    except (ValueError, netguard.BlockedAddressError) as exc:
        hint = ""
        if getattr(exc, "private_network", False) and not settings.LLM_ALLOW_PRIVATE_ENDPOINTS:
            hint = " A self-hosted model on a private network needs the operator to allow private endpoints."
        raise ValidationError(f"This base URL is not allowed: {exc}.{hint}", code="blocked_url") from exc


def store_key(user: User, *, provider: str, name: str, plaintext: str, base_url: str = "") -> ApiKey:
    """Encrypt and save a new key for ``user``; a base URL must pass :func:`check_base_url`."""
    plaintext = plaintext.strip()
    if base_url:
        check_base_url(base_url)
    key = ApiKey(user=user, provider=provider, name=name, base_url=base_url, masked_key=mask(plaintext))
    _seal_into(key, plaintext)
    key.full_clean()
    key.save()
    return key


def _seal_into(key: ApiKey, plaintext: str) -> None:
    sealed = crypto.encrypt(plaintext, _associated_data(key.user_id, key.provider))
    key.key_id = sealed.key_id
    key.encrypted_key = sealed.ciphertext
    key.key_nonce = sealed.nonce
    key.key_tag = sealed.tag


def reveal(key: ApiKey) -> str:
    """The plaintext, for the code that calls the provider; raises DecryptionError if tampered."""
    sealed = crypto.Sealed(key.key_id, bytes(key.encrypted_key), bytes(key.key_nonce), bytes(key.key_tag))
    return crypto.decrypt(sealed, _associated_data(key.user_id, key.provider))


def mark_used(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())


def rotate_all(batch_size: int = 200) -> tuple[int, int]:
    """Re-encrypt every key not yet under the current master key.

    Returns (re-encrypted, already current). Safe to interrupt and run again:
    each key is rewritten in one update, under the key id it was sealed with.
    """
    current = crypto.current_key_id()
    done = skipped = 0
    for key in ApiKey.objects.all().iterator(chunk_size=batch_size):
        if key.key_id == current:
            skipped += 1
            continue
        _seal_into(key, reveal(key))
        key.save(update_fields=["key_id", "encrypted_key", "key_nonce", "key_tag", "updated_at"])
        done += 1
    return done, skipped
