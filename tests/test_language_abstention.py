"""A language no local model covers is not guessed: such results keep no sentiment, say why,
are counted apart on the dashboard, can be filtered in the explorer, and an LLM engine whose
scope is "unsupported languages" takes exactly those."""

import pytest
from django.urls import reverse

from analysis import pipeline
from analysis.models import Result
from projects.models import LLMScope, Project
from scraping.collectors.base import CollectedItem
from scraping.results_store import TargetRef, write_items
from sentimatrix.mongo import collection
from tests.factories import add_steam_target, make_project, make_user
from tests.test_project_insights_llm import fake, use_llm  # noqa: F401 - the fake provider fixture

pytestmark = pytest.mark.django_db

TEXTS = {
    "en1": "Great puzzles and a lovely soundtrack, I recommend it to everyone.",
    "en2": "The new update broke cloud saves, I lost 20 hours of progress. Please fix!",
    "ja1": "このゲームはとても面白いです。毎日遊んでいます。",
    "ja2": "アップデートの後、セーブデータが消えました。最悪です。",
    "ko1": "이 게임 정말 재미있어요. 친구들에게 추천합니다.",
}


def stored(project):
    target = add_steam_target(project, 4401)
    ref = TargetRef(project.pk, target.pk, project.user_id, "steam")
    items = [CollectedItem(platform_id=key, text=text) for key, text in TEXTS.items()]
    write_items(items, ref, None)
    return {
        d["content"]["platform_id"]: d["_id"] for d in collection("results").find({"project_id": project.pk})
    }


def analysis_of(ids, key):
    return collection("results").find_one({"_id": ids[key]})["analysis"]


def test_unsupported_languages_are_left_unanalysed_counted_and_shown(client):
    project = make_project(make_user())
    ids = stored(project)
    pipeline.analyze_results(project.pk, list(ids.values()))
    for key in ("ja1", "ja2", "ko1"):
        analysis = analysis_of(ids, key)
        assert analysis["sentiment"] is None and analysis["engine"] == "local"
        assert analysis["unsupported_language"] == key[:2]
    assert analysis_of(ids, "en2")["sentiment"]["label"] == "negative"
    assert not analysis_of(ids, "en1").get("unsupported_language")
    project = Project.objects.get(pk=project.pk)
    assert project.stats.unsupported_language_count == 3 and project.stats.sentiment_count == 2
    # Analysed as far as the local engine goes: the sweep does not queue them again.
    assert pipeline.sweep_unanalysed([project.pk], older_than=0) == {}

    client.force_login(project.user)
    html = client.get(reverse("analysis:dashboard", args=[project.pk])).content.decode()
    assert "3 results in languages the local engine does not cover are left out of these figures" in html
    page = client.get(reverse("analysis:explorer", args=[project.pk]), {"language": "ja"}).context["page"]
    assert {str(r.pk) for r in page.object_list} == {str(ids["ja1"]), str(ids["ja2"])}


def test_an_llm_scoped_to_unsupported_languages_takes_exactly_those(fake):  # noqa: F811
    project = make_project(make_user())
    ids = stored(project)
    project = use_llm(project)
    project.config.llm.scope = LLMScope.UNSUPPORTED_LANGUAGES
    project.save()
    pipeline.analyze_results(project.pk, list(ids.values()))
    sent = "".join(call.user for call in fake.calls)
    assert len(fake.calls) == 1
    assert all(TEXTS[k] in sent for k in ("ja1", "ja2", "ko1"))
    assert not any(TEXTS[k] in sent for k in ("en1", "en2"))
    for key in ("ja1", "ja2", "ko1"):
        analysis = analysis_of(ids, key)
        assert analysis["engine"] == "llm" and analysis["sentiment"] is not None
    assert analysis_of(ids, "en1")["engine"] == "local"
    project = Project.objects.get(pk=project.pk)
    assert project.stats.unsupported_language_count == 0 and project.stats.sentiment_count == 5
    assert Result.objects.filter(project=project).count() == 5
