"""A project's statistics: totals, per-target rows and the daily aggregates."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import id_field
from api.serializers.projects import ProjectStatsSerializer
from api.serializers.targets import TargetStatsSerializer
from projects.platforms import Platform


class TargetStatsRowSerializer(serializers.Serializer):
    id = id_field(source="pk")
    label = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    stats = TargetStatsSerializer()


class LabelCountsSerializer(serializers.Serializer):
    positive = serializers.IntegerField(default=0)
    neutral = serializers.IntegerField(default=0)
    negative = serializers.IntegerField(default=0)


class DailyStatsSerializer(serializers.Serializer):
    id = serializers.CharField(source="_id", help_text="<target_id>:<YYYY-MM-DD>")
    target_id = id_field()
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
