"""The analysis engine a project's settings ask for.

The local engine unless the project names an LLM provider (other than "local") and an API key
of its owner for that provider; then the LLM engine with the project's model, temperature and
max tokens, the key decrypted from the vault, and the project's monthly token budget.

Base URLs: an OpenAI-compatible key carries its own; an Ollama key may (else the operator's
``PROVIDER_BASE_URLS["ollama"]``); the other providers use ``PROVIDER_BASE_URLS``. A base URL
typed by a user is checked by the SSRF guard on every request, and connected to at the address
checked, under the vault's endpoint policy (:func:`accounts.vault.endpoint_policy`: public
addresses, and private networks where the operator sets ``LLM_ALLOW_PRIVATE_ENDPOINTS`` for a
self-hosted model), the same policy that checks the URL when the key is saved and tested.
"""

from __future__ import annotations

import logging

from django.conf import settings

from accounts import vault
from accounts.models import ApiKey, Provider
from analysis.engine.base import Engine
from analysis.engine.hybrid import HybridEngine
from analysis.engine.llm.budget import TokenBudget
from analysis.engine.llm.engine import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, LLMEngine
from analysis.engine.local import LocalEngine
from projects.models import LLMScope
from sentimatrix.http import HttpClient

logger = logging.getLogger(__name__)

LOCAL = "local"


def engine_for_project(project, *, http: HttpClient | None = None) -> Engine:
    """The engine for ``project`` (a ``projects.models.Project``); see the module docstring.
    ``http`` replaces the LLM engine's HTTP client (tests, benchmarks)."""
    source = _llm_source(project, warn=True)
    if source is None:
        return LocalEngine()
    key, base_url, user_url = source
    if http is None:
        http = HttpClient(
            rate_limit_delay=0,
            timeout=getattr(settings, "LLM_TIMEOUT", DEFAULT_TIMEOUT),
            max_retries=getattr(settings, "LLM_MAX_RETRIES", DEFAULT_MAX_RETRIES),
            guard=vault.endpoint_policy() if user_url else False,
        )
    llm = project.config.llm
    engine = LLMEngine(
        provider=key.provider,
        model=llm.model,
        api_key=vault.reveal(key),
        base_url=base_url,
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        http=http,
        budget=TokenBudget.for_project(project),
    )
    vault.mark_used(key)
    if llm.scope == LLMScope.UNSUPPORTED_LANGUAGES:
        return HybridEngine(LocalEngine(), engine)
    return engine


def uses_llm(project) -> bool:
    """Whether :func:`engine_for_project` would build the LLM engine for ``project``, decided
    without decrypting the key or marking it used (cheap enough for a page request)."""
    return _llm_source(project, warn=False) is not None


def _llm_source(project, *, warn: bool):
    """``(key, base_url, user_url)`` when the project's settings name a usable LLM, else None."""
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
    return key, base_url, user_url
