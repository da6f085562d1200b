"""Scheduled reports of a project (as read and as given)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import id_field, time_field
from notifications.models import MAX_REPORT_RECIPIENTS, ReportFrequency, Weekday


class ReportRefusalSerializer(serializers.Serializer):
    address = serializers.EmailField()
    reason = serializers.CharField(help_text="The mail server's answer (a 5xx code and its text).")


class ReportProgressSerializer(serializers.Serializer):
    period_end = time_field(help_text="The end (exclusive, UTC) of the period taken for sending.")
    sent = serializers.IntegerField(help_text="Recipients the mail server accepted the report for.")
    total = serializers.IntegerField(
        help_text="Done: whom the period went to (sent or refused); still going: the active recipients too."
    )
    done = serializers.BooleanField(help_text="Every active recipient was sent the period or refused it.")
    refused = ReportRefusalSerializer(many=True)


class ReportScheduleSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    user_id = id_field()
    name = serializers.CharField()
    frequency = serializers.ChoiceField(choices=ReportFrequency.choices)
    weekday = serializers.IntegerField(help_text="Weekly reports: the day they are sent, 0 = Monday.")
    day_of_month = serializers.IntegerField(help_text="Monthly reports: the day they are sent (1 to 28).")
    hour = serializers.IntegerField(help_text="The hour they are sent, in the project's time zone.")
    recipients = serializers.ListField(child=serializers.EmailField())
    unsubscribed = serializers.ListField(
        child=serializers.EmailField(), help_text="Recipients who unsubscribed: they get no mail."
    )
    enabled = serializers.BooleanField()
    last_period_end = time_field(
        allow_null=True, help_text="The end of the last period sent to every recipient (or refused)."
    )
    last_sent_at = time_field(allow_null=True)
    progress = serializers.SerializerMethodField(
        help_text="How far the last period taken for sending got; null before the first."
    )
    created_at = time_field()
    updated_at = time_field()

    @extend_schema_field(ReportProgressSerializer(allow_null=True))
    def get_progress(self, schedule) -> dict | None:
        progress = schedule.progress()
        if progress is None:
            return None
        return ReportProgressSerializer({**progress, "period_end": schedule.sending_period_end}).data


class ReportScheduleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    frequency = serializers.ChoiceField(choices=ReportFrequency.choices, default=ReportFrequency.WEEKLY)
    weekday = serializers.ChoiceField(choices=Weekday.choices, default=Weekday.MONDAY)
    day_of_month = serializers.IntegerField(min_value=1, max_value=28, default=1)
    hour = serializers.IntegerField(min_value=0, max_value=23, default=8)
    recipients = serializers.ListField(
        child=serializers.EmailField(max_length=254), allow_empty=False, max_length=MAX_REPORT_RECIPIENTS
    )
    enabled = serializers.BooleanField(default=True)


class ReportSchedulePatchSerializer(ReportScheduleInputSerializer):
    """The same fields, each optional: what is left out is kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty
