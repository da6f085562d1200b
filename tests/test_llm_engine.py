"""The LLM engine against a local fake provider speaking the OpenAI and Anthropic protocols.

The fake (``tests/fake_llm.py``) answers from the texts with its own word list, so an LLM
answer and the local engine's analysis of the same text differ and tests can tell them apart.
"""

from __future__ import annotations

import csv
import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from pytest_httpserver import HTTPServer

from analysis.engine import AnalysisItem, AnalysisOptions, LocalEngine
from analysis.engine.base import normalise_rating
from analysis.engine.llm import prompt, schema
from analysis.engine.llm.cache import COLLECTION, TTL, TTL_INDEX, LLMCache, cache_key
from analysis.engine.llm.engine import LLMEngine
from analysis.engine.llm.pricing import (
    DEFAULT_PRICE,
    FREE,
    PRICES,
    confirmation_needed,
    estimate_cost,
    price_for,
)
from analysis.engine.llm.providers import ANTHROPIC_VERSION
from sentimatrix.http import HttpClient
from sentimatrix.mongo import collection
from tests.fake_llm import FakeLLM, read_system, tokens
from tests.playback import RecordingSleep

KEY = "sk-test-0123456789abcdef"
PROTOCOLS = ["openai", "anthropic"]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-20241022"}
ALL_PARTS = AnalysisOptions(
    sentiment=True, sentiment_classes=5, emotions=True, summarize=True, extract_insights=True
)
NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def uci_texts(count: int, name: str = "uci_amazon_cells_labelled.txt") -> list[str]:
    """The first ``count`` sentences of a UCI file of the shared data."""
    path = Path(settings.SHARED_DATA_DIR) / "sentiment" / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row[0] for row in rows[:count]]


def items_of(texts: list[str]) -> list[AnalysisItem]:
    return [AnalysisItem(id=f"r{i}", text=t) for i, t in enumerate(texts)]


@pytest.fixture
def fake(httpserver):
    return FakeLLM(httpserver, api_key=KEY)


@pytest.fixture
def slow_fake():
    """A fake on its own threaded server: a slow answer must not hold up the next request (the
    shared ``httpserver`` answers one request at a time)."""
    server = HTTPServer(threaded=True)
    server.start()
    fake = FakeLLM(server, api_key=KEY)
    fake.default = "slow"
    fake.slow_seconds = 0.5
    yield fake
    time.sleep(fake.slow_seconds)  # let abandoned slow answers finish before the server stops
    server.clear()
    server.stop()


@pytest.fixture
def llm_cache(db):
    """The real ``llm_cache`` collection, emptied around the test (no model owns it, so the
    test database flush leaves it alone)."""
    collection(COLLECTION).delete_many({})
    yield LLMCache()
    collection(COLLECTION).delete_many({})


def build(fake: FakeLLM, protocol: str = "openai", *, timeout: float = 5, max_retries: int = 1, **kwargs):
    http = HttpClient(rate_limit_delay=0, timeout=timeout, max_retries=max_retries, sleep=RecordingSleep())
    kwargs.setdefault("cache", None)
    return LLMEngine(
        protocol,
        kwargs.pop("model", MODELS[protocol]),
        api_key=kwargs.pop("api_key", KEY),
        base_url=fake.base_url(protocol),
        temperature=kwargs.pop("temperature", 0.2),
        max_tokens=kwargs.pop("max_tokens", 4000),
        http=http,
        clock=lambda: NOW,
        **kwargs,
    )


def sent_text(item: AnalysisItem) -> str:
    return prompt.truncate(prompt.normalise_text(item.full_text))


def assert_models_answer(result, item: AnalysisItem, fake: FakeLLM, system: str):
    """``result`` is the fake model's answer for ``item`` (validated, stamped with NOW)."""
    expected = fake.expected(sent_text(item), system)
    assert result.engine == "llm"
    for part, stamp in (
        ("sentiment", "analyzed_at"),
        ("emotions", "analyzed_at"),
        ("summary", "generated_at"),
        ("insights", "extracted_at"),
    ):
        if part not in expected:
            assert result.analysis[part] is None
            continue
        got = result.analysis[part]
        assert got[stamp] == NOW
        if part == "sentiment":
            for field in ("label", "score", "confidence"):
                assert got[field] == expected[part][field]
            assert got["scores"] == pytest.approx(expected[part]["scores"], abs=1e-3)
            assert sum(got["scores"].values()) == pytest.approx(1.0)
        elif part == "emotions":
            assert got["primary"] == expected[part]["primary"]
            assert got["detected"] == expected[part]["detected"]
        else:
            assert {k: v for k, v in got.items() if k != stamp} == expected[part]


# --- request shape -----------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_batched_request_shape(fake, protocol):
    items = items_of(uci_texts(12))
    config = AnalysisOptions(sentiment=True, emotions=True)
    engine = build(fake, protocol, temperature=0.3, max_tokens=3000)
    results = engine.analyze(items, config)

    assert prompt.batch_capacity(config, 3000) >= 12
    assert len(fake.calls) == 1  # twelve results, one request
    call = fake.calls[0]
    assert call.protocol == protocol
    body = call.body
    assert body["model"] == MODELS[protocol]
    assert body["max_tokens"] == 3000
    assert body["temperature"] == 0.3
    if protocol == "openai":
        assert call.headers["Authorization"] == f"Bearer {KEY}"
        assert body["response_format"] == {"type": "json_object"}
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
    else:
        assert call.headers["X-Api-Key"] == KEY
        assert call.headers["Anthropic-Version"] == ANTHROPIC_VERSION
        assert [m["role"] for m in body["messages"]] == ["user"]
        assert body["system"] == call.system
    # Items go as JSON lines under short positional ids; the system message names the parts.
    assert call.ids == [str(i) for i in range(1, 13)]
    assert [item["text"] for item in call.items] == [sent_text(i) for i in items]
    assert read_system(call.system).parts == ["sentiment", "emotions"]
    assert read_system(call.system).sentiment_labels == ["positive", "neutral", "negative"]
    assert set(results) == {i.id for i in items}


def test_openai_reasoning_models_get_max_completion_tokens_and_no_temperature(fake):
    build(fake, model="o4-mini", max_tokens=900).analyze(items_of(uci_texts(2)), AnalysisOptions())
    body = fake.calls[0].body
    assert body["max_completion_tokens"] == 900
    assert "max_tokens" not in body
    assert "temperature" not in body


def test_anthropic_temperature_is_clamped_to_its_range(fake):
    build(fake, "anthropic", temperature=1.6).analyze(items_of(uci_texts(1)), AnalysisOptions())
    assert fake.calls[0].body["temperature"] == 1.0


def test_batches_follow_max_tokens_and_the_prompt_budget(fake):
    items = items_of(uci_texts(30))
    config = AnalysisOptions(sentiment=True)
    build(fake, max_tokens=300).analyze(items, config)
    capacity = prompt.batch_capacity(config, 300)
    assert capacity < 30
    assert [len(c.items) for c in fake.calls] == [capacity] * (30 // capacity) + (
        [30 % capacity] if 30 % capacity else []
    )
    # Long texts: the prompt budget, not max_tokens, closes each batch.
    fake.calls.clear()
    long_items = [AnalysisItem(id=f"l{i}", text=f"{i} " + "great value " * 400) for i in range(12)]
    build(fake).analyze(long_items, config)
    assert len(fake.calls) > 1
    for call in fake.calls:
        assert tokens(call.system) + tokens(call.user) <= prompt.REQUEST_PROMPT_TOKENS + 10


def test_long_texts_are_truncated_at_a_word_boundary(fake):
    text = "The battery is great. " * 400
    build(fake).analyze([AnalysisItem(id="a", text=text)], AnalysisOptions())
    sent = fake.calls[0].items[0]["text"]
    assert len(sent) <= prompt.MAX_TEXT_CHARS
    assert sent.endswith(prompt.TRUNCATION_MARK)
    assert text.startswith(sent.removesuffix(prompt.TRUNCATION_MARK))


# --- valid answers -------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_valid_answer_becomes_each_results_analysis(fake, protocol):
    texts = uci_texts(8, "uci_yelp_labelled.txt")
    items = [AnalysisItem(id=f"y{i}", text=t, rating=5 if i % 2 else 1) for i, t in enumerate(texts)]
    results = build(fake, protocol).analyze(items, ALL_PARTS)

    system = fake.calls[0].system
    local = LocalEngine().analyze(items, ALL_PARTS)
    for item in items:
        result = results[item.id]
        assert_models_answer(result, item, fake, system)
        assert result.analysis["emotions"]["model"] == "ekman"
        assert result.language == local[item.id].language
        assert result.word_count == local[item.id].word_count
        rating = normalise_rating(item.rating)
        assert result.rating_score == rating
        score = result.analysis["sentiment"]["score"]
        assert result.rating_disagreement == (
            ((score <= -0.05 and rating > 0) or (score >= 0.05 and rating < 0)) and abs(score - rating) >= 1
        )
    assert any(r.rating_disagreement for r in results.values())


def test_goemotions_prompt_lists_the_datasets_labels(fake):
    labels = (Path(settings.SHARED_DATA_DIR) / "sentiment" / "goemotions_emotions.txt").read_text().split()
    config = AnalysisOptions(sentiment=False, emotions=True, emotion_model="goemotions")
    items = items_of(uci_texts(6))
    results = build(fake).analyze(items, config)
    assert read_system(fake.calls[0].system).emotion_labels == labels
    for item in items:
        assert_models_answer(results[item.id], item, fake, fake.calls[0].system)
        assert results[item.id].analysis["emotions"]["model"] == "goemotions"
        assert results[item.id].analysis["emotions"]["primary"] in labels


def test_fenced_answer_is_read(fake):
    fake.then("fenced")
    items = items_of(uci_texts(4))
    results = build(fake, "anthropic").analyze(items, AnalysisOptions())
    assert len(fake.calls) == 1
    assert {r.engine for r in results.values()} == {"llm"}


def test_duplicate_texts_in_one_batch_are_sent_once(fake):
    texts = uci_texts(3)
    items = items_of([*texts, texts[0], "  " + texts[1].replace(" ", "   ") + "\n"])
    results = build(fake).analyze(items, AnalysisOptions())
    assert len(fake.calls[0].items) == 3
    assert results["r3"].analysis["sentiment"] == results["r0"].analysis["sentiment"]
    assert results["r4"].analysis["sentiment"] == results["r1"].analysis["sentiment"]


def test_no_part_switched_on_sends_nothing(fake):
    config = AnalysisOptions(sentiment=False)
    results = build(fake).analyze(items_of(uci_texts(3)), config)
    assert fake.calls == []
    assert all(all(part is None for part in r.analysis.values()) for r in results.values())


# --- malformed, missing and invalid answers ----------------------------------------------------
def test_malformed_json_is_retried_in_smaller_requests(fake):
    fake.then("malformed")
    items = items_of(uci_texts(10))
    engine = build(fake)
    results = engine.analyze(items, AnalysisOptions())
    first, *retries = fake.calls
    assert first.mode == "malformed" and len(first.items) == 10
    assert len(retries) == 2 and all(len(c.items) <= 5 for c in retries)
    assert sorted(t["text"] for c in retries for t in c.items) == sorted(sent_text(i) for i in items)
    for item in items:
        assert_models_answer(results[item.id], item, fake, first.system)
    assert engine.usage.requests == 3  # the malformed answer was paid for too


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_malformed_twice_falls_back_to_the_local_engine(fake, protocol):
    fake.default = "malformed"
    items = items_of(uci_texts(6))
    engine = build(fake, protocol)
    results = engine.analyze(items, AnalysisOptions(sentiment=True, emotions=True))
    local = LocalEngine().analyze(items, AnalysisOptions(sentiment=True, emotions=True))
    assert len(fake.calls) == 3  # the batch, then its two halves once; no more
    for item in items:
        result = results[item.id]
        assert result.engine == "local_fallback"
        assert "not JSON" in result.notes["engine"]
        assert result.analysis["sentiment"]["score"] == local[item.id].analysis["sentiment"]["score"]
        assert result.analysis["emotions"]["detected"] == local[item.id].analysis["emotions"]["detected"]
    assert engine.usage.fallbacks == 6


def test_missing_ids_are_retried_alone(fake):
    fake.then("drop_half")
    items = items_of(uci_texts(9))
    results = build(fake).analyze(items, AnalysisOptions())
    first, *retries = fake.calls
    dropped = [sent_text(item) for i, item in enumerate(items) if i % 2]  # positions 2, 4, ... left out
    assert sorted(t["text"] for c in retries for t in c.items) == sorted(dropped)
    for item in items:
        assert_models_answer(results[item.id], item, fake, first.system)


def test_ids_missing_after_the_retry_fall_back_with_a_note(fake):
    fake.default = "drop_half"
    items = items_of(uci_texts(8))
    engine = build(fake)
    results = engine.analyze(items, AnalysisOptions())
    answered = {c.items[i]["text"] for c in fake.calls for i in range(0, len(c.items), 2)}
    for item in items:
        result = results[item.id]
        if sent_text(item) in answered:
            assert_models_answer(result, item, fake, fake.calls[0].system)
        else:
            assert result.engine == "local_fallback"
            assert "left it out" in result.notes["engine"]
    assert engine.usage.fallbacks == sum(r.engine == "local_fallback" for r in results.values()) > 0


def test_invalid_entry_is_dropped_and_retried(fake):
    fake.then("invalid_first")
    items = items_of(uci_texts(5))
    results = build(fake).analyze(items, AnalysisOptions())
    assert len(fake.calls) == 2
    assert [t["text"] for t in fake.calls[1].items] == [sent_text(items[0])]
    assert_models_answer(results[items[0].id], items[0], fake, fake.calls[0].system)


def test_truncated_answer_keeps_its_complete_entries(fake):
    fake.then("truncated")
    items = items_of(uci_texts(8))
    results = build(fake).analyze(items, AnalysisOptions())
    assert [t["text"] for t in fake.calls[1].items] == [sent_text(i) for i in items[4:]]
    assert {r.engine for r in results.values()} == {"llm"}


# --- rate limits, timeouts, provider errors ------------------------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_429_then_success_waits_retry_after(fake, protocol):
    fake.retry_after = 7
    fake.then("rate_limit")
    items = items_of(uci_texts(5))
    engine = build(fake, protocol)
    results = engine.analyze(items, AnalysisOptions())
    assert [c.mode for c in fake.calls] == ["rate_limit", "ok"]
    assert engine.http.sleep.waits == [7.0]
    assert {r.engine for r in results.values()} == {"llm"}
    assert engine.usage.requests == 1


def test_timeout_then_the_retry_answers(slow_fake):
    slow_fake.default = "ok"
    slow_fake.then("slow")
    items = items_of(uci_texts(4))
    engine = build(slow_fake, timeout=0.2, max_retries=0)
    results = engine.analyze(items, AnalysisOptions())
    assert [c.mode for c in slow_fake.calls] == ["slow", "ok", "ok"]  # then the halves
    assert "timed out" in engine.usage.errors[0]
    assert {r.engine for r in results.values()} == {"llm"}


def test_persistent_timeouts_stop_calling_and_fall_back(slow_fake):
    items = items_of(uci_texts(12))
    engine = build(slow_fake, timeout=0.1, max_retries=0, max_tokens=300)
    results = engine.analyze(items, AnalysisOptions())
    assert len(slow_fake.calls) == 3  # MAX_CONSECUTIVE_FAILURES, then no more requests
    assert {r.engine for r in results.values()} == {"local_fallback"}
    assert all("timed out" in r.notes["engine"] for r in results.values())
    assert len(results) == 12


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_rejected_key_stops_at_once_and_loses_nothing(fake, protocol):
    items = items_of(uci_texts(7))
    engine = build(fake, protocol, api_key="sk-wrong")
    results = engine.analyze(items, AnalysisOptions())
    assert len(fake.calls) == 1
    assert set(results) == {i.id for i in items}
    assert {r.engine for r in results.values()} == {"local_fallback"}
    note = results["r0"].notes["engine"]
    assert "401" in note and "invalid x-api-key" in note
    assert "sk-wrong" not in note
    assert engine.usage.requests == 0 and engine.usage.cost_usd == 0


# --- cache -----------------------------------------------------------------------------------
def test_cache_hit_on_a_duplicate_text_sends_no_second_request(fake, llm_cache):
    texts = uci_texts(3)
    engine = build(fake, cache=llm_cache)
    first = engine.analyze(items_of(texts), AnalysisOptions())
    assert len(fake.calls) == 1 and engine.usage.cache_hits == 0

    again = [AnalysisItem(id="other", text="  " + texts[1].replace(" ", "  ") + "\n")]  # same words
    second = engine.analyze(again, AnalysisOptions())
    assert len(fake.calls) == 1  # no second request
    assert engine.usage.cache_hits == 1 and engine.usage.requests == 0
    assert second["other"].engine == "llm"
    assert second["other"].analysis["sentiment"] == first["r1"].analysis["sentiment"]
    stored = collection(COLLECTION).find_one(
        {"_id": cache_key(texts[1], "openai", MODELS["openai"], 0.2, AnalysisOptions())}
    )
    assert stored["parts"]["sentiment"]["label"] == first["r1"].analysis["sentiment"]["label"]
    index = {i["name"]: i for i in collection(COLLECTION).list_indexes()}[TTL_INDEX]
    assert index["expireAfterSeconds"] == TTL.total_seconds()


def test_cache_is_keyed_by_model_and_settings(fake, llm_cache):
    items = items_of(uci_texts(2))
    build(fake, cache=llm_cache).analyze(items, AnalysisOptions())
    build(fake, cache=llm_cache, temperature=0.9).analyze(items, AnalysisOptions())
    build(fake, cache=llm_cache, model="gpt-4.1-mini").analyze(items, AnalysisOptions())
    build(fake, cache=llm_cache).analyze(items, AnalysisOptions(sentiment_classes=5))
    assert len(fake.calls) == 4
    build(fake, cache=llm_cache, temperature=0.9).analyze(items, AnalysisOptions())
    assert len(fake.calls) == 4


def test_fallbacks_are_not_cached(fake, llm_cache):
    fake.default = "malformed"
    items = items_of(uci_texts(2))
    build(fake, cache=llm_cache).analyze(items, AnalysisOptions())
    assert collection(COLLECTION).count_documents({}) == 0


# --- tokens and cost -----------------------------------------------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tokens_and_cost_are_the_providers_usage_priced_by_the_table(fake, protocol):
    items = items_of(uci_texts(25))
    engine = build(fake, protocol, max_tokens=400)
    engine.analyze(items, AnalysisOptions())
    prompt_tokens, completion_tokens = fake.total_usage
    usage = engine.usage
    assert usage.requests == len(fake.calls) > 1
    assert (usage.prompt_tokens, usage.completion_tokens) == (prompt_tokens, completion_tokens)
    assert not usage.estimated
    price = price_for(MODELS[protocol])
    assert usage.cost_usd == pytest.approx(
        (prompt_tokens * price.prompt + completion_tokens * price.completion) / 1_000_000
    )
    assert usage.as_job_usage() == {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cost_usd": round(usage.cost_usd, 6),
    }


def test_missing_usage_is_estimated_from_sizes(fake):
    fake.then("no_usage")
    engine = build(fake)
    engine.analyze(items_of(uci_texts(3)), AnalysisOptions())
    call = fake.calls[0]
    assert engine.usage.estimated
    assert engine.usage.prompt_tokens == math.ceil(len(call.system + call.user) / 4)


def test_price_table_lookup():
    assert price_for("gpt-4o-mini-2024-07-18") == PRICES["gpt-4o-mini"]
    assert price_for("gpt-4o") == PRICES["gpt-4o"]
    assert price_for("openai/gpt-4.1-mini") == PRICES["gpt-4.1-mini"]
    assert price_for("anthropic/claude-3.5-haiku") == PRICES["claude-3-5-haiku"]
    assert price_for("claude-3-5-haiku-20241022") == PRICES["claude-3-5-haiku"]
    assert price_for("llama-3.1-8b-instant", "groq") == PRICES["llama-3.1-8b-instant"]
    assert price_for("gpt-4o-mini-tts") == PRICES["gpt-4o-mini"]
    assert price_for("gpt-4omni") == DEFAULT_PRICE  # a prefix only counts at a boundary
    assert price_for("some-new-model") == DEFAULT_PRICE
    assert price_for("llama3:8b", "ollama") == FREE
    assert (
        price_for("meta-llama/Llama-3.1-8B-Instruct", "openai_compatible", "http://10.0.0.5:8000/v1") == FREE
    )
    assert price_for("mystery", "openai_compatible", "https://api.example.com/v1") == DEFAULT_PRICE


def test_estimate_matches_a_run_on_the_fake(fake):
    texts = uci_texts(120)
    avg = sum(len(t) for t in texts) / len(texts)
    for config, max_tokens in ((AnalysisOptions(), 1000), (ALL_PARTS, 4000)):
        fake.calls.clear()
        engine = build(fake, max_tokens=max_tokens)
        engine.analyze(items_of(texts), config)
        estimate = estimate_cost(MODELS["openai"], len(texts), avg, config=config, max_tokens=max_tokens)
        assert estimate.requests == len(fake.calls)
        assert estimate.prompt_tokens == pytest.approx(engine.usage.prompt_tokens, rel=0.1)
        # The answer estimate is deliberately generous: never below what was used.
        assert estimate.completion_tokens >= engine.usage.completion_tokens
        price = price_for(MODELS["openai"])
        assert estimate.cost_usd == pytest.approx(
            price.cost(estimate.prompt_tokens, estimate.completion_tokens), abs=1e-6
        )
    assert estimate_cost("gpt-4o", 0, 100).cost_usd == 0
    assert confirmation_needed(101) and not confirmation_needed(100)


# --- schema --------------------------------------------------------------------------------
def test_schema_rules():
    config = AnalysisOptions(sentiment=True, emotions=True)
    good = {
        "id": 1,
        "sentiment": {"label": "Very Positive", "score": 0.9, "confidence": 0.8},
        "emotions": {"detected": [{"emotion": "joy", "score": 0.7}, {"emotion": "joy", "score": 0.9}]},
    }
    bad_label = {"id": "2", "sentiment": {"label": "great", "score": 0.9, "confidence": 0.8}, "emotions": {}}
    bad_type = {"id": "3", "sentiment": {"label": "neutral", "score": "0", "confidence": 0.8}, "emotions": {}}
    bad_emotion = {
        "id": "4",
        "sentiment": {"label": "neutral", "score": 0, "confidence": 0.5},
        "emotions": {"detected": [{"emotion": "admiration", "score": 0.5}]},  # GoEmotions, not Ekman
    }
    no_part = {"id": "5", "sentiment": {"label": "neutral", "score": 0, "confidence": 0.5}}
    text = "Here you are:\n" + json.dumps({"results": [good, bad_label, bad_type, bad_emotion, no_part]})
    checked = schema.check_answer(text, config, ["1", "2", "3", "4", "5", "6"])
    assert set(checked.valid) == {"1"}
    assert set(checked.invalid) == {"2", "3", "4", "5"}
    assert checked.missing == {"6"}
    entry = checked.valid["1"]
    assert entry["sentiment"]["label"] == "positive"  # folded to 3 classes
    assert sum(entry["sentiment"]["scores"].values()) == pytest.approx(1.0)
    assert max(entry["sentiment"]["scores"], key=entry["sentiment"]["scores"].get) == "very_positive"
    assert entry["emotions"]["primary"] == "joy"
    assert entry["emotions"]["primary_score"] == 0.9
    assert entry["emotions"]["detected"] == [{"emotion": "joy", "score": 0.9}]
    assert "great" in checked.invalid["2"] and "not a number" in checked.invalid["3"]
    assert "missing" in checked.invalid["5"]

    assert schema.check_answer("no json here", config, ["1"]).error.startswith("the answer is not JSON")
    assert schema.check_answer('{"answer": 1}', config, ["1"]).missing == {"1"}
