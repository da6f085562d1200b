"""Scrape jobs with their targets' progress, and the request that starts one."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import id_field, nullable_id_field, nullable_time_field, time_field
from scraping.models import JobStatus, JobTrigger


class JobTargetSerializer(serializers.Serializer):
    target_id = id_field()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.IntegerField()
    results_count = serializers.IntegerField()
    error = serializers.CharField()
    partial = serializers.BooleanField()
    available_total = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()
    started_at = nullable_time_field()
    finished_at = nullable_time_field()


class JobOptionsSerializer(serializers.Serializer):
    max_results = serializers.IntegerField(allow_null=True)
    include_replies = serializers.BooleanField()
    date_from = nullable_time_field()
    date_to = nullable_time_field()


class JobStatsSerializer(serializers.Serializer):
    targets_total = serializers.IntegerField()
    targets_completed = serializers.IntegerField()
    results_total = serializers.IntegerField()
    requests_made = serializers.IntegerField()
    errors_count = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    user_id = id_field()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.SerializerMethodField(help_text="0-100; while running, the mean of the targets'.")
    targets = JobTargetSerializer(many=True)
    options = JobOptionsSerializer()
    stats = JobStatsSerializer()
    trigger = serializers.ChoiceField(choices=JobTrigger.choices)
    triggered_by = nullable_id_field(source="triggered_by_id")
    started_at = nullable_time_field()
    completed_at = nullable_time_field()
    error_message = serializers.CharField()
    partial = serializers.BooleanField()
    cancel_requested = serializers.BooleanField()
    created_at = time_field()

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
