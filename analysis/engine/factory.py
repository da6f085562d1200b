"""The analysis engine a project's settings ask for.

The local engine unless the project uses an LLM (:mod:`projects.llm_usage` decides); then the
LLM engine with the project's model, temperature and max tokens, the key decrypted from the
vault, and the project's monthly token budget. A base URL
typed by a user is checked by the SSRF guard on every request, and connected to at the address
checked, under the vault's endpoint policy (:func:`accounts.vault.endpoint_policy`: public
addresses, and private networks where the operator sets ``LLM_ALLOW_PRIVATE_ENDPOINTS`` for a
self-hosted model), the same policy that checks the URL when the key is saved and tested.
"""

from __future__ import annotations

import logging

from django.conf import settings

from accounts import vault
from analysis.engine.base import Engine
from analysis.engine.hybrid import HybridEngine
from analysis.engine.llm.budget import TokenBudget
from analysis.engine.llm.engine import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, LLMEngine
from analysis.engine.local import LocalEngine
from projects.llm_usage import llm_source
from projects.models import LLMScope
from sentimatrix.http import HttpClient

logger = logging.getLogger(__name__)


def engine_for_project(project, *, http: HttpClient | None = None) -> Engine:
    """The engine for ``project`` (a ``projects.models.Project``); see the module docstring.
    ``http`` replaces the LLM engine's HTTP client (tests, benchmarks)."""
    source = llm_source(project, warn=True)
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
