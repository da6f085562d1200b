""" "Test key": ask each provider's cheapest authenticated endpoint whether a key works.

A key's own base URL (OpenAI-compatible, Ollama) passes the SSRF guard before anything is
sent (:func:`accounts.vault.check_base_url`), and the request connects only to an address the
guard checked, under the same policy as the LLM analysis path (:func:`vault.endpoint_policy`,
``sentimatrix.netguard.PinnedAdapter``). A refused address gets one answer, "not allowed",
whatever listens there, so the button cannot be used to map which internal ports are open.
Redirects are not followed: the key would travel with them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit, vault
from accounts.models import ApiKey, Provider
from sentimatrix import crypto, netguard

logger = logging.getLogger(__name__)

REJECTED = {401, 403}
TIMEOUT = 10
#: Enough of an answer to read a JSON status; the rest is not needed.
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class KeyCheck:
    valid: bool | None  # None: the provider could not be reached, nothing was learnt
    message: str


def _request(key: ApiKey, secret: str) -> tuple[str, str, dict]:  # noqa: PLR0911 - one branch per provider
    """(method, url, request kwargs) of the check for this provider."""
    p, urls = key.provider, settings.PROVIDER_BASE_URLS
    bearer = {"headers": {"Authorization": f"Bearer {secret}"}}
    join = netguard.join_path
    if p in (Provider.OPENAI, Provider.GROQ, Provider.OPENROUTER):
        return "GET", join(urls[p], "/models"), bearer
    if p in (Provider.OPENAI_COMPATIBLE, Provider.OLLAMA):
        return "GET", join(vault.own_base_url(key) or urls["ollama"], "/models"), bearer
    if p == Provider.ANTHROPIC:
        headers = {"x-api-key": secret, "anthropic-version": "2023-06-01"}
        return "GET", join(urls["anthropic"], "/v1/models"), {"headers": headers}
    platform = settings.PLATFORM_BASE_URLS
    if p == Provider.SCRAPERAPI:
        return "GET", join(platform["scraperapi"], "/account"), {"params": {"api_key": secret}}
    if p == Provider.APIFY:
        return "GET", join(platform["apify"], "/users/me"), {"params": {"token": secret}}
    if p == Provider.YOUTUBE:
        params = {"part": "id", "id": "dQw4w9WgXcQ", "key": secret}
        return "GET", join(platform["youtube"], "/videos"), {"params": params}
    if p == Provider.GOOGLE_PLACES:
        params = {"place_id": "ChIJN1t_tDeuEmsRUsoyG83frY4", "fields": "place_id", "key": secret}
        return "GET", join(platform["google"], "/details/json"), {"params": params}
    if p == Provider.REDDIT:
        client_id, _, client_secret = secret.partition(":")
        return (
            "POST",
            join(platform["reddit_auth"], "/api/v1/access_token"),
            {"data": {"grant_type": "client_credentials"}, "auth": (client_id, client_secret)},
        )
    if p == Provider.BLUESKY:
        # Signing in is the cheapest call an app password can make.
        identifier, _, password = secret.partition(":")
        return (
            "POST",
            join(platform["bluesky_pds"], "/xrpc/com.atproto.server.createSession"),
            {"json": {"identifier": identifier, "password": password}},
        )
    raise ValueError(f"no check for provider {p!r}")


def _google_style_rejection(payload: object) -> bool:
    # Google APIs answer 200 with an error status for bad keys on some endpoints.
    return (
        isinstance(payload, dict)
        and payload.get("status") in {"REQUEST_DENIED", "INVALID_REQUEST"}
        and "error_message" in payload
    )


def _send(method: str, url: str, kwargs: dict, policy: netguard.Policy | None) -> tuple[int, bytes]:
    """Send the check; with a ``policy``, only to an address the guard allows and checked."""
    with requests.Session() as session:
        session.headers["User-Agent"] = settings.SCRAPING_USER_AGENT
        adapter = netguard.PinnedAdapter(policy)
        for prefix in ("", "http://", "https://"):
            session.mount(prefix, adapter)
        response = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, stream=True, **kwargs)
        with response:
            body = b""
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) >= MAX_BODY_BYTES:
                    break
            return response.status_code, body


def _outcome(key: ApiKey, host: str, status: int, body: bytes) -> KeyCheck:
    if status in REJECTED:
        return KeyCheck(False, f"The provider rejected this key (HTTP {status}).")
    if 300 <= status < 400:
        return KeyCheck(
            None, f"Could not check the key: {host} answered with a redirect (HTTP {status}); "
            "enter the address it points to."
        )  # fmt: skip
    if status >= 400:
        return KeyCheck(None, f"Could not check the key: {host} answered HTTP {status}.")
    if key.provider == Provider.GOOGLE_PLACES:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return KeyCheck(None, f"Could not check the key: {host} did not answer JSON.")
        if _google_style_rejection(payload):
            return KeyCheck(False, "The provider rejected this key.")
    return KeyCheck(True, "The provider accepted this key.")


def check_key(key: ApiKey, *, request: HttpRequest | None = None) -> KeyCheck:
    """Call the provider, store ``is_valid``/``last_validated_at``, audit a rejection.

    Never raises for a key that cannot be decrypted or an address that is not allowed: the
    answer says so, and nothing is sent.
    """
    try:
        secret = vault.reveal(key)
    except crypto.DecryptionError as exc:
        logger.warning("api key %s cannot be decrypted: %s", key.pk, exc)
        return KeyCheck(
            None, f"This key cannot be decrypted ({exc}), so it was not checked. Delete it and add it again."
        )
    own_url = vault.own_base_url(key)
    host = ""
    try:
        if own_url:
            vault.check_base_url(own_url)
        method, url, kwargs = _request(key, secret)
        host = urlsplit(url).netloc.rsplit("@", 1)[-1]
        status, body = _send(method, url, kwargs, vault.endpoint_policy() if own_url else None)
        result = _outcome(key, host, status, body)
    except ValidationError as exc:
        result = KeyCheck(None, f"Key not checked. {' '.join(exc.messages)} Nothing was sent.")
    except netguard.BlockedAddressError as exc:
        # Also when the name now resolves elsewhere than at the first check (rebinding).
        result = KeyCheck(None, f"Key not checked. This address is not allowed: {exc}. Nothing was sent.")
    except requests.Timeout:
        result = KeyCheck(None, f"Could not check the key: {host} timed out.")
    except requests.RequestException as exc:
        # The exception's text repeats the URL, and with it any key in the query: name its type.
        result = KeyCheck(
            None, f"Could not check the key: {host} could not be reached ({type(exc).__name__})."
        )
    except ValueError as exc:  # a provider without a check
        result = KeyCheck(None, f"Could not check the key: {exc}.")
    if result.valid is not None:
        ApiKey.objects.filter(pk=key.pk).update(is_valid=result.valid, last_validated_at=timezone.now())
    if result.valid is False:
        audit.record("api_key.use_failed", request=request, user=key.user, success=False, key=key.name)
    return result
