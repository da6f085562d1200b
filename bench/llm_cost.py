"""Cost of the LLM engine's batched requests against one request per result.

Run from the project root: ``.venv/bin/python bench/llm_cost.py [--results 500]``

Texts: the first half of ``--results`` from the UCI Amazon sentences and the rest from the UCI
Yelp sentences of the shared data (``sentiment/uci_*_labelled.txt``, file order), the same
texts for every run. The engine talks to the fake provider of ``tests/fake_llm.py`` on a local
pytest-httpserver (OpenAI protocol), without cache or budget. Two ways of sending them:

- batched: ``LLMEngine.analyze`` on all texts at once, as a worker does (batch sizes chosen by
  the engine from the project's ``max_tokens`` and the prompt token budget);
- one per result: ``LLMEngine.analyze`` called once per text, so each request carries the
  system message and one item.

Tokens are the ``usage`` numbers the fake server returns, computed from the request size:
characters of the system and user messages / 4, rounded up, plus 3 tokens of framing per
message; completion tokens are the answer's characters / 4. This is the usual approximation
for English with GPT- and Claude-style tokenisers, not a tokeniser's exact count; the ratio
between the two ways is what matters and depends little on it. Costs use the price table
(``analysis/engine/llm/pricing.py``). The engine's own estimate
(``pricing.estimate_cost`` from the mean text length) is shown beside the measured numbers.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis_accuracy import binary_set  # noqa: E402 (same folder)
from pytest_httpserver import HTTPServer  # noqa: E402

from analysis.engine import AnalysisItem, AnalysisOptions  # noqa: E402 (path set above)
from analysis.engine.llm.engine import LLMEngine  # noqa: E402
from analysis.engine.llm.pricing import estimate_cost, price_for  # noqa: E402
from sentimatrix.http import HttpClient  # noqa: E402
from tests.fake_llm import FakeLLM  # noqa: E402

CONFIGS = {
    "sentiment (3 classes)": AnalysisOptions(sentiment=True),
    "all parts (5 classes, Ekman, summary, insights)": AnalysisOptions(
        sentiment=True, sentiment_classes=5, emotions=True, summarize=True, extract_insights=True
    ),
}
MAX_TOKENS = (1000, 4000)
PRICED_MODELS = ("gpt-4o-mini", "claude-3-5-haiku-20241022")


def texts(count: int) -> list[str]:
    """``count`` texts: half UCI Amazon, half UCI Yelp, in file order."""
    amazon = [r.text for r in binary_set("uci_amazon_cells_labelled.txt", False)]
    yelp = [r.text for r in binary_set("uci_yelp_labelled.txt", False)]
    half = count // 2
    return amazon[:half] + yelp[: count - half]


def run(fake: FakeLLM, items: list[AnalysisItem], config: AnalysisOptions, max_tokens: int, batched: bool):
    """(prompt tokens, completion tokens, requests) the fake reported for one way of sending."""
    fake.calls.clear()
    http = HttpClient(
        rate_limit_delay=0,
        timeout=30,
        max_retries=0,
        max_bytes=10_000_000,
        user_agent="SentimatrixStudio/bench",
    )
    engine = LLMEngine(
        "openai", "gpt-4o-mini", api_key="bench", base_url=fake.openai_base_url,
        max_tokens=max_tokens, http=http, cache=None,
    )  # fmt: skip
    calls = [items] if batched else [[item] for item in items]
    for chunk in calls:
        results = engine.analyze(chunk, config)
        fallbacks = [r for r in results.values() if r.engine != "llm"]
        if fallbacks:
            raise SystemExit(f"{len(fallbacks)} results fell back to the local engine: {fallbacks[0].notes}")
    prompt, completion = fake.total_usage
    return prompt, completion, len(fake.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=500)
    args = parser.parse_args()
    started = time.perf_counter()
    sample = texts(args.results)
    items = [AnalysisItem(id=str(i), text=t) for i, t in enumerate(sample)]
    avg_chars = sum(len(t) for t in sample) / len(sample)
    print(
        f"LLM engine prompt cost: {len(sample)} results (UCI Amazon + Yelp), mean {avg_chars:.0f} characters"
    )
    print("Tokens: the fake server's usage numbers, from the request size (characters / 4 + 3 per message)")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access line per request otherwise
    server = HTTPServer()
    server.start()
    try:
        fake = FakeLLM(server)
        for name, config in CONFIGS.items():
            print()
            print(name)
            header = (
                f"{'max_tokens':>10}{'way':>14}{'requests':>10}{'prompt/result':>15}"
                f"{'compl./result':>15}{'estimate p/r':>14}{'ratio':>8}"
            )
            print(header)
            print("-" * len(header))
            for max_tokens in MAX_TOKENS:
                single = run(fake, items, config, max_tokens, batched=False)
                batched = run(fake, items, config, max_tokens, batched=True)
                estimate = estimate_cost(
                    "gpt-4o-mini", len(items), avg_chars, config=config, max_tokens=max_tokens
                )
                single_estimate = estimate_cost(
                    "gpt-4o-mini", 1, avg_chars, config=config, max_tokens=max_tokens
                )
                n = len(items)
                for way, (prompt, completion, requests), est in (
                    ("one/result", single, single_estimate.prompt_tokens),
                    ("batched", batched, estimate.prompt_tokens / n),
                ):
                    ratio = f"{prompt / single[0]:.3f}" if way == "batched" else ""
                    print(
                        f"{max_tokens:>10}{way:>14}{requests:>10}{prompt / n:>15.1f}"
                        f"{completion / n:>15.1f}{est:>14.1f}{ratio:>8}"
                    )
                for model in PRICED_MODELS:
                    price = price_for(model)
                    per_k_single = price.cost(single[0], single[1]) / n * 1000
                    per_k_batched = price.cost(batched[0], batched[1]) / n * 1000
                    print(
                        f"{'':>10}  {model}: ${per_k_single:.4f} one/result, ${per_k_batched:.4f} batched "
                        "per 1,000 results"
                    )
    finally:
        server.clear()
        server.stop()
    print()
    print(
        f"ratio = batched prompt tokens / one-per-result prompt tokens; {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
