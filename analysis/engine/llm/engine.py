"""The LLM engine: the project's model analyses many results per request.

One :meth:`LLMEngine.analyze` call:

1. Each item's text (title and text, normalised) gets its cache key; cached items are answered
   from ``llm_cache`` and items with the same key are sent once.
2. The rest are grouped into batched requests (:func:`.prompt.plan_batches`). Before each
   request the token budget is checked (:class:`.budget.TokenBudget`); after each answer its
   usage is recorded there and in :attr:`LLMEngine.usage`, and the valid entries go to the
   cache at once, so whatever happens later nothing paid for is paid for again.
3. Ids whose entries are missing or invalid, and every id of a request that failed (rate limit
   after the client's retries, timeout, 5xx, unreadable answer), are asked once more in
   smaller requests (at most half the size of the request they were in). Ids still without an
   answer get the local engine's analysis with ``engine="local_fallback"`` and a note under
   ``notes["engine"]`` saying why.
4. A fatal provider error (bad key, unknown model, rejected request) or
   :data:`MAX_CONSECUTIVE_FAILURES` failed requests in a row stop calling the provider: the
   remaining items fall back to the local engine in the same way. A provider error never loses
   an item.
5. When the budget does not cover the next request, :class:`.budget.BudgetExceeded` is raised
   with the analyses finished so far in its ``results`` (and the run's ``usage``); the items
   left are not analysed and stay for a later run.

Language, word count, rating score and rating disagreement are computed here exactly as the
local engine does (py3langid, the text's words, the normalised rating against the LLM's
sentiment score); the parts come from the model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from analysis.engine.base import (
    AnalysisItem,
    AnalysisOptions,
    Engine,
    ItemAnalysis,
    normalise_rating,
    ratings_disagree,
)
from analysis.engine.language import detect_language
from analysis.engine.llm import prompt
from analysis.engine.llm.budget import BudgetExceeded, TokenBudget
from analysis.engine.llm.cache import LLMCache, cache_key
from analysis.engine.llm.pricing import price_for
from analysis.engine.llm.providers import Completion, ProviderError, protocol_for
from analysis.engine.llm.schema import CheckedAnswer, check_answer
from analysis.engine.local import LocalEngine
from analysis.engine.text import word_count
from sentimatrix.http import HttpClient

logger = logging.getLogger(__name__)

LLM = "llm"
LOCAL_FALLBACK = "local_fallback"
MAX_CONSECUTIVE_FAILURES = 3
#: Seconds an LLM request may take before it counts as timed out (batched answers are long).
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 2
#: Where a part's timestamp goes.
STAMPS = {
    "sentiment": "analyzed_at",
    "emotions": "analyzed_at",
    "summary": "generated_at",
    "insights": "extracted_at",
}
_DEFAULT_CACHE: Any = object()


@dataclass
class Usage:
    """What one ``analyze()`` call spent and saved. ``estimated`` is True when a server sent no
    usage numbers and some counts are estimates."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    estimated: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_job_usage(self) -> dict[str, Any]:
        """The ``llm_usage`` fields of a scrape job."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass
class _Pending:
    """One distinct text to send, and the ids of the items that share it."""

    key: str
    text: str
    item_ids: list[str]
    reason: str = ""


@dataclass
class _Run:
    """The state of one ``analyze()`` call."""

    config: AnalysisOptions
    items: dict[str, AnalysisItem]
    now: datetime
    results: dict[str, ItemAnalysis] = field(default_factory=dict)


class _StopProvider(Exception):
    """No more requests this run (a fatal error, or too many failures in a row)."""


class LLMEngine(Engine):
    """Analysis by a chat model over the OpenAI-compatible or Anthropic protocol.

    ``http`` defaults to a client without spacing between requests, a
    :data:`DEFAULT_TIMEOUT` timeout and :data:`DEFAULT_MAX_RETRIES` retries (429 with
    ``Retry-After``, 5xx, network errors). ``cache`` defaults to the ``llm_cache`` collection;
    pass None for none. ``budget`` (a :class:`.budget.TokenBudget`), when given, is checked
    before and charged after every request. ``fallback`` analyses what the model could not.
    After each call :attr:`usage` holds what it spent (:class:`Usage`).
    """

    name = LLM

    def __init__(
        self,
        provider: str,
        model: str,
        *,
        api_key: str = "",
        base_url: str = "",
        temperature: float = 0.7,
        max_tokens: int = 1000,
        http: HttpClient | None = None,
        budget: TokenBudget | None = None,
        cache: LLMCache | None = _DEFAULT_CACHE,
        fallback: Engine | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        if not model:
            raise ValueError("the LLM engine needs a model name")
        self.provider = provider
        self.model = model
        self.base_url = base_url
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.http = http or HttpClient(
            rate_limit_delay=0, timeout=DEFAULT_TIMEOUT, max_retries=DEFAULT_MAX_RETRIES
        )
        self.protocol = protocol_for(provider, base_url, api_key, self.http)
        self.budget = budget
        self.cache = LLMCache() if cache is _DEFAULT_CACHE else cache
        self.fallback = fallback or LocalEngine()
        self.price = price_for(model, provider, base_url)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.usage = Usage()
        self._failures = 0

    # --- the public call ------------------------------------------------------------------
    def analyze(self, items: list[AnalysisItem], config: AnalysisOptions) -> dict[str, ItemAnalysis]:
        """Analyse ``items`` (see the module docstring); keyed by item id."""
        self.usage = Usage()
        self._failures = 0
        run = _Run(config, {item.id: item for item in items}, self.clock())
        if not prompt.requested_parts(config):
            return self.fallback.analyze(list(run.items.values()), config)
        pending: dict[str, _Pending] = {}
        for item in run.items.values():
            text = prompt.normalise_text(item.full_text)
            key = cache_key(text, self.provider, self.model, self.temperature, config)
            pending.setdefault(key, _Pending(key, prompt.truncate(text), [])).item_ids.append(item.id)

        cached = self.cache.get_many(list(pending)) if self.cache is not None else {}
        for key, parts in cached.items():
            entry = pending.pop(key)
            self.usage.cache_hits += len(entry.item_ids)
            for item_id in entry.item_ids:
                run.results[item_id] = self._item_analysis(run, run.items[item_id], parts)

        queue = list(pending.values())
        try:
            for batch in self._batches(queue, config):
                self._run_with_retry(run, batch)
        except BudgetExceeded as exc:
            exc.results = run.results
            exc.usage = self.usage
            raise
        except _StopProvider as exc:
            reason = f"the LLM provider was not asked after an error: {exc.__cause__}"
            for entry in queue:
                entry.reason = entry.reason or reason
        self._fall_back(run, queue)
        return run.results

    # --- requests -------------------------------------------------------------------------
    def _batches(self, queue: list[_Pending], config: AnalysisOptions, capacity: int | None = None):
        plan = prompt.plan_batches([p.text for p in queue], config, self.max_tokens, capacity=capacity)
        for indexes in plan:
            yield [queue[i] for i in indexes]

    def _run_with_retry(self, run: _Run, batch: list[_Pending]) -> None:
        """Send ``batch``; ask once more for what came back without a valid entry, in requests
        of at most half its size. What stays unanswered keeps the reason in ``reason``."""
        missing = self._request(run, batch)
        if not missing:
            return
        smaller = max(1, math.ceil(len(batch) / 2))
        for retry in self._batches(missing, run.config, capacity=smaller):
            self._request(run, retry)

    def _request(self, run: _Run, batch: list[_Pending]) -> list[_Pending]:
        """One request for ``batch``; fills ``run.results`` and returns the entries it did not
        answer."""
        system = prompt.system_prompt(run.config)
        user = prompt.user_prompt([p.text for p in batch])
        if self.budget is not None:
            answer = prompt.output_tokens_per_item(run.config) * len(batch)
            self.budget.check(prompt.estimate_tokens(system + user) + answer)
        try:
            completion = self.protocol.complete(
                system=system,
                user=user,
                model=self.model,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
            )
        except ProviderError as exc:
            return self._failed_request(batch, exc)
        self._failures = 0
        self._charge(completion)
        checked = check_answer(completion.text, run.config, [str(i) for i in range(1, len(batch) + 1)])
        return self._take_answers(run, batch, checked)

    def _failed_request(self, batch: list[_Pending], exc: ProviderError) -> list[_Pending]:
        self.usage.errors.append(str(exc))
        logger.warning("LLM request to %s (%s) failed: %s", self.provider, self.model, exc)
        for entry in batch:
            entry.reason = f"the LLM provider failed: {exc}"
        self._failures += 1
        if exc.fatal or self._failures >= MAX_CONSECUTIVE_FAILURES:
            raise _StopProvider from exc
        return batch

    def _charge(self, completion: Completion) -> None:
        cost = self.price.cost(completion.prompt_tokens, completion.completion_tokens)
        usage = self.usage
        usage.requests += 1
        usage.prompt_tokens += completion.prompt_tokens
        usage.completion_tokens += completion.completion_tokens
        usage.cost_usd += cost
        usage.estimated = usage.estimated or completion.estimated
        if self.budget is not None:
            self.budget.record(completion.prompt_tokens, completion.completion_tokens, cost)

    def _take_answers(self, run: _Run, batch: list[_Pending], checked: CheckedAnswer) -> list[_Pending]:
        answered: dict[str, dict[str, Any]] = {}
        unanswered: list[_Pending] = []
        for position, entry in enumerate(batch, start=1):
            parts = checked.valid.get(str(position))
            if parts is None:
                reason = checked.invalid.get(str(position)) or checked.error or "the answer left it out"
                entry.reason = f"the LLM gave no valid analysis ({reason})"
                unanswered.append(entry)
                continue
            answered[entry.key] = parts
            for item_id in entry.item_ids:
                run.results[item_id] = self._item_analysis(run, run.items[item_id], parts)
        if self.cache is not None and answered:
            self.cache.put_many(answered, model=self.model)
        return unanswered

    # --- building the analyses ------------------------------------------------------------
    def _item_analysis(self, run: _Run, item: AnalysisItem, parts: dict) -> ItemAnalysis:
        analysis: dict[str, Any] = dict.fromkeys(prompt.PARTS)
        for part in prompt.requested_parts(run.config):
            analysis[part] = {**parts[part], STAMPS[part]: run.now}
        rating_score = normalise_rating(item.rating, item.rating_scale)
        sentiment = analysis["sentiment"]
        return ItemAnalysis(
            analysis=analysis,
            language=detect_language(item.full_text),
            word_count=word_count(item.text),
            rating_disagreement=ratings_disagree(sentiment["score"] if sentiment else None, rating_score),
            rating_score=rating_score,
            engine=LLM,
        )

    def _fall_back(self, run: _Run, queue: list[_Pending]) -> None:
        """The local engine's analysis, marked as a fallback, for every queued item the model
        did not answer."""
        reasons = {i: p.reason for p in queue for i in p.item_ids if i not in run.results}
        if not reasons:
            return
        local = self.fallback.analyze([run.items[i] for i in reasons], run.config)
        for item_id, reason in reasons.items():
            analysed = local[item_id]
            analysed.engine = LOCAL_FALLBACK
            analysed.notes = {**analysed.notes, "engine": f"analysed by the local engine: {reason}"}
            run.results[item_id] = analysed
        self.usage.fallbacks += len(reasons)
