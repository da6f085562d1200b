"""The LLM analysis engine: OpenAI-compatible and Anthropic providers, batched prompts with
validated JSON answers, a local fallback, an answer cache, and token and cost accounting.

Modules: :mod:`.providers` (the two wire protocols), :mod:`.prompt` (the batched prompt and
batch sizes), :mod:`.schema` (reading and validating answers), :mod:`.pricing` (the price
table and cost estimates), :mod:`.cache` (``llm_cache``), :mod:`.budget` (the monthly token
budget), :mod:`.engine` (:class:`LLMEngine`) and :mod:`.insights` (the abstractive summary of a
project's insights).
"""

from analysis.engine.llm.budget import BudgetExceeded, TokenBudget
from analysis.engine.llm.engine import LLMEngine, Usage
from analysis.engine.llm.pricing import CostEstimate, estimate_cost, price_for

__all__ = [
    "BudgetExceeded",
    "CostEstimate",
    "LLMEngine",
    "TokenBudget",
    "Usage",
    "estimate_cost",
    "price_for",
]
