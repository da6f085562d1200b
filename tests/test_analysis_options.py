"""A project's analysis settings have one home: the stored model takes its defaults and choices
from ``AnalysisOptions``, and ``AnalysisOptions.of`` reads a stored one back."""

import dataclasses

import pytest

from analysis.engine import AnalysisOptions
from projects.analysis_options import DEFAULTS, EmotionModel, SentimentClasses
from projects.models import AnalysisConfig, Project


def test_the_stored_model_has_the_options_fields_defaults_and_choices():
    stored = {f.name: f for f in AnalysisConfig._meta.fields if not f.primary_key}
    options = dataclasses.fields(AnalysisOptions)

    assert list(stored) == [f.name for f in options]
    assert {name: field.default for name, field in stored.items()} == DEFAULTS.to_dict()
    assert tuple(value for value, _ in stored["sentiment_classes"].choices) == SentimentClasses.values
    assert tuple(value for value, _ in stored["emotion_model"].choices) == EmotionModel.values
    # A new stored settings object reads back as the default options.
    assert AnalysisOptions.of(AnalysisConfig()) == AnalysisOptions() == DEFAULTS


@pytest.mark.django_db
def test_of_reads_a_projects_stored_settings(project):
    project.config.analysis = AnalysisConfig(
        sentiment=False, sentiment_classes=5, emotions=True, emotion_model="plutchik", summarize=True
    )
    project.save()

    options = AnalysisOptions.of(Project.objects.get(pk=project.pk).config.analysis)

    assert options == AnalysisOptions(
        sentiment=False,
        sentiment_classes=5,
        emotions=True,
        emotion_model="plutchik",
        summarize=True,
        extract_insights=False,
    )
    assert AnalysisOptions.from_dict(options.to_dict()) == options


def test_options_are_values_checked_when_made():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.sentiment = False  # type: ignore[misc]
    with pytest.raises(ValueError, match="sentiment_classes"):
        AnalysisOptions(sentiment_classes=4)
    with pytest.raises(ValueError, match="emotion_model"):
        AnalysisOptions.of(AnalysisConfig(emotion_model="wheel"))
    assert AnalysisOptions(emotion_model="GoEmotions").emotion_model == "goemotions"
    assert AnalysisOptions(emotion_model="").emotion_model == DEFAULTS.emotion_model
