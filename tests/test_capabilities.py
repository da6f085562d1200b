"""Presets and projects say which engine produces each part of the analysis and what is missing
for a part nobody produces (projects.capabilities, shown on the create page, the settings page
and the dashboard); no page shows a literal "None" emotion."""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts import vault
from analysis import dashboard, stats
from analysis.engine import trained
from projects import capabilities, presets
from projects.capabilities import LLM, LOCAL, NONE
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db

# "None" as a value shown to the user (the sentence "None found." is words, not a value).
LITERAL_NONE = re.compile(r"\bNone\b(?! found)")


def by_part(parts):
    return {c.part: c for c in parts}


def advanced_project(user):
    project = make_project(user, name="Advanced one")
    project.config = presets.config_from_preset("advanced", user)
    project.save()
    return project


def use_llm(project, key):
    project.config.llm.provider, project.config.llm.model = "openai", "gpt-4o-mini"
    project.config.llm.api_key_id = key.pk
    project.save()


def test_the_advanced_preset_without_an_llm_key_says_what_the_local_engine_does_and_what_is_missing():
    user = make_user()
    analysis = presets.config_from_preset("advanced", user).analysis

    parts = by_part(capabilities.capabilities(analysis, has_key=capabilities.has_llm_key(user.pk)))

    assert (parts["Emotions"].source, parts["Emotions"].available) == (LOCAL, True)
    assert parts["Emotions"].engine == "the local GoEmotions model (27 emotions and neutral; English texts)"
    assert (parts["Summaries"].source, parts["Summaries"].engine) == (
        LOCAL,
        "extractive, in the local engine",
    )
    assert parts["Pros, cons and topics"].source == LOCAL
    overview = parts["Written overview of the project"]
    assert overview.source == NONE and not overview.available
    assert overview.missing.startswith("Written overviews need an LLM API key — add one in API keys")
    assert (overview.fix_url, overview.fix_label) == (reverse("accounts:api_keys"), "API keys")
    assert parts["Other languages"].source == NONE and parts["Other languages"].fix_url == reverse(
        "accounts:api_keys"
    )
    # A preset that asks for no summary and no aspects promises no overview either.
    starter = by_part(capabilities.capabilities(presets.config_from_preset("starter", user).analysis))
    assert set(starter) == {"Sentiment", "Other languages"}


def test_a_user_with_a_key_is_sent_to_the_projects_settings_and_an_llm_project_gets_every_part():
    user = make_user()
    project = advanced_project(user)
    key = vault.store_key(user, provider="openai", name="OpenAI", plaintext="sk-test-0000000000000001")

    parts = by_part(capabilities.for_project(project))
    overview = parts["Written overview of the project"]
    assert "choose your LLM API key in the project's analysis settings" in overview.missing
    assert overview.fix_url == reverse("projects:edit", args=[project.pk])

    use_llm(project, key)
    parts = by_part(capabilities.for_project(project))
    assert all(c.available for c in parts.values())
    assert parts["Emotions"].source == LLM and parts["Emotions"].engine == "the LLM (gpt-4o-mini)"
    assert parts["Written overview of the project"].source == LLM
    assert parts["Other languages"].source == LLM


def test_an_untrained_emotion_model_is_reported_by_the_local_engine_itself(monkeypatch):
    user = make_user()
    analysis = presets.config_from_preset("advanced", user).analysis
    assert "local engine" in capabilities._LOCAL_CHECKS  # the analysis app registered its check
    monkeypatch.setattr(trained, "emotions_supported", lambda models_dir=None: False)

    emotions = by_part(capabilities.capabilities(analysis))["Emotions"]

    assert emotions.source == NONE
    assert emotions.engine.startswith("not produced: the GoEmotions model was not trained")
    assert "choose Plutchik's eight" in emotions.missing and emotions.fix_url == reverse("accounts:api_keys")
    # Plutchik's lexicon needs no trained model.
    analysis.emotion_model = "plutchik"
    assert by_part(capabilities.capabilities(analysis))["Emotions"].source == LOCAL


def test_the_create_page_shows_each_presets_engines_and_the_missing_key_with_its_link(client):
    user = make_user()
    client.force_login(user)
    page = BeautifulSoup(client.get(reverse("projects:create")).content, "html.parser")
    advanced = next(dt for dt in page.select("dt") if dt.get_text(strip=True) == "Advanced").find_next("dd")
    emotions = advanced.select_one('li[data-part="Emotions"]')
    assert (
        "Emotions: the local GoEmotions model (27 emotions and neutral; English texts)" in emotions.get_text()
    )
    assert "(Local engine)" in emotions.get_text()
    overview = advanced.select_one('li[data-part="Written overview of the project"]')
    assert overview["data-source"] == "none"
    assert "need an LLM API key — add one in API keys" in overview.get_text()
    assert overview.find("a", href=reverse("accounts:api_keys")).get_text() == "API keys"


def test_the_settings_page_shows_the_same_capabilities(client):
    user = make_user()
    client.force_login(user)
    project = advanced_project(user)
    page = BeautifulSoup(client.get(reverse("projects:edit", args=[project.pk])).content, "html.parser")
    shown = {li["data-part"]: li["data-source"] for li in page.select("ul.capabilities li")}
    assert shown == {c.part: c.source for c in capabilities.for_project(project)}


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=12)


def emotions_summary(data):
    return next(c for c in data["charts"] if c["id"] == "emotions")["summary"]


def test_the_dashboard_never_asks_to_turn_on_emotions_that_are_on(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    collection("results").update_many({"project_id": project.pk}, {"$set": {"analysis.emotions": None}})
    stats.rebuild(project.pk)

    project.config.analysis.emotions = False
    project.save()
    off = dashboard.project_dashboard(project, dashboard.DashboardOptions())
    assert (
        emotions_summary(off) == "No emotions analysed: turn on emotions in the project's analysis settings."
    )

    project.config.analysis.emotions, project.config.analysis.emotion_model = True, "goemotions"
    project.save()
    page = client.get(reverse("analysis:dashboard", args=[project.pk]))
    on = emotions_summary(page.context["data"])
    assert "turn on emotions" not in on
    assert on.startswith("Emotions are on (the local GoEmotions model")
    assert "re-analysis" in on and "English texts only" in on
    html = BeautifulSoup(page.content, "html.parser")
    panel = html.select_one("details.capabilities-panel")
    assert {li["data-part"] for li in panel.select("li")} >= {"Sentiment", "Emotions", "Other languages"}
    assert panel.find("a", href=reverse("accounts:api_keys"))
    assert "turn on emotions" not in page.content.decode()


def test_no_page_shows_a_none_emotion(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    doc = seeded.docs[0]
    collection("results").update_many(
        {"project_id": project.pk},
        {
            "$set": {
                "analysis.emotions": {
                    "model": "plutchik",
                    "primary": None,
                    "primary_score": 0.0,
                    "detected": [],
                }
            }
        },
    )
    stats.rebuild(project.pk)

    explorer = client.get(reverse("analysis:explorer", args=[project.pk]), {"status": "all"})
    soup = BeautifulSoup(explorer.content, "html.parser")
    assert soup.select(".result-row") and not soup.select(".result-emotion")
    assert ">None<" not in explorer.content.decode()

    result = client.get(reverse("analysis:result", args=[project.pk, doc["_id"]]))
    text = BeautifulSoup(result.content, "html.parser").get_text(" ")
    assert not LITERAL_NONE.search(text) and "No emotion stands out in this text." in text

    dashboard_page = client.get(reverse("analysis:dashboard", args=[project.pk]))
    assert not LITERAL_NONE.search(BeautifulSoup(dashboard_page.content, "html.parser").get_text(" "))
