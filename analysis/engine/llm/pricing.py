"""THE price table: USD per million prompt and completion tokens, per model.

Prices are the providers' published list prices for standard (not batch, not cached-input)
requests, as of mid-2025; update them here and nowhere else. A model is found by its name
lower-cased, without an OpenRouter-style vendor prefix ("openai/gpt-4o-mini"), with dots read
as dashes ("claude-3.5-haiku" is "claude-3-5-haiku"), matching the longest table entry that
is the whole name or its start followed by "-" or ":" (dated snapshots such as
"gpt-4o-mini-2024-07-18" and tags such as "llama3:8b" take their family's price).

A model on the user's own machine costs nothing: the ``ollama`` provider, and an
OpenAI-compatible endpoint (vLLM, LM Studio, ...) on a loopback or private address. Any other
model the table does not know is priced at :data:`DEFAULT_PRICE`, deliberately high, so that an
estimate errs on the side of asking.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from analysis.engine.base import AnalysisOptions
from analysis.engine.llm.prompt import (
    estimate_tokens,
    item_line,
    output_tokens_per_item,
    plan_batches,
    system_prompt,
)


@dataclass(frozen=True)
class Price:
    """USD per 1,000,000 tokens."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for these token counts."""
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1_000_000


FREE = Price(0.0, 0.0)
DEFAULT_PRICE = Price(10.0, 30.0)
#: Results above this many ask for confirmation of the estimated cost before an LLM run.
CONFIRM_ABOVE_RESULTS = 100

PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5": Price(1.25, 10.0),
    "gpt-5-mini": Price(0.25, 2.0),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.0, 8.0),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.0),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4-turbo": Price(10.0, 30.0),
    "gpt-4": Price(30.0, 60.0),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    "o1": Price(15.0, 60.0),
    "o1-mini": Price(1.10, 4.40),
    "o3": Price(2.0, 8.0),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    # Anthropic
    "claude-opus-4": Price(15.0, 75.0),
    "claude-opus-4-1": Price(15.0, 75.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-3-7-sonnet": Price(3.0, 15.0),
    "claude-3-5-sonnet": Price(3.0, 15.0),
    "claude-3-5-haiku": Price(0.80, 4.0),
    "claude-3-opus": Price(15.0, 75.0),
    "claude-3-sonnet": Price(3.0, 15.0),
    "claude-3-haiku": Price(0.25, 1.25),
    # Groq
    "llama-3.1-8b-instant": Price(0.05, 0.08),
    "llama-3.3-70b-versatile": Price(0.59, 0.79),
    "llama3-8b-8192": Price(0.05, 0.08),
    "llama3-70b-8192": Price(0.59, 0.79),
    "gemma2-9b-it": Price(0.20, 0.20),
    "mixtral-8x7b-32768": Price(0.24, 0.24),
    "gpt-oss-20b": Price(0.10, 0.50),
    "gpt-oss-120b": Price(0.15, 0.75),
}
#: Providers whose models run on the user's own machine.
LOCAL_PROVIDERS = frozenset({"ollama"})


def _key(name: str) -> str:
    return name.strip().lower().rsplit("/", 1)[-1].replace(".", "-")


_TABLE = {_key(name): price for name, price in PRICES.items()}


def price_for(model: str, provider: str = "", base_url: str = "") -> Price:
    """The price of ``model`` (see the module docstring for how it is found)."""
    if provider in LOCAL_PROVIDERS or (provider == "openai_compatible" and _is_private(base_url)):
        return FREE
    name = _key(model or "")
    best = ""
    for key in _TABLE:
        if (name == key or name.startswith((key + "-", key + ":"))) and len(key) > len(best):
            best = key
    return _TABLE[best] if best else DEFAULT_PRICE


def cost_usd(
    model: str, prompt_tokens: int, completion_tokens: int, provider: str = "", base_url: str = ""
) -> float:
    """USD of one request's usage."""
    return price_for(model, provider, base_url).cost(prompt_tokens, completion_tokens)


def _is_private(base_url: str) -> bool:
    host = (urlsplit(base_url or "").hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@dataclass(frozen=True)
class CostEstimate:
    """What an LLM run on ``results`` results is expected to cost (before any cache hit)."""

    results: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def estimate_cost(
    model: str,
    n_results: int,
    avg_chars: float,
    *,
    config: AnalysisOptions | None = None,
    max_tokens: int = 1000,
    provider: str = "",
    base_url: str = "",
) -> CostEstimate:
    """The estimated tokens and USD of analysing ``n_results`` texts of ``avg_chars``
    characters with ``model``: the batches :func:`.prompt.plan_batches` would make, their
    prompt tokens by the 4-characters-per-token approximation, and the expected answer tokens
    (:func:`.prompt.output_tokens_per_item`). For the confirmation asked before a large run
    (:data:`CONFIRM_ABOVE_RESULTS`)."""
    config = config or AnalysisOptions()
    n_results = max(0, int(n_results))
    if n_results == 0:
        return CostEstimate(0, 0, 0, 0, 0.0)
    text = "x" * max(1, math.ceil(avg_chars))
    # Every batch holds the same texts, so plan one full batch and scale.
    capacity_plan = plan_batches([text] * min(n_results, 1000), config, max_tokens)
    per_batch = len(capacity_plan[0])
    requests = math.ceil(n_results / per_batch)
    overhead = estimate_tokens(system_prompt(config)) + estimate_tokens("Items:\n")
    per_item = estimate_tokens(item_line("10", text)) + 1
    prompt_tokens = requests * overhead + n_results * per_item
    completion_tokens = n_results * output_tokens_per_item(config)
    cost = price_for(model, provider, base_url).cost(prompt_tokens, completion_tokens)
    return CostEstimate(n_results, requests, prompt_tokens, completion_tokens, round(cost, 6))


def confirmation_needed(n_results: int) -> bool:
    """True when a run on ``n_results`` results should show its estimate and ask first."""
    return n_results > CONFIRM_ABOVE_RESULTS
