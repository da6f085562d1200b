"""Whether a project's analysis uses an LLM: the one answer the engine factory, the pages, the
re-analysis estimate and the insights' refresh all read.

A project uses an LLM when its settings name a provider (other than "local") and an API key of
its owner for that provider, and a base URL is known for it: an OpenAI-compatible key carries
its own, an Ollama key may (else the operator's ``PROVIDER_BASE_URLS["ollama"]``), the other
providers use ``PROVIDER_BASE_URLS``. A deleted key, or one of another provider, means the
local engine, and every page says so.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from django.conf import settings

from accounts.models import ApiKey, Provider
from projects.models import Project

logger = logging.getLogger(__name__)

LOCAL = "local"


class LLMSource(NamedTuple):
    key: ApiKey
    base_url: str
    user_url: str  # the base URL the key's owner typed ("" for a provider's own)


def llm_source(project: Project, *, warn: bool = False) -> LLMSource | None:
    """The key and base URL of the LLM ``project`` uses, or None for the local engine (logged
    as a warning with ``warn`` when the settings name an LLM that cannot be used)."""
    llm = project.config.llm
    provider = (llm.provider or "").strip()
    if not provider or provider == LOCAL or not llm.api_key_id:
        return None
    key = ApiKey.objects.filter(pk=llm.api_key_id, user_id=project.user_id).first()
    if key is None or key.provider != provider:
        if warn:
            logger.warning(
                "project %s: LLM key %s is missing or not a %s key; analysing with the local engine",
                project.pk,
                llm.api_key_id,
                provider,
            )
        return None
    user_url = key.base_url if provider in (Provider.OPENAI_COMPATIBLE, Provider.OLLAMA) else ""
    base_url = user_url or settings.PROVIDER_BASE_URLS.get(provider, "")
    if not base_url:
        if warn:
            logger.warning(
                "project %s: no base URL for provider %s; using the local engine", project.pk, provider
            )
        return None
    return LLMSource(key, base_url, user_url)


def uses_llm(project: Project) -> bool:
    """Whether ``project``'s analysis runs on an LLM, decided without decrypting the key or
    marking it used (cheap enough for a page request)."""
    return llm_source(project) is not None
