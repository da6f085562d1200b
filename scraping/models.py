"""The ``scrape_jobs`` collection."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import (
    EmbeddedModelArrayField,
    EmbeddedModelField,
    ObjectIdField,
)

from scraping.job_progress import job_percent
from sentimatrix.validators import (
    PERCENT_RANGE,
    ValidatedEmbeddedModel,
    ValidatedModel,
)

# --- scrape_jobs ------------------------------------------------------------------------


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobTrigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCHEDULED = "scheduled", "Scheduled"
    API = "api", "API"


class JobTarget(ValidatedEmbeddedModel):
    """One target's part of a job; workers update it in place with positional ``$set``."""

    target_id = ObjectIdField()  # targets
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=PERCENT_RANGE)
    results_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Written while a worker runs the target; a stale heartbeat means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    available_total = models.PositiveIntegerField(null=True, blank=True)  # as the platform reports it
    # Stopped early (limit, cancellation, platform cap) with what was collected kept.
    partial = models.BooleanField(default=False)
    requests_made = models.PositiveIntegerField(default=0)
    # A keyword monitor's run, per platform: what was searched, found, kept new, and its error.
    coverage = models.JSONField(null=True, blank=True)  # none for other targets


class JobOptions(ValidatedEmbeddedModel):
    max_results = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per target; empty: project limit."
    )
    include_replies = models.BooleanField(default=False)
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)

    def clean(self):
        if self.max_results == 0:
            raise ValidationError({"max_results": "Collect at least one result per target."})
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationError({"date_to": "The end date is before the start date."})


class JobStats(ValidatedEmbeddedModel):
    targets_total = models.PositiveIntegerField(default=0)
    targets_completed = models.PositiveIntegerField(default=0)
    results_total = models.PositiveIntegerField(default=0)
    requests_made = models.PositiveIntegerField(default=0)
    errors_count = models.PositiveIntegerField(default=0)


class LLMUsage(ValidatedEmbeddedModel):
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.FloatField(default=0.0)


class ScrapeJob(ValidatedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="scrape_jobs", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=PERCENT_RANGE)
    targets = EmbeddedModelArrayField(JobTarget, default=list, blank=True)
    options = EmbeddedModelField(JobOptions, default=JobOptions)
    stats = EmbeddedModelField(JobStats, default=JobStats)
    trigger = models.CharField(max_length=10, choices=JobTrigger.choices, default=JobTrigger.MANUAL)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_column="triggered_by",
        db_index=False,
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    partial = models.BooleanField(default=False)
    llm_usage = EmbeddedModelField(LLMUsage, default=LLMUsage)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "scrape_jobs"
        indexes = [
            models.Index(fields=["project", "-created_at"], name="scrape_jobs_project_created"),
            models.Index(fields=["status"], name="scrape_jobs_status"),
            models.Index(fields=["user"], name="scrape_jobs_user"),
            models.Index(fields=["-created_at"], name="scrape_jobs_created_desc"),
        ]

    def __str__(self):
        return f"{self.project_id} {self.status} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def overall_progress(self) -> int:
        """Percent done, as every page and the API show it (see
        :func:`scraping.job_progress.job_percent`)."""
        return job_percent(self.is_finished, ((t.status, t.progress) for t in self.targets), self.progress)
