""" "Test key": ask each provider's cheapest authenticated endpoint whether a key works."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from accounts import audit, vault
from accounts.models import ApiKey, Provider
from scraping.collectors.base import CollectorError
from scraping.http import HttpClient, HttpStatusError

REJECTED = {401, 403}


@dataclass(frozen=True)
class KeyCheck:
    valid: bool | None  # None: the provider could not be reached, nothing was learnt
    message: str


def _request(key: ApiKey, secret: str) -> tuple[str, str, dict]:  # noqa: PLR0911 - one branch per provider
    """(method, url, request kwargs) of the check for this provider."""
    p, urls = key.provider, settings.PROVIDER_BASE_URLS
    bearer = {"headers": {"Authorization": f"Bearer {secret}"}}
    if p in (Provider.OPENAI, Provider.GROQ, Provider.OPENROUTER):
        return "GET", f"{urls[p].rstrip('/')}/models", bearer
    if p in (Provider.OPENAI_COMPATIBLE, Provider.OLLAMA):
        return "GET", f"{(key.base_url or urls['ollama']).rstrip('/')}/models", bearer
    if p == Provider.ANTHROPIC:
        headers = {"x-api-key": secret, "anthropic-version": "2023-06-01"}
        return "GET", f"{urls['anthropic'].rstrip('/')}/v1/models", {"headers": headers}
    platform = settings.PLATFORM_BASE_URLS
    if p == Provider.SCRAPERAPI:
        return "GET", f"{platform['scraperapi'].rstrip('/')}/account", {"params": {"api_key": secret}}
    if p == Provider.APIFY:
        return "GET", f"{platform['apify'].rstrip('/')}/users/me", {"params": {"token": secret}}
    if p == Provider.YOUTUBE:
        params = {"part": "id", "id": "dQw4w9WgXcQ", "key": secret}
        return "GET", f"{platform['youtube'].rstrip('/')}/videos", {"params": params}
    if p == Provider.GOOGLE_PLACES:
        params = {"place_id": "ChIJN1t_tDeuEmsRUsoyG83frY4", "fields": "place_id", "key": secret}
        return "GET", f"{platform['google'].rstrip('/')}/details/json", {"params": params}
    if p == Provider.REDDIT:
        client_id, _, client_secret = secret.partition(":")
        return (
            "POST",
            f"{platform['reddit_auth'].rstrip('/')}/api/v1/access_token",
            {"data": {"grant_type": "client_credentials"}, "auth": (client_id, client_secret)},
        )
    raise ValueError(f"no check for provider {p!r}")


def _google_style_rejection(payload: dict) -> bool:
    # Google APIs answer 200 with an error status for bad keys on some endpoints.
    return payload.get("status") in {"REQUEST_DENIED", "INVALID_REQUEST"} and "error_message" in payload


def check_key(key: ApiKey, *, request=None, client: HttpClient | None = None) -> KeyCheck:
    """Call the provider, store ``is_valid``/``last_validated_at``, audit a rejection."""
    method, url, kwargs = _request(key, vault.reveal(key))
    client = client or HttpClient(rate_limit_delay=0, max_retries=1, timeout=10)
    try:
        response = client.request(method, url, **kwargs)
        valid = not (key.provider == Provider.GOOGLE_PLACES and _google_style_rejection(response.json()))
        result = KeyCheck(
            valid, "The provider accepted this key." if valid else "The provider rejected this key."
        )
    except HttpStatusError as exc:
        if exc.status in REJECTED:
            result = KeyCheck(False, f"The provider rejected this key (HTTP {exc.status}).")
        else:
            result = KeyCheck(None, f"Could not check the key: {exc}")
    except (CollectorError, ValueError) as exc:
        result = KeyCheck(None, f"Could not check the key: {exc}")
    if result.valid is not None:
        ApiKey.objects.filter(pk=key.pk).update(is_valid=result.valid, last_validated_at=timezone.now())
    if result.valid is False:
        audit.record("api_key.use_failed", request=request, user=key.user, success=False, key=key.name)
    return result
