"""System and user presets: preset -> project config -> edit -> save as preset -> config."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.urls import reverse

from projects import presets
from projects.models import LLMConfig, LLMScope, Preset, PresetKey, Project, ProjectConfig
from projects.platforms import Platform
from projects.presets import SYSTEM_PRESETS, engines_for
from sentimatrix.validators import validation_errors
from tests import datamodel_samples as samples
from tests.factories import make_project, make_user


def as_document(config: ProjectConfig) -> dict:
    """The config as it would be stored."""
    return Project._meta.get_field("config").get_db_prep_save(config, connection)


def test_system_presets_are_the_specifications_five():
    assert set(presets.SYSTEM_PRESETS) == set(PresetKey.values) - {PresetKey.CUSTOM}
    assert {"starter", "standard", "advanced", "budget", "enterprise"} == set(presets.SYSTEM_PRESETS)


@pytest.mark.parametrize("key", list(presets.SYSTEM_PRESETS))
def test_each_system_preset_gives_a_valid_config_with_its_settings(key):
    spec = presets.SYSTEM_PRESETS[key]
    config = presets.config_from_preset(key)
    assert validation_errors(config) == {}
    assert config.scrapers.platforms == [str(p) for p in spec.platforms]
    analysis = config.analysis
    assert (analysis.sentiment_classes, analysis.emotions, analysis.emotion_model) == (
        spec.sentiment_classes,
        spec.emotions,
        spec.emotion_model,
    )
    assert (analysis.summarize, analysis.extract_insights) == (spec.summarize, spec.extract_insights)
    limits = config.limits
    assert (limits.max_reviews_per_target, limits.max_requests_per_day, limits.rate_limit_delay) == (
        spec.max_reviews_per_target,
        spec.max_requests_per_day,
        spec.rate_limit_delay,
    )
    schedule = config.schedule
    assert (schedule.enabled, schedule.frequency, schedule.time, schedule.days) == (
        spec.schedule_enabled,
        spec.frequency,
        spec.time,
        list(spec.days),
    )
    assert Platform.FILE not in config.scrapers.platforms  # imports are not collected


def test_presets_grow_from_starter_to_enterprise():
    order = ["starter", "standard", "advanced", "enterprise"]
    reviews = [presets.SYSTEM_PRESETS[k].max_reviews_per_target for k in order]
    requests = [presets.SYSTEM_PRESETS[k].max_requests_per_day for k in order]
    assert reviews == sorted(reviews) and requests == sorted(requests)
    budget = presets.config_from_preset("budget")
    assert not budget.analysis.summarize and not budget.analysis.extract_insights  # no LLM spend


def test_each_call_returns_a_fresh_config():
    first = presets.config_from_preset("standard")
    first.scrapers.platforms.append(Platform.WEB)
    first.limits.max_reviews_per_target = 1
    second = presets.config_from_preset("standard")
    assert Platform.WEB not in second.scrapers.platforms
    assert second.limits.max_reviews_per_target == presets.SYSTEM_PRESETS["standard"].max_reviews_per_target


@pytest.mark.django_db
def test_schedule_runs_in_the_users_time_zone():
    user = samples.user()
    user.settings.timezone = "America/Sao_Paulo"
    config = presets.config_from_preset("advanced", user)
    assert config.schedule.timezone == "America/Sao_Paulo"


@pytest.mark.django_db
def test_round_trip_preset_project_edit_preset_config():
    user = samples.user()
    project = samples.project(user, preset="advanced")
    assert project.preset == PresetKey.ADVANCED
    # The analyst edits the config of the project.
    project.config.llm.provider, project.config.llm.model = "groq", "llama-3.1-8b-instant"
    project.config.llm.temperature = 0.2
    project.config.scrapers.platforms = [Platform.STEAM, Platform.REDDIT]
    project.config.schedule.next_run_at = samples.WHEN
    project.config.limits.max_reviews_per_target = 321
    project.full_clean()
    project.save()

    preset = presets.save_as_preset(project, "  Two platforms  ", "Steam and Reddit only")
    stored = Preset.objects.get(pk=preset.pk)
    assert stored.name == "Two platforms" and stored.user == user
    expected = as_document(project.config)
    expected["schedule"]["next_run_at"] = None  # a preset is a template, not a running schedule
    assert as_document(stored.config) == expected

    # A new project from the user preset gets the edited config, as a copy.
    other = Project(user=user, name="Second product")
    presets.apply_preset(other, presets.user_preset_key(stored))
    assert other.preset == PresetKey.CUSTOM
    assert as_document(other.config) == expected
    other.config.limits.max_reviews_per_target = 5
    other.full_clean()
    other.save()
    assert Preset.objects.get(pk=preset.pk).config.limits.max_reviews_per_target == 321
    raw = Project.objects.get(pk=other.pk)
    assert raw.config.llm.model == "llama-3.1-8b-instant"


@pytest.mark.django_db
def test_preset_names_are_unique_per_user():
    user = samples.user()
    project = samples.project(user)
    presets.save_as_preset(project, "Weekly")
    with pytest.raises(ValidationError) as exc:
        presets.save_as_preset(project, "Weekly")
    assert "__all__" in exc.value.message_dict
    with pytest.raises(IntegrityError):  # and the database refuses a racing duplicate
        Preset.objects.create(user=user, name="Weekly")
    other_project = samples.project(samples.user("ben@example.com"))
    presets.save_as_preset(other_project, "Weekly")


@pytest.mark.django_db
def test_invalid_config_is_not_saved_as_preset():
    project = samples.project(samples.user())
    project.config.llm.temperature = 9
    with pytest.raises(ValidationError) as exc:
        presets.save_as_preset(project, "Hot")
    assert any(m.startswith("llm.temperature") for m in exc.value.message_dict["config"])
    assert not Preset.objects.exists()


@pytest.mark.django_db
def test_choices_and_resolution_keep_users_apart():
    ana, ben = samples.user(), samples.user("ben@example.com")
    mine = presets.save_as_preset(samples.project(ana), "Mine")
    presets.save_as_preset(samples.project(ben), "Ben's")
    choices = presets.preset_choices(ana)
    assert choices[: len(presets.SYSTEM_PRESETS)] == [
        (p.key, p.label) for p in presets.SYSTEM_PRESETS.values()
    ]
    assert choices[len(presets.SYSTEM_PRESETS) :] == [(presets.user_preset_key(mine), "Mine")]
    assert presets.resolve(presets.user_preset_key(mine), ana) == mine
    for key, user in [(presets.user_preset_key(mine), ben), ("preset:not-an-id", ana), ("platinum", ana)]:
        with pytest.raises(ValidationError):
            presets.resolve(key, user)
    assert presets.preset_choices() == choices[: len(presets.SYSTEM_PRESETS)]


def test_every_preset_and_the_project_form_say_which_engine_produces_each_part(db, client):
    advanced = dict(SYSTEM_PRESETS["advanced"].engines())
    assert advanced["Emotions"] == "the local GoEmotions model (27 emotions and neutral; English texts)"
    assert advanced["Other languages"].startswith("left unanalysed and counted apart")
    user = make_user()
    client.force_login(user)
    create = client.get(reverse("projects:create")).content.decode()
    assert "Emotions: the local GoEmotions model (27 emotions and neutral; English texts)" in create
    project = make_project(user)
    edit = client.get(reverse("projects:edit", args=[project.pk])).content.decode()
    assert "Who analyses what" in edit and "Sentiment: the local trained models" in edit
    scoped = LLMConfig(provider="openai", model="gpt-4o-mini", scope=LLMScope.UNSUPPORTED_LANGUAGES)
    assert dict(engines_for(project.config.analysis, scoped))["Other languages"].startswith(
        "analysed by the LLM"
    )
    everything = dict(engines_for(project.config.analysis, LLMConfig(provider="openai", model="gpt-4o-mini")))
    assert everything["Sentiment"] == "the LLM (gpt-4o-mini)"
