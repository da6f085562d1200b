"""The ``webhooks`` and ``webhook_deliveries`` collections (they kept their names when webhooks
moved here from the scraping app, so their data stayed where it was)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelField

from sentimatrix.validators import ValidatedEmbeddedModel, ValidatedModel, validate_http_url


class WebhookEvent(models.TextChoices):
    JOB_COMPLETED = "job.completed", "Job completed"
    JOB_FAILED = "job.failed", "Job failed"
    RESULTS_NEW = "results.new", "New results"
    # Sent by the "send test" button only; nobody subscribes to it.
    TEST = "test", "Test"


class DeliveryStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    PENDING = "pending", "Pending"


class LastDeliveryStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"


class WebhookStats(ValidatedEmbeddedModel):
    total_deliveries = models.PositiveIntegerField(default=0)
    successful_deliveries = models.PositiveIntegerField(default=0)
    failed_deliveries = models.PositiveIntegerField(default=0)
    last_delivery = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=8, choices=LastDeliveryStatus.choices, blank=True)


class Webhook(ValidatedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks", db_index=False
    )
    url = models.CharField(max_length=2048, validators=[validate_http_url])
    events = ArrayField(models.CharField(max_length=32, choices=WebhookEvent.choices), default=list)
    label = models.CharField(max_length=100, blank=True)
    # The HMAC signing secret, encrypted like API keys (AES-256-GCM); none: unsigned deliveries.
    secret_encrypted = models.BinaryField(null=True, blank=True)
    secret_nonce = models.BinaryField(null=True, blank=True)
    secret_tag = models.BinaryField(null=True, blank=True)
    secret_key_id = models.CharField(max_length=64, blank=True)
    enabled = models.BooleanField(default=True)
    stats = EmbeddedModelField(WebhookStats, default=WebhookStats)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "webhooks"
        indexes = [
            models.Index(fields=["user"], name="webhooks_user"),
            models.Index(fields=["enabled", "events"], name="webhooks_enabled_events"),
        ]

    def __str__(self):
        return self.label or self.url

    def clean(self):
        if len(set(self.events)) != len(self.events):
            raise ValidationError({"events": "List each event once."})


class DeliveryRequest(ValidatedEmbeddedModel):
    url = models.CharField(max_length=2048)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)  # the JSON payload as sent


class DeliveryResponse(ValidatedEmbeddedModel):
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    time_ms = models.PositiveIntegerField(null=True, blank=True)


class WebhookDelivery(ValidatedModel):
    """One delivery attempt series; expires after 7 days (TTL index in ``sentimatrix.dbindexes``)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    request = EmbeddedModelField(DeliveryRequest, default=DeliveryRequest)
    response = EmbeddedModelField(DeliveryResponse, null=True, blank=True)  # none until a server answers
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_deliveries"
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="deliveries_webhook_created"),
            models.Index(fields=["user"], name="deliveries_user"),
            models.Index(fields=["status"], name="deliveries_status"),
        ]

    def __str__(self):
        return f"{self.event} {self.status} {self.created_at:%Y-%m-%d %H:%M}"
