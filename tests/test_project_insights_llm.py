"""The LLM's abstractive project insights against the fake provider (both protocols), on the real
database: grounded on the extractive summary's quotes, validated strictly, charged to the
project's budget, and shown escaped on the dashboard, the report and the comparison."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from werkzeug import Response

from accounts import vault
from analysis import insights_cache
from analysis.engine.llm import TokenBudget, insights
from analysis.engine.llm.pricing import price_for
from analysis.engine.project_insights import summarize_results
from analysis.tasks import refresh_insights
from projects.models import LLMConfig, Project
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.fake_llm import TOKENS_PER_MESSAGE, Call, FakeLLM, tokens
from tests.results_seed import XSS, seed

KEY = "sk-insights-0123456789abcdef"
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-20241022"}
TEXTS = [
    "The great puzzles kept me busy for a week. Sadly the campaign is too short and disappointing.",
    "Such great puzzles, clever and fair. The campaign ended too soon, a disappointing campaign.",
    f"The great puzzles {XSS} were worth it. Still, the campaign is too short and disappointing for the price.",
    "Great puzzles and a calm soundtrack. The campaign is too short, sadly.",
    "I liked the great puzzles. The campaign is disappointing, two hours at most.",
    "The great puzzles are the best part. The campaign is too short and bland.",
    "Lovely art and great puzzles. The campaign is too short, a disappointing campaign.",
    "Great puzzles everywhere. The game is too short and the last level drags.",
]
OVERVIEW = "Players praise the puzzles and find the game short. <b>Bold</b> claim"


def respond(call: Call, answer: str) -> Response:
    """The fake's answer envelope for ``answer`` in the protocol of ``call``, usage recorded."""
    call.usage = (tokens(call.system) + tokens(call.user) + TOKENS_PER_MESSAGE * 2, tokens(answer))
    payload = FakeLLM._payload(call.protocol, call.body, answer, call.usage, with_usage=True)
    return Response(json.dumps(payload), status=200, content_type="application/json")


def prompted(call: Call) -> dict:
    """The insights the prompt gave, as the model reads them."""
    assert call.user.startswith("Insights: ")
    return json.loads(call.user.removeprefix("Insights: "))


def quote_ids(section: list[dict]) -> list[str]:
    return [q["id"] for entry in section for q in entry["quotes"]]


def grounded(call: Call) -> Response:
    """A model that cites the quotes it was given, and writes markup into its text."""
    source = prompted(call)
    answer = {
        "overview": f"{OVERVIEW} {XSS}",
        "pros": [{"text": "The puzzles are clever <b>and fair</b>", "quotes": quote_ids(source["pros"])[:3]}],
        "cons": [{"text": "The game is too short", "quotes": quote_ids(source["cons"])[:3]}],
        "topics": [{"text": "Puzzles: loved", "sentiment": 0.6, "quotes": quote_ids(source["topics"])[:2]}],
    }
    return respond(call, json.dumps(answer))


@pytest.fixture
def fake(httpserver, settings):
    fake = FakeLLM(httpserver, api_key=KEY)
    settings.PROVIDER_BASE_URLS = {
        **settings.PROVIDER_BASE_URLS,
        "openai": fake.openai_base_url,
        "anthropic": fake.anthropic_base_url,
    }
    settings.LLM_MAX_RETRIES = 0
    return fake


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=len(TEXTS), texts=TEXTS)


def use_llm(project, protocol: str = "openai", **limits) -> Project:
    key = vault.store_key(project.user, provider=protocol, name="Team key", plaintext=KEY)
    project.config.llm = LLMConfig(
        provider=protocol, model=MODELS[protocol], api_key_id=key.pk, temperature=0.3, max_tokens=1500
    )
    for name, value in limits.items():
        setattr(project.config.limits, name, value)
    project.save()
    return Project.objects.get(pk=project.pk)


def llm_stats(project) -> tuple[int, float]:
    stats = collection("projects").find_one({"_id": project.pk})["stats"]
    return stats.get("llm_tokens_this_month") or 0, stats.get("llm_cost_this_month") or 0.0


def local_summary(project_id, target_id=None) -> dict:
    docs = insights_cache.latest_analysed(project_id, target_id)
    return summarize_results(insights_cache.sample_rows(docs))


def extractive(summary: dict) -> dict:
    return {k: summary[k] for k in ("total_results", "pros", "cons", "topics", "sentiment", "rating")}


def assert_grounded(abstract: dict, summary: dict, project) -> None:
    """Every claim cites results of the sample (hence of the project), with their exact spans."""
    sampled = {q["result_id"] for kind in insights.KINDS for e in summary[kind] for q in e["quotes"]}
    docs = {str(d["_id"]): d for d in collection("results").find({"project_id": project.pk})}
    for kind in insights.KINDS:
        for claim in abstract[kind]:
            assert claim["result_ids"] and set(claim["result_ids"]) <= sampled <= set(docs)
            for quote in claim["quotes"]:
                assert quote["result_id"] in claim["result_ids"]
                assert quote["span"] in docs[quote["result_id"]]["content"]["text"]


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_valid_answer_becomes_a_grounded_abstract(seeded, fake, protocol):
    project = use_llm(seeded.project, protocol)
    fake.default = grounded
    summary = insights_cache.refresh(project.pk)["summary"]

    assert len(fake.calls) == 1
    call = fake.calls[0]
    assert call.protocol == protocol and call.body["model"] == MODELS[protocol]
    assert call.body["max_tokens"] == 1500 and call.body["temperature"] == 0.3
    assert call.system == insights.SYSTEM
    sent = prompted(call)
    texts = [d["content"]["text"] for d in seeded.docs]
    for kind in insights.KINDS:
        for entry in sent[kind]:
            assert all(any(q["text"] in text for text in texts) for q in entry["quotes"])

    abstract = summary["abstract"]
    assert "abstract_error" not in summary
    assert abstract["overview"].startswith("Players praise the puzzles")
    assert abstract["model"] == MODELS[protocol]
    assert [c["text"] for c in abstract["pros"]] == ["The puzzles are clever <b>and fair</b>"]
    assert abstract["cons"] and abstract["topics"][0]["sentiment"] == 0.6
    assert_grounded(abstract, summary, project)
    # The extractive part is what the local path computes, untouched by the model.
    assert extractive(summary) == extractive(local_summary(project.pk))
    # Tokens and cost: the provider's usage, priced by the table, on the project's counters.
    prompt_tokens, completion_tokens = call.usage
    assert abstract["tokens"] == prompt_tokens + completion_tokens
    cost = price_for(MODELS[protocol], protocol).cost(prompt_tokens, completion_tokens)
    assert abstract["cost_usd"] == pytest.approx(cost, abs=1e-6)
    assert llm_stats(project) == (abstract["tokens"], pytest.approx(cost))


def test_claims_citing_unknown_quotes_are_dropped(seeded, fake):
    project = use_llm(seeded.project)
    other = seed(make_user(), count=2, texts=TEXTS[:2], name="Someone else's")
    foreign_id = str(other.docs[0]["_id"])
    own_id = str(seeded.docs[0]["_id"])

    def inventive(call: Call) -> Response:
        first_pro = quote_ids(prompted(call)["pros"])[0]
        answer = {
            "overview": "Mostly praise.",
            "pros": [
                {"text": "Invented praise", "quotes": ["q999"]},
                {"text": "Partly grounded", "quotes": ["q999", first_pro, foreign_id, first_pro]},
                {"text": "No quotes at all"},
                {"text": "Quotes not a list", "quotes": first_pro},
                {"text": "", "quotes": [first_pro]},
            ],
            "cons": [{"text": "Cites a result id", "quotes": [own_id, foreign_id]}],
            "topics": [{"text": "Out of range", "sentiment": 9, "quotes": ["q2"]}, "not an object"],
        }
        return respond(call, json.dumps(answer))

    fake.default = inventive
    summary = insights_cache.refresh(project.pk)["summary"]
    abstract = summary["abstract"]
    _source, quotes = insights.grounding(summary)
    first_pro = quote_ids(prompted(fake.calls[0])["pros"])[0]
    assert [c["text"] for c in abstract["pros"]] == ["Partly grounded"]
    assert abstract["pros"][0]["quotes"] == [quotes[first_pro]]
    assert abstract["pros"][0]["result_ids"] == [quotes[first_pro]["result_id"]]
    assert abstract["cons"] == []
    assert [(t["text"], t["sentiment"]) for t in abstract["topics"]] == [("Out of range", None)]
    assert_grounded(abstract, summary, project)
    cited = {i for kind in insights.KINDS for c in abstract[kind] for i in c["result_ids"]}
    assert foreign_id not in cited


@pytest.mark.parametrize(
    ("mode", "reason", "charged"),
    [
        ("malformed", "not a JSON object", True),
        ("ok", "has no overview", True),  # the per-result answer shape, not ours
        ("unauthorized", "401", False),
    ],
)
def test_an_unusable_answer_leaves_the_extractive_summary(seeded, fake, mode, reason, charged):
    project = use_llm(seeded.project, "anthropic")
    fake.default = mode
    summary = insights_cache.refresh(project.pk)["summary"]
    assert len(fake.calls) == 1
    assert "abstract" not in summary and reason in summary["abstract_error"]
    assert extractive(summary) == extractive(local_summary(project.pk))
    assert summary["pros"] and summary["cons"] and summary["topics"]
    spent = sum(fake.total_usage)
    assert llm_stats(project)[0] == (spent if charged else 0) and (spent > 0) == charged


def test_no_grounded_claim_means_no_abstract(seeded, fake):
    project = use_llm(seeded.project)
    fake.default = lambda call: respond(call, json.dumps({"overview": "All good.", "pros": [{"text": "x"}]}))
    summary = insights_cache.refresh(project.pk)["summary"]
    assert "abstract" not in summary and "cited the quotes" in summary["abstract_error"]


def test_a_used_up_budget_sends_nothing(seeded, fake):
    project = use_llm(seeded.project, llm_monthly_token_budget=5000)
    TokenBudget.for_project(project).record(4900, 0, 0.0)  # left: less than the request needs
    fake.default = grounded
    summary = insights_cache.refresh(project.pk)["summary"]
    assert fake.calls == []
    assert "abstract" not in summary and "5,000 tokens is used up" in summary["abstract_error"]
    assert llm_stats(project)[0] == 4900


def test_the_model_is_asked_only_when_its_input_changed(seeded, fake):
    project = use_llm(seeded.project)
    fake.default = grounded
    first = insights_cache.refresh(project.pk)["summary"]["abstract"]
    cached = insights_cache.get_insights(project.pk)["summary"]["abstract"]  # same stamp
    assert cached["input_sha"] == first["input_sha"] and cached["overview"] == first["overview"]
    again = insights_cache.refresh(project.pk)["summary"]["abstract"]  # recomputed, same quotes
    assert len(fake.calls) == 1 and again == cached
    assert llm_stats(project)[0] == first["tokens"]

    # A target's insights get their own abstract, citing only that target's results.
    target = seeded.targets[0]
    summary = insights_cache.refresh(project.pk, target.pk)["summary"]
    assert len(fake.calls) == 2
    own = {str(d["_id"]) for d in seeded.docs if d["target_id"] == target.pk}
    assert {i for k in insights.KINDS for c in summary["abstract"][k] for i in c["result_ids"]} <= own


def test_a_local_project_never_asks(seeded, fake):
    fake.default = grounded
    summary = insights_cache.refresh(seeded.project.pk)["summary"]
    assert fake.calls == [] and "abstract" not in summary and "abstract_error" not in summary


def test_pages_show_the_abstract_escaped_with_links_to_its_results(seeded, fake, client):
    project = use_llm(seeded.project)
    fake.default = grounded
    client.force_login(project.user)
    # The comparison caches its targets' summaries; the refresh task writes every abstract.
    client.get(reverse("analysis:compare", args=[project.pk]))
    refresh_insights(str(project.pk))
    dashboard = client.get(reverse("analysis:dashboard", args=[project.pk])).content.decode()
    abstract = insights_cache.get_insights(project.pk)["summary"]["abstract"]
    assert "AI summary" in dashboard and f"Written by {MODELS['openai']}" in dashboard
    for kind in insights.KINDS:
        for claim in abstract[kind]:
            for result_id in claim["result_ids"]:
                assert reverse("analysis:result", args=[project.pk, result_id]) in dashboard
    report = client.get(reverse("analysis:report", args=[project.pk])).content.decode()
    compare = client.get(reverse("analysis:compare", args=[project.pk])).content.decode()
    for name, html in (("dashboard", dashboard), ("report", report), ("compare", compare)):
        assert "Players praise the puzzles" in html, name
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold</b>" not in html, name
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html, name
        assert "&lt;b&gt;Bold&lt;/b&gt;" in html, name
    assert "clever &lt;b&gt;and fair&lt;/b&gt;" in dashboard


def test_the_page_says_why_the_summary_is_extractive(seeded, fake, client):
    project = use_llm(seeded.project)
    fake.default = "malformed"
    refresh_insights(str(project.pk))
    client.force_login(project.user)
    html = client.get(reverse("analysis:dashboard", args=[project.pk])).content.decode()
    assert "The AI summary is not shown" in html and "not a JSON object" in html
    # The extractive lists: the praised and the criticised aspect, with a quote of each.
    assert "puzzles</a>" in html and "campaign</a>" in html and "too short and disappointing" in html
