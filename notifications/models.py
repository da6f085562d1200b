"""The ``webhooks`` and ``webhook_deliveries`` collections (they kept their names when webhooks
moved here from the scraping app, so their data stayed where it was)."""

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import (
    ArrayField,
    EmbeddedModelArrayField,
    EmbeddedModelField,
    ObjectIdField,
)

from analysis.results_store.search import parse_query
from notifications.alerts.detection import DEFAULT_COOLDOWN_HOURS, DEFAULT_MIN_COUNT, DEFAULT_SIGNIFICANCE
from projects.models import Target
from projects.platforms import RESULT_PLATFORMS
from sentimatrix.validators import (
    DAY_OF_MONTH_RANGE,
    ValidatedEmbeddedModel,
    ValidatedModel,
    validate_http_url,
)


class WebhookEvent(models.TextChoices):
    JOB_COMPLETED = "job.completed", "Job completed"
    JOB_FAILED = "job.failed", "Job failed"
    RESULTS_NEW = "results.new", "New results"
    ALERT_TRIGGERED = "alert.triggered", "Alert triggered"
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
    # The attempt this document is for and whether a failure is retried (False: a manual send):
    # what the stalled-delivery sweep queues again when the task's broker message was lost.
    attempt_number = models.PositiveSmallIntegerField(default=1)
    retries = models.BooleanField(default=True)
    # When the attempt may start (a retry waits for its backoff) and when a worker claimed it:
    # the sweep's lease runs from these (``notifications.webhook_sweep``).
    due_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_deliveries"
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="deliveries_webhook_created"),
            models.Index(fields=["user"], name="deliveries_user"),
            models.Index(fields=["status"], name="deliveries_status"),
            # Pending deliveries only (those under way), by due time: the stalled-delivery
            # sweep reads this index alone.
            models.Index(
                fields=["due_at"],
                name="deliveries_pending",
                condition=models.Q(status=DeliveryStatus.PENDING),
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.status} {self.created_at:%Y-%m-%d %H:%M}"


class AlertKind(models.TextChoices):
    VOLUME_SPIKE = "volume_spike", "Volume spike"
    NEGATIVE_SHARE = "negative_share", "Negative share spike"
    SENTIMENT_DROP = "sentiment_drop", "Average sentiment drop"
    RATING_DROP = "rating_drop", "Rating drop"
    KEYWORD = "keyword", "Keyword or phrase"
    TOPIC = "topic", "Topic appears or grows"


class AlertPeriod(models.TextChoices):
    DAY = "day", "Day"
    HOUR = "hour", "Hour"


# Only arrivals are counted by the hour (volume, and a keyword's matches): shares and averages
# need a day's results to mean anything.
HOURLY_KINDS = (AlertKind.VOLUME_SPIKE, AlertKind.KEYWORD)
HOURLY_KINDS_ONLY = "Only volume spikes and keyword rules are watched hour by hour; choose Day."
# A rule's test level: stricter than one in a million never fires, looser than 1 in 10 cries wolf.
SIGNIFICANCE_MIN = 0.000001
SIGNIFICANCE_MAX = 0.1
# "Muted until I unmute": a date no window reaches, so detection needs no second field to read.
MUTED_FOR_GOOD = datetime(9999, 1, 1, tzinfo=UTC)


class AlertRule(ValidatedModel):
    """What to watch in one project, where, and how loudly (the ``alert_rules`` collection)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="alert_rules", db_index=False
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    period = models.CharField(max_length=4, choices=AlertPeriod.choices, default=AlertPeriod.DAY)
    # Scope: empty lists mean the whole project.
    target_ids = ArrayField(ObjectIdField(), default=list, blank=True)
    platforms = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    # Keyword rules: the explorer's search syntax; optionally only negative results.
    query = models.CharField(max_length=500, blank=True)
    only_negative = models.BooleanField(default=False)
    # Loudness: a window with fewer results than this never alerts; the test's level.
    min_count = models.PositiveIntegerField(default=DEFAULT_MIN_COUNT)
    significance = models.FloatField(default=DEFAULT_SIGNIFICANCE)
    cooldown_hours = models.PositiveIntegerField(default=DEFAULT_COOLDOWN_HOURS)
    # Channels (in-app is always on): email follows the user's alert-email setting.
    email = models.BooleanField(default=True)
    chat_webhook_urls = ArrayField(models.CharField(max_length=2048), default=list, blank=True)
    enabled = models.BooleanField(default=True)
    muted_until = models.DateTimeField(null=True, blank=True)
    last_triggered_at = models.DateTimeField(null=True, blank=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "alert_rules"
        indexes = [
            models.Index(fields=["project", "enabled"], name="alert_rules_project"),
            models.Index(fields=["user"], name="alert_rules_user"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # Whoever saves a rule (a page, the API, the admin), these hold; the forms explain them first.
        errors = {}
        if self.period == AlertPeriod.HOUR and self.kind not in HOURLY_KINDS:
            errors["period"] = HOURLY_KINDS_ONLY
        if self.kind == AlertKind.KEYWORD and not parse_query(self.query).terms:
            errors["query"] = "A keyword rule needs at least one word or phrase to look for."
        if not SIGNIFICANCE_MIN <= self.significance <= SIGNIFICANCE_MAX:
            errors["significance"] = f"Choose a significance from {SIGNIFICANCE_MIN} to {SIGNIFICANCE_MAX}."
        if self.min_count < 1:
            errors["min_count"] = "The minimum count is at least 1."
        if self.target_ids and self.project_id and _foreign(self.project_id, self.target_ids):
            errors["target_ids"] = "Choose targets of this rule's project."
        if unknown := [p for p in self.platforms if p not in dict(RESULT_PLATFORMS)]:
            errors["platforms"] = f"Unknown platforms: {', '.join(unknown)}."
        for url in self.chat_webhook_urls:
            try:
                validate_http_url(url)
            except ValidationError:
                errors["chat_webhook_urls"] = f"{url}: enter a valid http(s) URL."
        if errors:
            raise ValidationError(errors)

    @property
    def muted_for_good(self) -> bool:
        """Muted until someone unmutes it (rather than for a time)."""
        return self.muted_until is not None and self.muted_until.year >= MUTED_FOR_GOOD.year


def _foreign(project_id, target_ids) -> bool:
    """Whether any of ``target_ids`` is not a target of the project."""
    return Target.objects.filter(pk__in=target_ids, project_id=project_id).count() != len(set(target_ids))


class Alert(ValidatedModel):
    """One time a rule fired, with its evidence (the ``alerts`` collection)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    # Rule id and window: evaluating the same window twice finds this alert instead of a second.
    key = models.CharField(max_length=128, unique=True)
    title = models.CharField(max_length=300)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    baseline = models.FloatField()  # what was expected in the window
    observed = models.FloatField()
    statistic = models.FloatField(null=True, blank=True)  # the test's figure (z or ratio)
    p_value = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)  # counts, baseline days, test name ...
    result_ids = ArrayField(ObjectIdField(), default=list, blank=True)
    # Per channel: {"email": {"status": "sent", "attempts": 1, "error": ""}, ...}
    deliveries = models.JSONField(default=dict, blank=True)
    # Channels whose delivery is under way (claimed by a worker, or waiting for a retry): the
    # stalled-delivery sweep finds an attempt whose worker died through this list and its
    # partial index, without scanning every alert or querying the channel keys above.
    delivering = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "alerts"
        indexes = [
            models.Index(fields=["user", "-created_at"], name="alerts_user_created"),
            models.Index(fields=["project", "-created_at"], name="alerts_project_created"),
            models.Index(fields=["rule", "-created_at"], name="alerts_rule_created"),
            # The bell's unread count and the unread filter read this range only.
            models.Index(fields=["user", "read_at"], name="alerts_user_unread"),
            # Only alerts with a delivery under way are in it (a non-empty list is ``> []``).
            models.Index(
                fields=["delivering"], name="alerts_delivering", condition=models.Q(delivering__gt=[])
            ),
        ]

    def __str__(self):
        return self.title


class ReportFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly (last full week, Monday to Sunday)"
    MONTHLY = "monthly", "Monthly (last full month)"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


# A report goes to a short list of people, not to a mailing list.
MAX_REPORT_RECIPIENTS = 50


def normalise_addresses(addresses) -> list[str]:
    """Addresses as stored: trimmed, lower-cased, empty ones dropped (order kept)."""
    return [a.strip().lower() for a in addresses if a and a.strip()]


class RefusedRecipient(ValidatedEmbeddedModel):
    """A recipient the mail server refused for good (a 5xx answer) while a report was sent."""

    address = models.EmailField(max_length=254)
    reason = models.CharField(max_length=500, blank=True)


class ReportSchedule(ValidatedModel):
    """A weekly or monthly report of one project mailed to people who need no account (the
    ``report_schedules`` collection). The period and the send hour are in the project's time
    zone (:func:`notifications.reports.periods.zone_of`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="report_schedules", db_index=False
    )
    name = models.CharField(max_length=200)
    frequency = models.CharField(
        max_length=8, choices=ReportFrequency.choices, default=ReportFrequency.WEEKLY
    )
    # Weekly: the day it is sent, 0 = Monday (Python's weekday()); monthly: the day of the month.
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    day_of_month = models.PositiveSmallIntegerField(default=1, validators=DAY_OF_MONTH_RANGE)
    hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])
    recipients = ArrayField(models.EmailField(max_length=254), default=list)
    # Addresses that followed their unsubscribe link: kept so an edit cannot add them back silently.
    unsubscribed = ArrayField(models.EmailField(max_length=254), default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # The end (exclusive, UTC) of the last period done: every active recipient was sent it
    # (or refused it for good). A report is due while its period is not done.
    last_period_end = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The period being sent (its end) and its progress, written as each message goes: a retry,
    # or the run that takes over a dead worker's claim, mails only the rest.
    sending_period_end = models.DateTimeField(null=True, blank=True)
    sent_to = ArrayField(models.EmailField(max_length=254), default=list, blank=True)
    refused = EmbeddedModelArrayField(RefusedRecipient, default=list, blank=True)
    # Who is sending that period (a token of one task run) and since when: one sender at a time;
    # a claim older than the lease (notifications.leases.lease) was left by a
    # worker that died and may be taken over.
    claimed_by = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "report_schedules"
        indexes = [
            models.Index(fields=["enabled"], name="report_schedules_enabled"),
            models.Index(fields=["project"], name="report_schedules_project"),
            models.Index(fields=["user"], name="report_schedules_user"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # Addresses arrive trimmed and lower-cased (normalise_addresses): compared as such here.
        if not self.recipients:
            raise ValidationError({"recipients": "Add at least one recipient."})
        if len(self.recipients) > MAX_REPORT_RECIPIENTS:
            raise ValidationError({"recipients": f"A report goes to at most {MAX_REPORT_RECIPIENTS} people."})
        if len({a.lower() for a in self.recipients}) != len(self.recipients):
            raise ValidationError({"recipients": "List each address once."})

    def active_recipients(self) -> list[str]:
        """The recipients who have not unsubscribed."""
        gone = set(self.unsubscribed)
        return [address for address in self.recipients if address not in gone]

    def progress(self) -> dict | None:
        """How far the last period taken for sending got: ``sent`` of ``total`` recipients, the
        refusals, and whether the period is done. Done, the total is whom it went to (sent or
        refused); still going, the active recipients not reached yet count too. None before
        any period was taken."""
        if self.sending_period_end is None:
            return None
        refused = list(self.refused)
        reached = set(self.sent_to) | {r.address for r in refused}
        done = self.last_period_end is not None and self.last_period_end >= self.sending_period_end
        total = len(reached if done else reached | set(self.active_recipients()))
        return {"sent": len(self.sent_to), "total": total, "refused": refused, "done": done}
