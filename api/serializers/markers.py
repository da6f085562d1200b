"""Release markers: dated notes drawn on a project's time charts (as read and as given)."""

from __future__ import annotations

from rest_framework import serializers

from analysis.markers import MAX_LABEL, MAX_NOTE
from api.serializers.fields import UtcDateTimeField, id_field, time_field


class MarkerSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    user_id = id_field()
    at = UtcDateTimeField(read_only=True, help_text="The marker's moment in UTC (midnight for a whole day).")
    whole_day = serializers.BooleanField(read_only=True, help_text="True when no time of day was given.")
    day = serializers.DateField(read_only=True, help_text="The UTC day the charts draw it on.")
    label = serializers.CharField()
    note = serializers.CharField()
    created_at = time_field()
    updated_at = time_field()


class MarkerInputSerializer(serializers.Serializer):
    day = serializers.CharField(max_length=32, help_text="The date, YYYY-MM-DD (a UTC day).")
    time = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=16,
        help_text="A time of day in UTC, HH:MM; left out: the whole day.",
    )  # fmt: skip
    label = serializers.CharField(max_length=MAX_LABEL, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)


class MarkerPatchSerializer(MarkerInputSerializer):
    day = serializers.CharField(max_length=32, required=False)
    label = serializers.CharField(max_length=MAX_LABEL, required=False, allow_blank=True)
