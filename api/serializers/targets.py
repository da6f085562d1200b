"""Targets of a project, one at a time or pasted in bulk, and what a bulk add answers."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import id_field, nullable_time_field, time_field
from api.serializers.projects import SentimentDistributionSerializer
from projects.models import PlatformData, TargetStatus
from projects.platforms import SEARCH_PLATFORMS, DetectedType, Platform
from projects.services.monitors import is_monitor, monitor_rows

_PLATFORM_DATA_FIELDS = [f.name for f in PlatformData._meta.concrete_fields]


class TargetOptionsSerializer(serializers.Serializer):
    country = serializers.CharField()
    language = serializers.CharField()
    sort_by = serializers.CharField()
    filter = serializers.JSONField(
        help_text="Platform-specific: a word (Steam's review filter) or an object."
    )
    max_results = serializers.IntegerField(
        allow_null=True, help_text="Results per collection of this target; null: the project's limit."
    )


class TargetStatsSerializer(serializers.Serializer):
    results_count = serializers.IntegerField()
    last_scraped_at = nullable_time_field()
    last_result_date = nullable_time_field()
    available_total = serializers.IntegerField(allow_null=True)
    sentiment_count = serializers.IntegerField()
    avg_sentiment = serializers.FloatField(allow_null=True)
    sentiment_distribution = SentimentDistributionSerializer()


class MonitorPlatformSerializer(serializers.Serializer):
    platform = serializers.CharField()
    label = serializers.CharField()
    found = serializers.IntegerField(
        allow_null=True, help_text="Mentions the last run was given; null: not run yet."
    )
    new = serializers.IntegerField(allow_null=True, help_text="New matching mentions the last run kept.")
    error = serializers.CharField()


class TargetSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    user_id = id_field()
    url = serializers.CharField()
    canonical_url = serializers.CharField()
    label = serializers.CharField(
        help_text="What the target is called: the user's name, else the platform's."
    )
    name = serializers.CharField(help_text="The platform's name: the link's slug until the first collection.")
    renamed = serializers.BooleanField(
        help_text="The user named the target; a fetched name never replaces it."
    )
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
    created_at = time_field()
    updated_at = time_field()
    monitor = serializers.SerializerMethodField(
        help_text="A keyword monitor's platforms with what its last run found and kept new (and "
        "the platform's error); null for other targets."
    )

    @extend_schema_field(MonitorPlatformSerializer(many=True, allow_null=True))
    def get_monitor(self, target) -> list[dict] | None:
        return monitor_rows(target) if is_monitor(target) else None

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

    def to_internal_value(self, data):
        """``{"item": ".review"}`` as the target stores it: ``{"item_selector": ".review"}``."""
        values = super().to_internal_value(data)
        return {f"{key}_selector": value.strip() for key, value in values.items() if value.strip()}


class MonitorInputSerializer(serializers.Serializer):
    """A keyword monitor's settings (checked again by the service, which says what to fix)."""

    query = serializers.CharField(
        required=False,
        max_length=500,
        help_text='The explorer\'s search syntax: words, "phrases", -exclusions.',
    )
    platforms = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SEARCH_PLATFORMS)),
        required=False,
        max_length=len(SEARCH_PLATFORMS),
        help_text="The platforms to search.",
    )
    instances = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        max_length=20,
        help_text="Mastodon instances' host names (default mastodon.social).",
    )
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    max_results = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="New mentions kept per platform and run."
    )


class TargetCreateSerializer(MonitorInputSerializer):
    type = serializers.ChoiceField(
        choices=[("link", "A recognised URL"), ("keyword", "A keyword monitor")],
        required=False,
        default="link",
        help_text='"keyword" adds a keyword monitor from query, platforms, language, instances.',
    )
    url = serializers.CharField(
        max_length=2048, required=False, help_text="Any supported product, game, video, post... URL."
    )
    kind = serializers.ChoiceField(
        choices=[("feed", "RSS/Atom feed"), ("web", "Web page")],
        required=False,
        help_text="Take any http(s) URL as a feed or a web page instead of recognising it.",
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    options = TargetOptionsInputSerializer(required=False)
    selectors = SelectorsSerializer(required=False, help_text="CSS selectors of a web-page target.")

    def validate(self, attrs):
        if attrs.get("type") == "keyword":
            if not attrs.get("query") or not attrs.get("platforms"):
                raise serializers.ValidationError("A keyword monitor needs a query and platforms.")
        elif not attrs.get("url"):
            raise serializers.ValidationError({"url": ["This field is required."]})
        return attrs


class TargetEditSerializer(MonitorInputSerializer):
    label = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Empty: the platform's name."
    )
    options = TargetOptionsInputSerializer(required=False)
    selectors = SelectorsSerializer(required=False, help_text="A web page's CSS selectors (all of them).")
    max_results = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="This target's own limit; null: the project's.",
    )


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
