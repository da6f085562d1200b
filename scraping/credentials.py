"""What a collector needs from the project and the vault, as plain values."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bson import ObjectId

from accounts import vault
from accounts.models import ApiKey
from scraping.collectors.base import CollectorError, TargetSpec
from scraping.collectors.registry import get_collector
from sentimatrix.crypto import DecryptionError

logger = logging.getLogger(__name__)


def for_user(user_id: ObjectId, project: dict, providers: Iterable[str]) -> dict[str, str]:
    """Plaintext keys of ``providers`` only (least privilege: a key no collector of the run
    uses is neither decrypted nor marked used): the project's chosen commercial key first,
    else the user's newest key of each provider that has not been rejected."""
    providers = set(providers)
    keys: dict[str, str] = {}
    if not providers:
        return keys
    chosen = ((project.get("config") or {}).get("scrapers") or {}).get("commercial_config") or {}
    candidates = list(
        ApiKey.objects.filter(user_id=user_id, provider__in=sorted(providers))
        .exclude(is_valid=False)
        .order_by("-created_at")
    )
    if chosen.get("api_key_id"):
        candidates.sort(key=lambda key: key.pk != chosen["api_key_id"])
    for key in candidates:
        if key.provider in keys:
            continue
        try:
            keys[key.provider] = vault.reveal(key)
        except DecryptionError:
            logger.warning("api key %s could not be decrypted; skipped", key.pk)
            continue
        vault.mark_used(key)
    return keys


def for_target(user_id: ObjectId, project: dict, spec: TargetSpec) -> dict[str, str]:
    """The keys the collector of ``spec`` uses, decrypted; see :func:`for_user`."""
    try:
        needed = get_collector(spec.platform).credentials_needed(spec)
    except CollectorError:  # no collector: the run reports that itself, with no key needed
        return {}
    return for_user(user_id, project, needed)


def platform_data(target: dict) -> dict:
    """The target's parsed identifiers without empty values."""
    return {k: v for k, v in (target.get("platform_data") or {}).items() if v not in (None, "", [], {})}


def commercial_options(project: dict) -> dict:
    scrapers = (project.get("config") or {}).get("scrapers") or {}
    provider = scrapers.get("commercial_provider")
    if not provider:
        return {}
    config = scrapers.get("commercial_config") or {}
    return {
        "commercial_provider": provider,
        "render": bool(config.get("render_js")),
        "premium": bool(config.get("premium_proxy")),
        **({"country_code": config["country"]} if config.get("country") else {}),
    }
