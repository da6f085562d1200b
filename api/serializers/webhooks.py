"""Webhooks (as read, created and patched) and their deliveries."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import id_field, nullable_time_field, time_field
from notifications.models import DeliveryStatus, LastDeliveryStatus, WebhookEvent
from notifications.services import SUBSCRIBABLE

# The events a webhook can take.
SUBSCRIBABLE_EVENTS = [(e.value, e.label) for e in SUBSCRIBABLE]


class WebhookStatsSerializer(serializers.Serializer):
    total_deliveries = serializers.IntegerField()
    successful_deliveries = serializers.IntegerField()
    failed_deliveries = serializers.IntegerField()
    last_delivery = nullable_time_field()
    last_status = serializers.ChoiceField(choices=LastDeliveryStatus.choices, allow_blank=True)


class WebhookSerializer(serializers.Serializer):
    id = id_field(source="pk")
    user_id = id_field()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    label = serializers.CharField()
    enabled = serializers.BooleanField()
    signed = serializers.SerializerMethodField(help_text="Deliveries carry a signature (a secret is set).")
    stats = WebhookStatsSerializer()
    consecutive_failures = serializers.IntegerField()
    disabled_reason = serializers.CharField()
    created_at = time_field()
    updated_at = time_field()

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
    id = id_field(source="pk")
    webhook_id = id_field()
    user_id = id_field()
    event = serializers.ChoiceField(choices=WebhookEvent.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    request = DeliveryRequestSerializer()
    response = DeliveryResponseSerializer(allow_null=True)
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = time_field()
    delivered_at = nullable_time_field()
