"""The monthly LLM token budget on the project document, the engine stopping at it, and the
engine factory, against the real embedded database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from accounts import vault
from accounts.models import ApiKey
from analysis.engine import AnalysisOptions, LocalEngine
from analysis.engine.factory import engine_for_project
from analysis.engine.llm import BudgetExceeded, LLMEngine, TokenBudget
from analysis.engine.llm.budget import DEFAULT_MONTHLY_TOKENS, month_of, next_month_start
from analysis.engine.llm.cache import COLLECTION, LLMCache
from analysis.engine.llm.providers import AnthropicMessages, OpenAIChat
from projects.models import LLMConfig, Project
from sentimatrix.http import HttpClient
from sentimatrix.mongo import collection
from sentimatrix.netguard import Policy
from sentimatrix.when import format_day
from tests.factories import make_user
from tests.fake_llm import FakeLLM
from tests.playback import RecordingSleep
from tests.test_llm_engine import items_of, sent_text, uci_texts

pytestmark = pytest.mark.django_db
MARCH = datetime(2025, 3, 31, 23, 59, tzinfo=UTC)
APRIL = datetime(2025, 4, 1, 0, 1, tzinfo=UTC)
KEY = "sk-budget-0123456789abcdef"


def stats(project) -> dict:
    return collection("projects").find_one({"_id": project.pk})["stats"]


@pytest.fixture
def fake(httpserver):
    return FakeLLM(httpserver, api_key=KEY)


@pytest.fixture
def empty_llm_cache():
    collection(COLLECTION).delete_many({})
    yield
    collection(COLLECTION).delete_many({})


def engine_with(fake, budget, **kwargs) -> LLMEngine:
    http = HttpClient(rate_limit_delay=0, timeout=5, max_retries=0, sleep=RecordingSleep())
    kwargs.setdefault("cache", None)
    return LLMEngine(
        "openai",
        "gpt-4o-mini",
        api_key=KEY,
        base_url=fake.openai_base_url,
        http=http,
        budget=budget,
        **kwargs,
    )


# --- TokenBudget -----------------------------------------------------------------------------
def test_usage_is_added_to_the_project_stats(project):
    TokenBudget(project.pk, 1000).record(100, 20, 0.5)
    TokenBudget(project.pk, 1000).record(10, 5, 0.125)
    doc = stats(project)
    assert doc["llm_tokens_this_month"] == 135
    assert doc["llm_cost_this_month"] == pytest.approx(0.625)
    assert doc["llm_month"] == month_of(datetime.now(UTC))
    loaded = Project.objects.get(pk=project.pk)  # the model still loads the document
    assert loaded.stats.llm_tokens_this_month == 135


def test_concurrent_records_lose_no_increment(project):
    def worker():
        budget = TokenBudget(project.pk, 10**9)
        for _ in range(5):
            budget.record(7, 3, 0.001)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats(project)["llm_tokens_this_month"] == 6 * 5 * 10
    assert stats(project)["llm_cost_this_month"] == pytest.approx(6 * 5 * 0.001)


def test_check_stops_when_the_next_request_does_not_fit(project):
    budget = TokenBudget(project.pk, 100, clock=lambda: MARCH)
    budget.record(80, 10, 0.0)
    assert budget.check(10) == 10
    with pytest.raises(BudgetExceeded) as raised:
        budget.check(11)
    message = str(raised.value)
    assert "monthly LLM budget of 100 tokens is used up" in message
    assert f"paused until {format_day(next_month_start(MARCH))} (UTC)" in message
    assert "1 Apr 2025" in message
    assert raised.value.used == 90 and raised.value.limit == 100
    budget.record(10, 0, 0.0)
    with pytest.raises(BudgetExceeded):
        budget.check(0)


def test_a_new_month_resets_the_counters_once(project):
    TokenBudget(project.pk, 1000, clock=lambda: MARCH).record(600, 100, 1.5)
    april = TokenBudget(project.pk, 1000, clock=lambda: APRIL)
    assert april.used() == (0, 0.0)
    april.record(10, 0, 0.01)
    # A second worker crossing into April after the first does not reset again.
    assert TokenBudget(project.pk, 1000, clock=lambda: APRIL).used() == (10, pytest.approx(0.01))
    assert stats(project)["llm_month"] == "2025-04"
    # A late writer still on March's clock never takes the month back.
    TokenBudget(project.pk, 1000, clock=lambda: MARCH).record(1, 0, 0.0)
    assert stats(project)["llm_month"] == "2025-04"


@pytest.mark.parametrize("marker", [{"$unset": {"stats.llm_month": ""}}, {"$set": {"stats.llm_month": ""}}])
def test_a_project_without_the_month_marker_keeps_its_counters(project, marker):
    collection("projects").update_one({"_id": project.pk}, {"$set": {"stats.llm_tokens_this_month": 700}})
    collection("projects").update_one({"_id": project.pk}, marker)
    budget = TokenBudget(project.pk, 1000)
    assert budget.used()[0] == 700
    assert stats(project)["llm_month"] == month_of(datetime.now(UTC))


def test_limit_comes_from_the_projects_limits(project):
    assert TokenBudget.for_project(project).monthly_limit == DEFAULT_MONTHLY_TOKENS
    project.config.limits.llm_monthly_token_budget = 5000
    assert TokenBudget.for_project(project).monthly_limit == 5000


# --- the engine at the budget ----------------------------------------------------------------
def test_budget_stop_keeps_what_was_analysed_and_leaves_the_rest(fake, project, empty_llm_cache):
    items = items_of(uci_texts(30))
    config = AnalysisOptions()
    # Room for a few of the small requests this max_tokens makes, not for all of them.
    budget = TokenBudget(project.pk, 1500)
    engine = engine_with(fake, budget, max_tokens=300, cache=LLMCache())
    with pytest.raises(BudgetExceeded) as raised:
        engine.analyze(items, config)
    exc = raised.value
    assert 0 < len(fake.calls) < 30
    done = exc.results
    assert 0 < len(done) < len(items)
    assert {r.engine for r in done.values()} == {"llm"}
    sent = {entry["text"] for call in fake.calls for entry in call.items}
    assert set(done) == {item.id for item in items if sent_text(item) in sent}
    prompt_tokens, completion_tokens = fake.total_usage
    assert exc.usage.prompt_tokens == prompt_tokens and exc.usage.requests == len(fake.calls)
    assert stats(project)["llm_tokens_this_month"] == prompt_tokens + completion_tokens <= 1500
    assert stats(project)["llm_cost_this_month"] == pytest.approx(exc.usage.cost_usd)
    assert "1,500 tokens is used up" in str(exc)

    # With a bigger budget the next run pays only for what was left.
    sent_before = len(fake.calls)
    rest = engine_with(fake, TokenBudget(project.pk, 10**6), max_tokens=300, cache=LLMCache())
    results = rest.analyze(items, config)
    assert rest.usage.cache_hits == len(done)
    assert {r.engine for r in results.values()} == {"llm"}
    resent = [item for call in fake.calls[sent_before:] for item in call.items]
    assert len(resent) == len(items) - len(done)


def test_a_used_up_budget_sends_nothing(fake, project):
    TokenBudget(project.pk, 100).record(100, 0, 0.0)
    with pytest.raises(BudgetExceeded) as raised:
        engine_with(fake, TokenBudget(project.pk, 100)).analyze(items_of(uci_texts(3)), AnalysisOptions())
    assert fake.calls == []
    assert raised.value.results == {}


# --- the factory -----------------------------------------------------------------------------
def configure(project, provider, key=None, **llm):
    project.config.llm = LLMConfig(
        provider=provider,
        model=llm.pop("model", "gpt-4o-mini"),
        api_key_id=key.pk if key else None,
        temperature=llm.pop("temperature", 0.2),
        max_tokens=llm.pop("max_tokens", 2000),
    )
    project.save()
    return Project.objects.get(pk=project.pk)


def test_local_engine_without_provider_or_key(project):
    assert isinstance(engine_for_project(project), LocalEngine)
    assert isinstance(engine_for_project(configure(project, "openai")), LocalEngine)
    other = vault.store_key(make_user(), provider="openai", name="Theirs", plaintext=KEY)
    assert isinstance(engine_for_project(configure(project, "openai", other)), LocalEngine)
    mine_for_groq = vault.store_key(project.user, provider="groq", name="Groq", plaintext=KEY)
    assert isinstance(engine_for_project(configure(project, "openai", mine_for_groq)), LocalEngine)


def test_llm_engine_from_the_vault_key(project, fake, settings):
    settings.PROVIDER_BASE_URLS = {**settings.PROVIDER_BASE_URLS, "openai": fake.openai_base_url}
    key = vault.store_key(project.user, provider="openai", name="Team", plaintext=KEY)
    project = configure(project, "openai", key, temperature=0.4, max_tokens=1200)
    engine = engine_for_project(project)
    assert isinstance(engine, LLMEngine) and isinstance(engine.protocol, OpenAIChat)
    assert (engine.model, engine.temperature, engine.max_tokens) == ("gpt-4o-mini", 0.4, 1200)
    assert not engine.http.guard
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
    engine.cache = None
    results = engine.analyze(items_of(uci_texts(3)), AnalysisOptions())
    assert {r.engine for r in results.values()} == {"llm"}
    assert fake.calls[0].headers["Authorization"] == f"Bearer {KEY}"
    assert stats(project)["llm_tokens_this_month"] == sum(fake.total_usage)


def test_anthropic_and_user_endpoints(project, settings):
    anthropic = vault.store_key(project.user, provider="anthropic", name="Claude", plaintext=KEY)
    engine = engine_for_project(configure(project, "anthropic", anthropic, model="claude-3-5-haiku-latest"))
    assert isinstance(engine.protocol, AnthropicMessages)
    assert engine.protocol.base_url == settings.PROVIDER_BASE_URLS["anthropic"].rstrip("/")

    url = "https://93.184.216.34/v1"  # a public address: a key's own base URL is checked on save
    own = vault.store_key(
        project.user, provider="openai_compatible", name="vLLM", plaintext=KEY, base_url=url
    )
    engine = engine_for_project(configure(project, "openai_compatible", own, model="qwen2.5-7b"))
    # A user's URL passes the SSRF guard on every request, private networks only where allowed.
    assert engine.protocol.base_url == url and engine.http.policy == Policy()
    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    engine = engine_for_project(Project.objects.get(pk=project.pk))
    assert engine.http.policy == Policy(allow_loopback=True, allow_private=True)


def test_unknown_key_id_falls_back_to_local(project):
    project.config.llm = LLMConfig(provider="openai", model="gpt-4o-mini", api_key_id=ObjectId())
    project.save()
    assert isinstance(engine_for_project(Project.objects.get(pk=project.pk)), LocalEngine)
