"""The API's JSON documents: the ORM objects under the specification's field names.

Ids are strings (``_id`` is ``id``; references keep their names: ``project_id``,
``target_id``...), datetimes ISO 8601 in UTC, and embedded documents keep their nested
names (``config.limits.max_reviews_per_target``, ``analysis.sentiment.label``).

Input serializers check types and ranges only; the rules (plan limits, archived projects,
duplicate targets, key ownership) stay in the services the views call.
"""

from __future__ import annotations

from datetime import UTC

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analysis.models import AnalysisEngine, SentimentLabel
from notifications.models import DeliveryStatus, LastDeliveryStatus, WebhookEvent
from notifications.services import SUBSCRIBABLE
from projects.models import (
    LLM_PROVIDER_CHOICES,
    SCRAPER_PROVIDER_CHOICES,
    EmotionModel,
    Frequency,
    PlatformData,
    PresetKey,
    ProjectStatus,
    SentimentClasses,
    TargetStatus,
)
from projects.platforms import DetectedType, Platform
from scraping.models import JobStatus, JobTrigger

_PLATFORM_DATA_FIELDS = [f.name for f in PlatformData._meta.concrete_fields]
# Platforms a project collects from (files are uploaded) and the events a webhook can take.
COLLECTED_PLATFORMS = [c for c in Platform.choices if c[0] != Platform.FILE]
SUBSCRIBABLE_EVENTS = [(e.value, e.label) for e in SUBSCRIBABLE]


class IdField(serializers.CharField):
    """An ObjectId (or None) as its 24-character hex string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(value)


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC (``Z``), whatever time zone the request runs in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


def _id(**kwargs):
    return IdField(**kwargs)


def _nullable_id(**kwargs):
    return IdField(allow_null=True, **kwargs)


def _when(**kwargs):
    return UtcDateTimeField(read_only=True, **kwargs)


def _maybe_when(**kwargs):
    return UtcDateTimeField(read_only=True, allow_null=True, **kwargs)


# --- projects ---------------------------------------------------------------------------


class CommercialConfigSerializer(serializers.Serializer):
    api_key_id = _nullable_id()
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
    api_key_id = _nullable_id()
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
    next_run_at = _maybe_when()


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
    last_scrape_at = _maybe_when()
    last_analysis_at = _maybe_when()


class ProjectSerializer(serializers.Serializer):
    id = _id(source="pk")
    user_id = _id()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    preset = serializers.ChoiceField(choices=PresetKey.choices)
    config = ProjectConfigSerializer()
    stats = ProjectStatsSerializer()
    created_at = _when()
    updated_at = _when()
    archived_at = _maybe_when()


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


# --- targets ----------------------------------------------------------------------------


class TargetOptionsSerializer(serializers.Serializer):
    country = serializers.CharField()
    language = serializers.CharField()
    sort_by = serializers.CharField()
    filter = serializers.JSONField(
        help_text="Platform-specific: a word (Steam's review filter) or an object."
    )


class TargetStatsSerializer(serializers.Serializer):
    results_count = serializers.IntegerField()
    last_scraped_at = _maybe_when()
    last_result_date = _maybe_when()
    available_total = serializers.IntegerField(allow_null=True)
    sentiment_count = serializers.IntegerField()
    avg_sentiment = serializers.FloatField(allow_null=True)
    sentiment_distribution = SentimentDistributionSerializer()


class TargetSerializer(serializers.Serializer):
    id = _id(source="pk")
    project_id = _id()
    user_id = _id()
    url = serializers.CharField()
    canonical_url = serializers.CharField()
    label = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    detected_type = serializers.ChoiceField(choices=DetectedType.choices, allow_blank=True)
    platform_data = serializers.SerializerMethodField(
        help_text="The identifiers recognised in the URL (asin, app_id, video_id, post_id, place_id...)."
    )
    options = TargetOptionsSerializer()
    metadata = serializers.DictField()
    stats = TargetStatsSerializer()
    status = serializers.ChoiceField(choices=TargetStatus.choices)
    error_message = serializers.CharField()
    caveat = serializers.CharField()
    created_at = _when()
    updated_at = _when()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_platform_data(self, target) -> dict:
        data = target.platform_data
        out = {}
        for name in _PLATFORM_DATA_FIELDS:
            value = getattr(data, name, None)
            if value not in (None, "", {}, False):
                out[name] = value
        return out


class TargetOptionsInputSerializer(serializers.Serializer):
    country = serializers.CharField(required=False, allow_blank=True, max_length=8)
    language = serializers.CharField(required=False, allow_blank=True, max_length=32)
    sort_by = serializers.CharField(required=False, allow_blank=True, max_length=32)


class SelectorsSerializer(serializers.Serializer):
    item = serializers.CharField(required=False, allow_blank=True, max_length=500)
    text = serializers.CharField(required=False, allow_blank=True, max_length=500)
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    author = serializers.CharField(required=False, allow_blank=True, max_length=500)
    rating = serializers.CharField(required=False, allow_blank=True, max_length=500)
    date = serializers.CharField(required=False, allow_blank=True, max_length=500)
    next = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TargetCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2048, help_text="Any supported product, game, video, post... URL.")
    kind = serializers.ChoiceField(
        choices=[("feed", "RSS/Atom feed"), ("web", "Web page")],
        required=False,
        help_text="Take any http(s) URL as a feed or a web page instead of recognising it.",
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    options = TargetOptionsInputSerializer(required=False)
    selectors = SelectorsSerializer(required=False, help_text="CSS selectors of a web-page target.")


class TargetBulkSerializer(serializers.Serializer):
    urls = serializers.ListField(
        child=serializers.CharField(max_length=2048, allow_blank=True),
        required=False,
        max_length=500,
        help_text='URLs, each optionally followed by ", label".',
    )
    text = serializers.CharField(
        required=False, allow_blank=True, help_text="Pasted text: one URL per line, optionally ', label'."
    )
    csv = serializers.CharField(
        required=False, allow_blank=True, help_text="CSV text with url,label columns."
    )

    def validate(self, attrs):
        if not (attrs.get("urls") or attrs.get("text", "").strip() or attrs.get("csv", "").strip()):
            raise serializers.ValidationError("Give urls, text or csv.")
        return attrs


class InvalidLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_no")
    input = serializers.CharField(source="raw")
    reason = serializers.CharField()


class DuplicateLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_no")
    input = serializers.CharField(source="raw")
    first_line = serializers.IntegerField(
        source="first_line_no", help_text="The earlier line with the same target (0: already in the project)."
    )


class BulkOutcomeSerializer(serializers.Serializer):
    added = TargetSerializer(many=True)
    invalid = InvalidLineSerializer(many=True)
    duplicates = DuplicateLineSerializer(many=True)


class TargetRemovedSerializer(serializers.Serializer):
    id = serializers.CharField()
    removed_results = serializers.IntegerField()


# --- jobs -------------------------------------------------------------------------------


class JobTargetSerializer(serializers.Serializer):
    target_id = _id()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.IntegerField()
    results_count = serializers.IntegerField()
    error = serializers.CharField()
    partial = serializers.BooleanField()
    available_total = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()
    started_at = _maybe_when()
    finished_at = _maybe_when()


class JobOptionsSerializer(serializers.Serializer):
    max_results = serializers.IntegerField(allow_null=True)
    include_replies = serializers.BooleanField()
    date_from = _maybe_when()
    date_to = _maybe_when()


class JobStatsSerializer(serializers.Serializer):
    targets_total = serializers.IntegerField()
    targets_completed = serializers.IntegerField()
    results_total = serializers.IntegerField()
    requests_made = serializers.IntegerField()
    errors_count = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    id = _id(source="pk")
    project_id = _id()
    user_id = _id()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.SerializerMethodField(help_text="0-100; while running, the mean of the targets'.")
    targets = JobTargetSerializer(many=True)
    options = JobOptionsSerializer()
    stats = JobStatsSerializer()
    trigger = serializers.ChoiceField(choices=JobTrigger.choices)
    triggered_by = _nullable_id(source="triggered_by_id")
    started_at = _maybe_when()
    completed_at = _maybe_when()
    error_message = serializers.CharField()
    partial = serializers.BooleanField()
    cancel_requested = serializers.BooleanField()
    created_at = _when()

    def get_progress(self, job) -> int:
        return job.overall_progress


class JobOptionsInputSerializer(serializers.Serializer):
    max_results = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    include_replies = serializers.BooleanField(required=False)
    date_from = serializers.DateTimeField(required=False, allow_null=True)
    date_to = serializers.DateTimeField(required=False, allow_null=True)


class JobStartSerializer(serializers.Serializer):
    target_ids = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-fA-F]{24}$"),
        required=False,
        max_length=1000,
        help_text="Collect only these targets of the project (default: every active one).",
    )
    options = JobOptionsInputSerializer(required=False)


# --- results ----------------------------------------------------------------------------


class ContentSerializer(serializers.Serializer):
    text = serializers.CharField()
    title = serializers.CharField()
    author = serializers.CharField()
    rating = serializers.FloatField(allow_null=True)
    date = _maybe_when()
    url = serializers.CharField()
    platform_id = serializers.CharField()
    parent_id = serializers.CharField(allow_null=True)
    metadata = serializers.DictField()


class SentimentScoresSerializer(serializers.Serializer):
    very_positive = serializers.FloatField(allow_null=True)
    positive = serializers.FloatField(allow_null=True)
    neutral = serializers.FloatField(allow_null=True)
    negative = serializers.FloatField(allow_null=True)
    very_negative = serializers.FloatField(allow_null=True)


class SentimentSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=SentimentLabel.choices)
    score = serializers.FloatField()
    confidence = serializers.FloatField()
    scores = SentimentScoresSerializer(allow_null=True)
    analyzed_at = _maybe_when()


class DetectedEmotionSerializer(serializers.Serializer):
    emotion = serializers.CharField()
    score = serializers.FloatField()


class EmotionsSerializer(serializers.Serializer):
    model = serializers.CharField()
    primary = serializers.CharField()
    primary_score = serializers.FloatField()
    detected = DetectedEmotionSerializer(many=True)
    analyzed_at = _maybe_when()


class SummarySerializer(serializers.Serializer):
    text = serializers.CharField()
    key_points = serializers.ListField(child=serializers.CharField())
    generated_at = _maybe_when()


class TopicSerializer(serializers.Serializer):
    topic = serializers.CharField()
    sentiment = serializers.FloatField()


class ResultInsightsSerializer(serializers.Serializer):
    pros = serializers.ListField(child=serializers.CharField())
    cons = serializers.ListField(child=serializers.CharField())
    topics = TopicSerializer(many=True)
    extracted_at = _maybe_when()


class AnalysisSerializer(serializers.Serializer):
    sentiment = SentimentSerializer(allow_null=True)
    emotions = EmotionsSerializer(allow_null=True)
    summary = SummarySerializer(allow_null=True)
    insights = ResultInsightsSerializer(allow_null=True)
    engine = serializers.ChoiceField(choices=AnalysisEngine.choices, allow_blank=True)


class FlagsSerializer(serializers.Serializer):
    rating_disagreement = serializers.BooleanField()


class ResultSerializer(serializers.Serializer):
    id = _id(source="pk")
    project_id = _id()
    target_id = _id()
    user_id = _id()
    scrape_job_id = _nullable_id()
    content = ContentSerializer()
    analysis = AnalysisSerializer()
    platform = serializers.ChoiceField(choices=Platform.choices)
    language = serializers.CharField()
    word_count = serializers.IntegerField()
    flags = FlagsSerializer()
    excluded = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    pinned = serializers.BooleanField()
    created_at = _when()
    updated_at = _when()


# --- statistics and insights ----------------------------------------------------------------


class TargetStatsRowSerializer(serializers.Serializer):
    id = _id(source="pk")
    label = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    stats = TargetStatsSerializer()


class LabelCountsSerializer(serializers.Serializer):
    positive = serializers.IntegerField(default=0)
    neutral = serializers.IntegerField(default=0)
    negative = serializers.IntegerField(default=0)


class DailyStatsSerializer(serializers.Serializer):
    id = serializers.CharField(source="_id", help_text="<target_id>:<YYYY-MM-DD>")
    target_id = _id()
    platform = serializers.CharField()
    day = serializers.DateField(help_text="UTC day of the content's date (else of its collection).")
    count = serializers.IntegerField()
    sum = serializers.FloatField(default=0.0, help_text="Sum of the sentiment scores.")
    labels = LabelCountsSerializer()
    emotions = serializers.DictField(child=serializers.IntegerField(), default=dict)
    rating_sum = serializers.FloatField(default=0.0)
    rating_count = serializers.IntegerField(default=0)
    flagged = serializers.IntegerField(default=0)


class StatsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        required=False,
        default=30,
        min_value=1,
        max_value=3660,
        help_text="Daily aggregates of the last N UTC days, today included.",
    )


class ProjectStatsResponseSerializer(serializers.Serializer):
    project_id = serializers.CharField()
    stats = ProjectStatsSerializer()
    targets = TargetStatsRowSerializer(many=True)
    daily = DailyStatsSerializer(many=True)


class QuoteSerializer(serializers.Serializer):
    result_id = serializers.CharField()
    span = serializers.CharField()
    sentiment = serializers.FloatField(
        required=False, allow_null=True, help_text="The score of the sentence quoted, -1 to 1."
    )


class AspectSentimentSerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True, help_text="Mean over the results that judge it.")
    positive = serializers.IntegerField(help_text="Results whose sentences on it praise it.")
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField(help_text="Results whose sentences on it criticise it.")
    unscored = serializers.IntegerField(help_text="Results in a language the sentence scorer does not judge.")


class TrendHalfSerializer(serializers.Serializer):
    results = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    mean_sentiment = serializers.FloatField(allow_null=True)
    judged = serializers.IntegerField()


class AspectTrendSerializer(serializers.Serializer):
    recent = TrendHalfSerializer(help_text="The newer half of the sample.")
    older = TrendHalfSerializer(help_text="The older half of the sample.")
    mentions = serializers.CharField(allow_null=True, help_text="rising, falling or steady.")
    sentiment = serializers.CharField(allow_null=True, help_text="improving, worsening or steady.")


class AspectFieldsSerializer(serializers.Serializer):
    """What every aspect entry carries (absent from summaries cached before aspects)."""

    key = serializers.CharField(required=False, help_text="Grouping key (lemma or stem); not for display.")
    forms = serializers.ListField(child=serializers.CharField(), required=False)
    mentions = serializers.IntegerField(required=False, help_text="Sentences that mention it.")
    sentiment = AspectSentimentSerializer(required=False)
    verdict = serializers.CharField(required=False, allow_null=True, help_text="pro, con, mixed, or null.")
    trend = AspectTrendSerializer(required=False)
    search = serializers.CharField(required=False, help_text="The explorer search that lists its results.")


class PointSerializer(AspectFieldsSerializer):
    text = serializers.CharField(help_text="The aspect.")
    count = serializers.IntegerField()
    result_ids = serializers.ListField(child=serializers.CharField())
    quotes = QuoteSerializer(many=True)


class TopicEntrySerializer(AspectFieldsSerializer):
    topic = serializers.CharField(help_text="The aspect.")
    count = serializers.IntegerField()
    mean_sentiment = serializers.FloatField(allow_null=True)
    result_ids = serializers.ListField(child=serializers.CharField())
    quotes = QuoteSerializer(many=True)


class SampleHalfSerializer(serializers.Serializer):
    results = serializers.IntegerField()
    to = serializers.DateTimeField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword: declared here under its JSON name.
        fields["from"] = serializers.DateTimeField(allow_null=True)
        return fields


class InsightSampleSerializer(serializers.Serializer):
    results = serializers.IntegerField(help_text="Results read: the latest analysed ones.")
    recent = SampleHalfSerializer()
    older = SampleHalfSerializer()
    without_aspects = serializers.IntegerField(help_text="Results in a language aspects are not read in.")


class InsightRulesSerializer(serializers.Serializer):
    min_judged_results = serializers.IntegerField()
    clear_majority = serializers.FloatField()


class InsightSentimentSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    distribution = LabelCountsSerializer()


class InsightRatingSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    disagreements = serializers.ListField(child=serializers.CharField())


class AbstractClaimSerializer(serializers.Serializer):
    text = serializers.CharField()
    result_ids = serializers.ListField(child=serializers.CharField(), help_text="The results it cites.")
    quotes = QuoteSerializer(many=True)


class AbstractTopicSerializer(AbstractClaimSerializer):
    sentiment = serializers.FloatField(allow_null=True, help_text="-1 to 1, as the model judged it.")


class InsightAbstractSerializer(serializers.Serializer):
    overview = serializers.CharField()
    pros = AbstractClaimSerializer(many=True)
    cons = AbstractClaimSerializer(many=True)
    topics = AbstractTopicSerializer(many=True)
    model = serializers.CharField()
    tokens = serializers.IntegerField(help_text="Tokens the request used, charged to the project's budget.")
    cost_usd = serializers.FloatField()
    generated_at = _maybe_when()


class InsightSummarySerializer(serializers.Serializer):
    total_results = serializers.IntegerField()
    pros = PointSerializer(many=True, help_text="Aspects most results praise (see rules).")
    cons = PointSerializer(many=True, help_text="Aspects most results criticise (see rules).")
    topics = TopicEntrySerializer(many=True, help_text="Aspects, the most discussed first.")
    sample = InsightSampleSerializer(required=False)
    rules = InsightRulesSerializer(
        required=False,
        help_text="A pro: at least min_judged_results results judge it and clear_majority of them praise it.",
    )
    sentiment = InsightSentimentSerializer()
    rating = InsightRatingSerializer()
    generated_at = _maybe_when()
    # Only for projects analysed by an LLM, hence absent (not null) otherwise.
    abstract = InsightAbstractSerializer(
        required=False, help_text="The project's LLM's summary of the pros, cons and topics."
    )
    abstract_error = serializers.CharField(required=False, help_text="Why there is no AI summary this time.")
    abstract_pending = serializers.BooleanField(
        required=False, help_text="True while the first AI summary is being written."
    )


class InsightsSerializer(serializers.Serializer):
    project_id = serializers.CharField()
    target_id = serializers.CharField(allow_null=True)
    sample_size = serializers.IntegerField(help_text="How many of the newest analysed results were read.")
    sample_limit = serializers.IntegerField()
    computed_at = _maybe_when()
    stale = serializers.BooleanField(help_text="True while newer analyses wait for the next refresh.")
    summary = InsightSummarySerializer()


# --- webhooks ---------------------------------------------------------------------------


class WebhookStatsSerializer(serializers.Serializer):
    total_deliveries = serializers.IntegerField()
    successful_deliveries = serializers.IntegerField()
    failed_deliveries = serializers.IntegerField()
    last_delivery = _maybe_when()
    last_status = serializers.ChoiceField(choices=LastDeliveryStatus.choices, allow_blank=True)


class WebhookSerializer(serializers.Serializer):
    id = _id(source="pk")
    user_id = _id()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    label = serializers.CharField()
    enabled = serializers.BooleanField()
    signed = serializers.SerializerMethodField(help_text="Deliveries carry a signature (a secret is set).")
    stats = WebhookStatsSerializer()
    consecutive_failures = serializers.IntegerField()
    disabled_reason = serializers.CharField()
    created_at = _when()
    updated_at = _when()

    def get_signed(self, webhook) -> bool:
        return bool(webhook.secret_encrypted)


class WebhookSavedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        allow_null=True, help_text="The new signing secret, in this response only; null when unchanged."
    )


SECRET_MODES = [
    ("keep", "Keep the current secret"),
    ("generate", "Generate a new secret"),
    ("custom", "Use custom_secret"),
    ("none", "No secret: unsigned deliveries"),
]


class WebhookInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2048, help_text="An https address on the public internet.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS),
        min_length=1,
        max_length=len(SUBSCRIBABLE),
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    enabled = serializers.BooleanField(required=False, default=True)
    secret_mode = serializers.ChoiceField(
        choices=SECRET_MODES, required=False, help_text="Default: generate on create, keep on update."
    )
    custom_secret = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=200, help_text="whsec_ + base64."
    )


class WebhookPatchSerializer(WebhookInputSerializer):
    url = serializers.CharField(max_length=2048, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS),
        min_length=1,
        max_length=len(SUBSCRIBABLE),
        required=False,
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=100)
    enabled = serializers.BooleanField(required=False)


class DeliveryRequestSerializer(serializers.Serializer):
    url = serializers.CharField()
    headers = serializers.DictField()
    body = serializers.CharField()


class DeliveryResponseSerializer(serializers.Serializer):
    status_code = serializers.IntegerField(allow_null=True)
    headers = serializers.DictField()
    body = serializers.CharField()
    time_ms = serializers.IntegerField(allow_null=True)


class DeliverySerializer(serializers.Serializer):
    id = _id(source="pk")
    webhook_id = _id()
    user_id = _id()
    event = serializers.ChoiceField(choices=WebhookEvent.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    request = DeliveryRequestSerializer()
    response = DeliveryResponseSerializer(allow_null=True)
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = _when()
    delivered_at = _maybe_when()


# --- errors -----------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(
        help_text="Invalid input: messages per field (dotted path). Rate limits: retry_after seconds."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
