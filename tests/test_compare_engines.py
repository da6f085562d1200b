"""Two engines side by side: the local engine against the project's LLM (the local fake
provider), on the same stored results, nothing written."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analysis.engine.base import AnalysisItem, AnalysisOptions
from analysis.engine.compare import compare, kappa
from analysis.engine.local import LocalEngine
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import seed
from tests.test_project_insights_llm import fake, use_llm  # noqa: F401 - the fake provider fixture

TEXTS = [
    "I love this game, the puzzles are great and the music is wonderful.",
    "Terrible port, it crashed twice and I asked for a refund.",
    "The box arrived on Tuesday.",
    "Great art, but the controls are awful and the camera is broken.",
    "Best purchase this year, I recommend it to everyone.",
    "Useless. The update broke my saves and support never answered.",
]


def test_kappa_is_one_for_full_agreement_and_zero_for_chance():
    perfect = {"negative": {"negative": 3, "neutral": 0, "positive": 0},
               "neutral": {"negative": 0, "neutral": 2, "positive": 0},
               "positive": {"negative": 0, "neutral": 0, "positive": 5}}  # fmt: skip
    assert kappa(perfect) == pytest.approx(1.0)
    chance = {"negative": {"negative": 1, "neutral": 0, "positive": 1},
              "neutral": {"negative": 0, "neutral": 0, "positive": 0},
              "positive": {"negative": 1, "neutral": 0, "positive": 1}}  # fmt: skip
    assert kappa(chance) == pytest.approx(0.0)
    assert kappa({label: dict.fromkeys(perfect, 0) for label in perfect}) is None


def test_an_engine_compared_with_itself_agrees_fully():
    items = [AnalysisItem(id=str(i), text=t) for i, t in enumerate(TEXTS)]
    result = compare(("a", LocalEngine()), ("b", LocalEngine()), items, AnalysisOptions())
    assert result.items == len(TEXTS) and result.both + result.abstained["a"] == len(TEXTS)
    assert result.abstained["a"] == result.abstained["b"]
    assert result.agree == result.both and result.kappa == pytest.approx(1.0) and result.score_mae == 0
    assert result.changed == []


@pytest.mark.django_db
def test_the_command_compares_local_and_llm_on_stored_results_and_writes_nothing(fake, seed_clock):  # noqa: F811
    data = seed(make_user(), count=len(TEXTS), texts=TEXTS)
    project = use_llm(data.project)
    before = {d["_id"]: d["analysis"] for d in collection("results").find({"project_id": project.pk})}
    out = StringIO()
    call_command("compare_engines", str(project.pk), "--sample", "5", stdout=out)
    report = out.getvalue()
    # The five latest results went to the fake provider, in one batched request.
    assert len(fake.calls) == 1 and fake.calls[0].user.count('"id"') == 5
    assert "5 results; both engines gave a sentiment to" in report
    assert "3-class label agreement:" in report and "Cohen's kappa:" in report
    assert "LLM tokens for this comparison:" in report and "prompt" in report
    after = {d["_id"]: d["analysis"] for d in collection("results").find({"project_id": project.pk})}
    assert after == before  # nothing written


@pytest.mark.django_db
def test_the_command_says_what_is_missing(seed_clock):
    data = seed(make_user(), count=2, texts=TEXTS[:2])
    with pytest.raises(CommandError, match="has no LLM engine"):
        call_command("compare_engines", str(data.project.pk))
    with pytest.raises(CommandError, match="no project"):
        call_command("compare_engines", "not-an-id")
