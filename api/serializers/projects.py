"""Projects and their configuration, as read and as created or patched."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import id_field, nullable_id_field, nullable_time_field, time_field
from projects.models import (
    LLM_PROVIDER_CHOICES,
    SCRAPER_PROVIDER_CHOICES,
    EmotionModel,
    Frequency,
    PresetKey,
    ProjectStatus,
    SentimentClasses,
)
from projects.platforms import Platform

# Platforms a project collects from (files are uploaded).
COLLECTED_PLATFORMS = [c for c in Platform.choices if c[0] != Platform.FILE]


class CommercialConfigSerializer(serializers.Serializer):
    api_key_id = nullable_id_field()
    render_js = serializers.BooleanField()
    country = serializers.CharField()
    premium_proxy = serializers.BooleanField()


class ScrapersConfigSerializer(serializers.Serializer):
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices))
    commercial_provider = serializers.ChoiceField(choices=SCRAPER_PROVIDER_CHOICES, allow_null=True)
    commercial_config = CommercialConfigSerializer()


class LLMConfigSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(
        choices=LLM_PROVIDER_CHOICES, allow_blank=True, help_text="Empty: the local engine only."
    )
    model = serializers.CharField(allow_blank=True)
    api_key_id = nullable_id_field()
    temperature = serializers.FloatField()
    max_tokens = serializers.IntegerField()


class AnalysisConfigSerializer(serializers.Serializer):
    sentiment = serializers.BooleanField()
    sentiment_classes = serializers.ChoiceField(choices=SentimentClasses.choices)
    emotions = serializers.BooleanField()
    emotion_model = serializers.ChoiceField(choices=EmotionModel.choices)
    summarize = serializers.BooleanField()
    extract_insights = serializers.BooleanField()


class ScheduleConfigSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    time = serializers.CharField(help_text="HH:MM")
    timezone = serializers.CharField()
    days = serializers.ListField(child=serializers.IntegerField(), help_text="Weekly runs, 0 = Sunday.")
    next_run_at = nullable_time_field()


class LimitsConfigSerializer(serializers.Serializer):
    max_reviews_per_target = serializers.IntegerField()
    max_requests_per_day = serializers.IntegerField()
    rate_limit_delay = serializers.FloatField(help_text="Seconds between two requests to one site.")
    llm_monthly_token_budget = serializers.IntegerField()


class ProjectConfigSerializer(serializers.Serializer):
    scrapers = ScrapersConfigSerializer()
    llm = LLMConfigSerializer()
    analysis = AnalysisConfigSerializer()
    schedule = ScheduleConfigSerializer()
    limits = LimitsConfigSerializer()


class SentimentDistributionSerializer(serializers.Serializer):
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()


class ProjectStatsSerializer(serializers.Serializer):
    total_targets = serializers.IntegerField()
    total_results = serializers.IntegerField()
    total_scrapes = serializers.IntegerField()
    sentiment_count = serializers.IntegerField(help_text="Analysed results counted in the statistics.")
    avg_sentiment = serializers.FloatField(allow_null=True)
    sentiment_distribution = SentimentDistributionSerializer()
    last_scrape_at = nullable_time_field()
    last_analysis_at = nullable_time_field()


class ProjectSerializer(serializers.Serializer):
    id = id_field(source="pk")
    user_id = id_field()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    preset = serializers.ChoiceField(choices=PresetKey.choices)
    config = ProjectConfigSerializer()
    stats = ProjectStatsSerializer()
    created_at = time_field()
    updated_at = time_field()
    archived_at = nullable_time_field()


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    preset = serializers.CharField(
        required=False,
        max_length=100,
        help_text="A system preset (starter, budget, standard, advanced, enterprise), one of yours as "
        "preset:<id>, or scratch for the default settings. Default: your default preset.",
    )


# Config parts a PATCH may change (the schedule has its own pages).
class CommercialConfigPatchSerializer(serializers.Serializer):
    api_key_id = serializers.CharField(allow_null=True, required=False, help_text="One of your API keys.")
    render_js = serializers.BooleanField(required=False)
    country = serializers.CharField(allow_blank=True, required=False, max_length=8)
    premium_proxy = serializers.BooleanField(required=False)


class ScrapersConfigPatchSerializer(serializers.Serializer):
    platforms = serializers.ListField(
        child=serializers.ChoiceField(choices=COLLECTED_PLATFORMS),
        required=False,
    )
    commercial_provider = serializers.ChoiceField(
        choices=SCRAPER_PROVIDER_CHOICES, allow_null=True, required=False
    )
    commercial_config = CommercialConfigPatchSerializer(required=False)


class LLMConfigPatchSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=LLM_PROVIDER_CHOICES, allow_blank=True, required=False)
    model = serializers.CharField(allow_blank=True, required=False, max_length=128)
    api_key_id = serializers.CharField(allow_null=True, required=False, help_text="One of your API keys.")
    temperature = serializers.FloatField(required=False, min_value=0.0, max_value=2.0)
    max_tokens = serializers.IntegerField(required=False, min_value=1)


class AnalysisConfigPatchSerializer(serializers.Serializer):
    sentiment = serializers.BooleanField(required=False)
    sentiment_classes = serializers.ChoiceField(choices=SentimentClasses.choices, required=False)
    emotions = serializers.BooleanField(required=False)
    emotion_model = serializers.ChoiceField(choices=EmotionModel.choices, required=False)
    summarize = serializers.BooleanField(required=False)
    extract_insights = serializers.BooleanField(required=False)


class LimitsConfigPatchSerializer(serializers.Serializer):
    max_reviews_per_target = serializers.IntegerField(required=False, min_value=1)
    max_requests_per_day = serializers.IntegerField(required=False, min_value=1)
    rate_limit_delay = serializers.FloatField(required=False, min_value=0.0)
    llm_monthly_token_budget = serializers.IntegerField(required=False, min_value=0)


class ProjectConfigPatchSerializer(serializers.Serializer):
    scrapers = ScrapersConfigPatchSerializer(required=False)
    llm = LLMConfigPatchSerializer(required=False)
    analysis = AnalysisConfigPatchSerializer(required=False)
    limits = LimitsConfigPatchSerializer(required=False)


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    config = ProjectConfigPatchSerializer(
        required=False, help_text="Only the parts and fields given change; the schedule is not edited here."
    )
