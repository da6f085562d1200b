"""Presets: named starting configurations for a project.

System presets (starter, budget, standard, advanced, enterprise) are defined
here in code; users save their own in the ``presets`` collection. Both turn
into the same embedded :class:`~projects.models.ProjectConfig`, and a project's
config can be saved back as a user preset.

A preset is referred to by a key: a system preset's name (``"standard"``) or
``"preset:<id>"`` for a user preset. Those keys are what forms offer
(:func:`preset_choices`) and what ``users.settings.default_preset`` stores.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from bson import ObjectId
from bson.errors import InvalidId
from django.core.exceptions import ValidationError

from accounts.models import User
from projects import capabilities
from projects.analysis_options import EmotionModel, SentimentClasses
from projects.capabilities import LOCAL_LANGUAGES  # noqa: F401 - where other modules read it
from projects.models import (
    AnalysisConfig,
    Frequency,
    LimitsConfig,
    LLMConfig,
    Preset,
    PresetKey,
    Project,
    ProjectConfig,
    ScheduleConfig,
    ScrapersConfig,
)
from projects.platforms import Platform

USER_PRESET_PREFIX = "preset:"


@dataclass(frozen=True)
class SystemPreset:
    key: str
    label: str
    description: str
    platforms: tuple[str, ...]
    sentiment_classes: int
    emotions: bool
    emotion_model: str
    summarize: bool
    extract_insights: bool
    max_reviews_per_target: int
    max_requests_per_day: int
    rate_limit_delay: float  # seconds between requests to one site
    schedule_enabled: bool
    frequency: str
    time: str  # HH:MM in the user's time zone
    days: tuple[int, ...] = ()  # weekly runs, 0 = Sunday as in config.schedule.days

    def engines(self) -> list[tuple[str, str]]:
        """Which engine produces each part of this preset's analysis (no LLM is set by one)."""
        return engines_for(config_from_preset(self).analysis)


# Platforms that need no paid service or key of the user's own.
_OPEN_PLATFORMS = (
    Platform.STEAM,
    Platform.REDDIT,
    Platform.APPSTORE,
    Platform.GOOGLE_PLAY,
    Platform.HACKERNEWS,
    Platform.TRUSTPILOT,
    Platform.FEED,
    Platform.WEB,
)
_ALL_PLATFORMS = tuple(p for p in Platform if p != Platform.FILE)

SYSTEM_PRESETS: dict[str, SystemPreset] = {
    p.key: p
    for p in (
        SystemPreset(
            key=PresetKey.STARTER,
            label="Starter",
            description="A first look: overall sentiment on small samples from the open platforms.",
            platforms=_OPEN_PLATFORMS,
            sentiment_classes=SentimentClasses.THREE,
            emotions=False,
            emotion_model=EmotionModel.EKMAN,
            summarize=False,
            extract_insights=False,
            max_reviews_per_target=50,
            max_requests_per_day=200,
            rate_limit_delay=2.0,
            schedule_enabled=False,
            frequency=Frequency.WEEKLY,
            time="06:00",
            days=(1,),
        ),
        SystemPreset(
            key=PresetKey.BUDGET,
            label="Budget",
            description="Everything the local engine does, no LLM cost: sentiment, emotions, weekly.",
            platforms=(*_OPEN_PLATFORMS, Platform.YOUTUBE),
            sentiment_classes=SentimentClasses.THREE,
            emotions=True,
            emotion_model=EmotionModel.EKMAN,
            summarize=False,
            extract_insights=False,
            max_reviews_per_target=100,
            max_requests_per_day=300,
            rate_limit_delay=2.0,
            schedule_enabled=False,
            frequency=Frequency.WEEKLY,
            time="06:00",
            days=(1,),
        ),
        SystemPreset(
            key=PresetKey.STANDARD,
            label="Standard",
            description="Sentiment and emotions with summaries, daily, on the main review platforms.",
            platforms=(
                Platform.AMAZON,
                Platform.STEAM,
                Platform.YOUTUBE,
                Platform.REDDIT,
                Platform.GOOGLE,
                Platform.APPSTORE,
                Platform.GOOGLE_PLAY,
            ),
            sentiment_classes=SentimentClasses.THREE,
            emotions=True,
            emotion_model=EmotionModel.EKMAN,
            summarize=True,
            extract_insights=False,
            max_reviews_per_target=100,
            max_requests_per_day=500,
            rate_limit_delay=1.0,
            schedule_enabled=False,
            frequency=Frequency.DAILY,
            time="06:00",
        ),
        SystemPreset(
            key=PresetKey.ADVANCED,
            label="Advanced",
            description="Five-class sentiment, 27 emotions, summaries, pros/cons and topics, every platform.",
            platforms=_ALL_PLATFORMS,
            sentiment_classes=SentimentClasses.FIVE,
            emotions=True,
            emotion_model=EmotionModel.GOEMOTIONS,
            summarize=True,
            extract_insights=True,
            max_reviews_per_target=500,
            max_requests_per_day=2000,
            rate_limit_delay=1.0,
            schedule_enabled=True,
            frequency=Frequency.DAILY,
            time="06:00",
        ),
        SystemPreset(
            key=PresetKey.ENTERPRISE,
            label="Enterprise",
            description="Full analysis on large samples, collected every hour.",
            platforms=_ALL_PLATFORMS,
            sentiment_classes=SentimentClasses.FIVE,
            emotions=True,
            emotion_model=EmotionModel.GOEMOTIONS,
            summarize=True,
            extract_insights=True,
            max_reviews_per_target=2000,
            max_requests_per_day=10000,
            rate_limit_delay=0.5,
            schedule_enabled=True,
            frequency=Frequency.HOURLY,
            time="00:15",
        ),
    )
}
DEFAULT_PRESET = PresetKey.STANDARD


def _user_timezone(user: User | None) -> str:
    settings = getattr(user, "settings", None)
    return getattr(settings, "timezone", None) or "UTC"


def preset_choices(user: User | None = None) -> list[tuple[str, str]]:
    """``(key, label)`` pairs for a select: the system presets, then the user's own."""
    choices = [(p.key, p.label) for p in SYSTEM_PRESETS.values()]
    if user is not None and getattr(user, "pk", None):
        choices += [
            (user_preset_key(p), p.name)
            for p in Preset.objects.filter(user=user).order_by("name").only("name")
        ]
    return choices


def user_preset_key(preset: Preset) -> str:
    return f"{USER_PRESET_PREFIX}{preset.pk}"


def resolve(key: str, user: User | None = None) -> SystemPreset | Preset:
    """The preset a key names; a user preset only if it belongs to ``user``.

    Raises ``ValidationError`` for an unknown key or somebody else's preset.
    """
    if key in SYSTEM_PRESETS:
        return SYSTEM_PRESETS[key]
    if key.startswith(USER_PRESET_PREFIX) and user is not None:
        try:
            pk = ObjectId(key.removeprefix(USER_PRESET_PREFIX))
        except (InvalidId, TypeError):
            pk = None
        preset = Preset.objects.filter(pk=pk, user=user).first() if pk else None
        if preset is not None:
            return preset
    raise ValidationError(f"Unknown preset {key!r}.", code="unknown_preset")


def config_from_preset(preset: str | SystemPreset | Preset, user: User | None = None) -> ProjectConfig:
    """A new project config built from a preset (a key, a system preset or a user Preset).

    The config is a fresh instance: editing it never changes the preset. A
    system preset's schedule runs in ``user``'s time zone when a user is given.
    """
    if isinstance(preset, str):
        preset = resolve(preset, user)
    if isinstance(preset, Preset):
        config = copy.deepcopy(preset.config)
        config.schedule.next_run_at = None
        return config
    return ProjectConfig(
        scrapers=ScrapersConfig(platforms=[str(p) for p in preset.platforms]),
        llm=LLMConfig(),
        analysis=AnalysisConfig(
            sentiment=True,
            sentiment_classes=preset.sentiment_classes,
            emotions=preset.emotions,
            emotion_model=preset.emotion_model,
            summarize=preset.summarize,
            extract_insights=preset.extract_insights,
        ),
        schedule=ScheduleConfig(
            enabled=preset.schedule_enabled,
            frequency=preset.frequency,
            time=preset.time,
            timezone=_user_timezone(user),
            days=list(preset.days),
        ),
        limits=LimitsConfig(
            max_reviews_per_target=preset.max_reviews_per_target,
            max_requests_per_day=preset.max_requests_per_day,
            rate_limit_delay=preset.rate_limit_delay,
        ),
    )


def apply_preset(project: Project, preset: str | SystemPreset | Preset) -> Project:
    """Give ``project`` the preset's config (not saved); ``project.preset`` records its origin."""
    if isinstance(preset, str):
        preset = resolve(preset, project.user)
    project.config = config_from_preset(preset, project.user)
    project.preset = preset.key if isinstance(preset, SystemPreset) else PresetKey.CUSTOM
    return project


def save_as_preset(project: Project, name: str, description: str = "") -> Preset:
    """Save a copy of ``project``'s config as a preset of its owner.

    Raises ``ValidationError`` when the config is invalid or the owner already
    has a preset with that name (the unique index settles concurrent saves).
    """
    config = copy.deepcopy(project.config)
    config.schedule.next_run_at = None
    preset = Preset(user=project.user, name=name.strip(), description=description, config=config)
    preset.full_clean()
    preset.save()
    return preset


def engines_for(analysis: AnalysisConfig, llm: LLMConfig | None = None) -> list[tuple[str, str]]:
    """Which engine produces each part the analysis settings ask for, as (part, engine) lines
    (:func:`projects.capabilities.capabilities` in words). ``llm``: the LLM settings when the
    project's analysis uses them (:func:`projects.llm_usage.uses_llm`)."""
    return [(c.part, c.engine) for c in capabilities.capabilities(analysis, llm)]
