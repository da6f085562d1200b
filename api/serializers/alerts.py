"""Alert rules (as read, created and patched) and the alerts they raised."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import id_field, nullable_time_field, time_field
from notifications.alerts import forms as rule_forms
from notifications.alerts import rules
from notifications.alerts.detection import DEFAULT_COOLDOWN_HOURS, DEFAULT_MIN_COUNT, DEFAULT_SIGNIFICANCE
from notifications.models import SIGNIFICANCE_MAX, SIGNIFICANCE_MIN, AlertKind, AlertPeriod
from projects.platforms import RESULT_PLATFORMS


class AlertRuleSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    user_id = id_field()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    period = serializers.ChoiceField(choices=AlertPeriod.choices)
    target_ids = serializers.ListField(child=id_field(), help_text="Empty: every target of the project.")
    platforms = serializers.ListField(child=serializers.CharField(), help_text="Empty: every platform.")
    query = serializers.CharField(help_text="Keyword rules: the explorer's search syntax.")
    only_negative = serializers.BooleanField()
    min_count = serializers.IntegerField()
    significance = serializers.FloatField()
    cooldown_hours = serializers.IntegerField()
    email = serializers.BooleanField()
    chat_webhook_urls = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    muted = serializers.SerializerMethodField(help_text="Muted now.")
    muted_until = nullable_time_field(help_text="Year 9999: muted until unmuted.")
    last_triggered_at = nullable_time_field()
    last_evaluated_at = nullable_time_field()
    created_at = time_field()
    updated_at = time_field()

    def get_muted(self, rule) -> bool:
        return rules.is_muted(rule)


class AlertRuleInputSerializer(serializers.Serializer):
    """Types and ranges; the rule's own checks (scope, search, URLs) are the pages' form's."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    period = serializers.ChoiceField(
        choices=AlertPeriod.choices, default=AlertPeriod.DAY, help_text="hour: volume spikes only."
    )
    target_ids = serializers.ListField(
        child=serializers.CharField(max_length=24), default=list, max_length=500
    )
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=RESULT_PLATFORMS), default=list)
    query = serializers.CharField(max_length=500, allow_blank=True, default="")
    only_negative = serializers.BooleanField(default=False)
    min_count = serializers.IntegerField(
        min_value=1, max_value=rule_forms.MAX_MIN_COUNT, default=DEFAULT_MIN_COUNT
    )
    significance = serializers.FloatField(
        min_value=SIGNIFICANCE_MIN,
        max_value=SIGNIFICANCE_MAX,
        default=DEFAULT_SIGNIFICANCE,
        help_text="The test's level: 0.001 strict, 0.01 normal, 0.05 sensitive.",
    )
    cooldown_hours = serializers.IntegerField(
        min_value=0, max_value=rule_forms.MAX_COOLDOWN_HOURS, default=DEFAULT_COOLDOWN_HOURS
    )
    email = serializers.BooleanField(default=True)
    chat_webhook_urls = serializers.ListField(
        child=serializers.CharField(max_length=2048),
        default=list,
        max_length=rule_forms.MAX_CHAT_WEBHOOKS,
        help_text="Slack, Discord or Teams incoming-webhook URLs (https, public addresses).",
    )
    enabled = serializers.BooleanField(default=True)


class AlertRulePatchSerializer(AlertRuleInputSerializer):
    """The same fields, each optional: what is left out is kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class MuteSerializer(serializers.Serializer):
    duration = serializers.ChoiceField(
        choices=[(choice.key, choice.label) for choice in rules.MUTE_CHOICES],
        help_text="1h, 1d, 1w, or forever (until unmuted).",
    )


class AlertSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    rule_id = id_field()
    rule_name = serializers.CharField(source="rule.name")
    user_id = id_field()
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    title = serializers.CharField()
    window_start = time_field()
    window_end = time_field()
    baseline = serializers.FloatField(help_text="What was expected in the window.")
    observed = serializers.FloatField()
    statistic = serializers.FloatField(allow_null=True, help_text="The test's figure (z or ratio).")
    p_value = serializers.FloatField(allow_null=True)
    details = serializers.DictField()
    result_ids = serializers.ListField(child=id_field(), help_text="The results that triggered it.")
    deliveries = serializers.DictField(help_text="Per channel: status, attempts, error.")
    read_at = nullable_time_field()
    acknowledged_at = nullable_time_field()
    created_at = time_field()
