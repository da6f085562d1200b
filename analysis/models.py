"""The ``results`` collection: what was collected (``content``) and what it means (``analysis``)."""

from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelArrayField, EmbeddedModelField

from projects.analysis_options import EmotionModel
from projects.platforms import Platform
from sentimatrix.validators import (
    SCORE_RANGE,
    UNIT_RANGE,
    ValidatedEmbeddedModel,
    ValidatedModel,
    validate_http_url,
)


class SentimentLabel(models.TextChoices):
    # Three-class projects use the middle three; five-class projects all five. Statistics
    # fold "very" labels into their three-class bucket (analysis.stats.bucket).
    VERY_POSITIVE = "very_positive", "Very positive"
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    VERY_NEGATIVE = "very_negative", "Very negative"


class AnalysisEngine(models.TextChoices):
    LOCAL = "local", "Local model"
    LLM = "llm", "LLM provider"
    LOCAL_FALLBACK = "local_fallback", "Local model (LLM unavailable)"


# --- content --------------------------------------------------------------------------


class Content(ValidatedEmbeddedModel):
    text = models.TextField(blank=True)
    title = models.CharField(max_length=1000, blank=True)
    author = models.CharField(max_length=255, blank=True)
    rating = models.FloatField(null=True, blank=True)
    date = models.DateTimeField(null=True, blank=True)  # when the author posted it
    url = models.CharField(max_length=2048, blank=True, validators=[validate_http_url])
    platform_id = models.CharField(max_length=255)  # unique per target (index in sentimatrix.dbindexes)
    parent_id = models.CharField(  # noqa: DJ001 - null marks a top-level item, "" is not an id
        max_length=255, null=True, blank=True, help_text="platform_id of the item this one replies to."
    )
    metadata = models.JSONField(default=dict, blank=True)  # votes, playtime, app version...


# --- analysis -------------------------------------------------------------------------


class SentimentScores(ValidatedEmbeddedModel):
    very_positive = models.FloatField(null=True, blank=True, validators=UNIT_RANGE)
    positive = models.FloatField(null=True, blank=True, validators=UNIT_RANGE)
    neutral = models.FloatField(null=True, blank=True, validators=UNIT_RANGE)
    negative = models.FloatField(null=True, blank=True, validators=UNIT_RANGE)
    very_negative = models.FloatField(null=True, blank=True, validators=UNIT_RANGE)


class Sentiment(ValidatedEmbeddedModel):
    label = models.CharField(max_length=16, choices=SentimentLabel.choices)
    score = models.FloatField(validators=SCORE_RANGE)
    confidence = models.FloatField(validators=UNIT_RANGE)
    scores = EmbeddedModelField(SentimentScores, null=True, blank=True)
    analyzed_at = models.DateTimeField(default=timezone.now)


class DetectedEmotion(ValidatedEmbeddedModel):
    emotion = models.CharField(max_length=32)
    score = models.FloatField(validators=UNIT_RANGE)


class Emotions(ValidatedEmbeddedModel):
    model = models.CharField(max_length=16, choices=EmotionModel.choices)
    primary = models.CharField(max_length=32)
    primary_score = models.FloatField(validators=UNIT_RANGE)
    detected = EmbeddedModelArrayField(DetectedEmotion, default=list, blank=True)
    analyzed_at = models.DateTimeField(default=timezone.now)


class Summary(ValidatedEmbeddedModel):
    text = models.TextField()
    key_points = ArrayField(models.TextField(), default=list, blank=True)
    generated_at = models.DateTimeField(default=timezone.now)


class Topic(ValidatedEmbeddedModel):
    topic = models.CharField(max_length=100)
    sentiment = models.FloatField(validators=SCORE_RANGE)


class Insights(ValidatedEmbeddedModel):
    pros = ArrayField(models.TextField(), default=list, blank=True)
    cons = ArrayField(models.TextField(), default=list, blank=True)
    topics = EmbeddedModelArrayField(Topic, default=list, blank=True)
    extracted_at = models.DateTimeField(default=timezone.now)


class Analysis(ValidatedEmbeddedModel):
    """Each part stays null until the project's analysis settings ask for it."""

    sentiment = EmbeddedModelField(Sentiment, null=True, blank=True)
    emotions = EmbeddedModelField(Emotions, null=True, blank=True)
    summary = EmbeddedModelField(Summary, null=True, blank=True)
    insights = EmbeddedModelField(Insights, null=True, blank=True)
    engine = models.CharField(max_length=16, choices=AnalysisEngine.choices, blank=True)
    # The language the local engine has no model for, when it left the result unanalysed
    # rather than guess ("" when it analysed it, or another engine did).
    unsupported_language = models.CharField(max_length=16, blank=True)


class ResultFlags(ValidatedEmbeddedModel):
    # The star rating says one thing and the text another (5 stars, angry words).
    rating_disagreement = models.BooleanField(default=False)


# --- results --------------------------------------------------------------------------


class Result(ValidatedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="results", db_index=False
    )
    target = models.ForeignKey(
        "projects.Target", on_delete=models.CASCADE, related_name="results", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Kept when old jobs are cleaned up; imported results have no job.
    scrape_job = models.ForeignKey(
        "scraping.ScrapeJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
        db_index=False,
    )
    content = EmbeddedModelField(Content)
    analysis = EmbeddedModelField(Analysis, default=Analysis)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    language = models.CharField(max_length=16, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    flags = EmbeddedModelField(ResultFlags, default=ResultFlags)
    # Triage: spam or off-topic items stay stored but leave statistics and exports.
    excluded = models.BooleanField(default=False)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "results"
        indexes = [
            models.Index(fields=["project", "-created_at"], name="results_project_created"),
            models.Index(fields=["target", "-created_at"], name="results_target_created"),
            models.Index(fields=["user"], name="results_user"),
            models.Index(fields=["scrape_job"], name="results_scrape_job"),
            models.Index(fields=["platform"], name="results_platform"),
        ]

    def __str__(self):
        text = (self.content.title or self.content.text) if self.content else ""
        return (text[:60] + "…") if len(text) > 60 else text


# --- saved views ------------------------------------------------------------------------


class SavedView(ValidatedModel):
    """A named set of the explorer's filters, sort, columns and page size, per project.

    ``query`` is the canonical query string the results store renders (validated through its
    parser when the view is saved, see :mod:`analysis.saved_views`), so applying a view is
    following a link, and the API's ``view=<id>`` reads the same parameters.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="saved_views", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=4000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "saved_views"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="saved_views_project_name_unique")
        ]

    def __str__(self):
        return self.name


# --- release markers --------------------------------------------------------------------


class ReleaseMarker(ValidatedModel):
    """A dated note on a project ("v1.2 patch", "price change"), drawn on its time charts and
    offered as the pivot of a before/after period comparison (:mod:`analysis.markers`).

    ``at`` is a UTC moment: the start of the UTC day for a marker of a whole day, the given
    time otherwise. Charts count days in UTC, so a marker sits on the UTC day of ``at``.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="release_markers", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    at = models.DateTimeField()
    whole_day = models.BooleanField(default=True)
    label = models.CharField(max_length=100)
    note = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "release_markers"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["project", "at"], name="release_markers_project_at")]

    def __str__(self):
        return self.label

    def clean(self):
        self.label = " ".join((self.label or "").split())
        if not self.label:
            raise ValidationError({"label": "Give the marker a label."})

    @property
    def day(self):
        """The UTC day the marker sits on in the charts."""
        moment = self.at if timezone.is_aware(self.at) else self.at.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date()
