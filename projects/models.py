"""The ``projects``, ``targets``, ``schedules`` and ``presets`` collections.

A project's ``config`` (scrapers, LLM, analysis, schedule, limits) is one
embedded document shared by projects and user presets, so a preset can be
applied to a project and a project saved as a preset without translation.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.timezone import now
from django_mongodb_backend.fields import (
    ArrayField,
    EmbeddedModelArrayField,
    EmbeddedModelField,
    ObjectIdField,
)

from accounts.models import LLM_PROVIDERS, SCRAPER_PROVIDERS, Provider
from projects.analysis_options import DEFAULTS, EmotionModel, SentimentClasses
from projects.platforms import DetectedType, Platform
from sentimatrix.validators import (
    AT_LEAST_ONE,
    DAY_OF_MONTH_RANGE,
    DAY_OF_WEEK_RANGE,
    SCORE_RANGE,
    TEMPERATURE_RANGE,
    ValidatedEmbeddedModel,
    ValidatedModel,
    validate_hhmm,
    validate_http_url,
    validate_timezone,
)

# --- Enumerations ---------------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ERROR = "error", "Error"
    ARCHIVED = "archived", "Archived"


class PresetKey(models.TextChoices):
    """What a project was configured from; ``custom`` once edited or taken from a user preset."""

    STARTER = "starter", "Starter"
    STANDARD = "standard", "Standard"
    ADVANCED = "advanced", "Advanced"
    BUDGET = "budget", "Budget"
    ENTERPRISE = "enterprise", "Enterprise"
    CUSTOM = "custom", "Custom"


class Frequency(models.TextChoices):
    # ``monthly`` exists in the schedules collection; project configs mirror it.
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class TargetStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ERROR = "error", "Error"


LLM_PROVIDER_CHOICES = [(value, label) for value, label in Provider.choices if value in LLM_PROVIDERS]
SCRAPER_PROVIDER_CHOICES = [(value, label) for value, label in Provider.choices if value in SCRAPER_PROVIDERS]


# --- config (embedded in projects and presets) -----------------------------------------


class CommercialConfig(ValidatedEmbeddedModel):
    api_key_id = ObjectIdField(null=True, blank=True)  # api_keys
    render_js = models.BooleanField(default=False)
    country = models.CharField(max_length=8, blank=True)
    premium_proxy = models.BooleanField(default=False)


class ScrapersConfig(ValidatedEmbeddedModel):
    platforms = ArrayField(
        models.CharField(max_length=16, choices=Platform.choices), default=list, blank=True
    )
    commercial_provider = models.CharField(  # noqa: DJ001 - the specification's "no provider" is null
        max_length=16, choices=SCRAPER_PROVIDER_CHOICES, null=True, blank=True
    )
    commercial_config = EmbeddedModelField(CommercialConfig, default=CommercialConfig)


class LLMScope(models.TextChoices):
    ALL = "all", "Every result"
    UNSUPPORTED_LANGUAGES = "unsupported", "Only results in languages the local engine does not cover"


class LLMConfig(ValidatedEmbeddedModel):
    # Blank: analyse with the local engine only.
    provider = models.CharField(max_length=32, choices=LLM_PROVIDER_CHOICES, blank=True)
    model = models.CharField(max_length=128, blank=True)
    api_key_id = ObjectIdField(null=True, blank=True)  # api_keys
    temperature = models.FloatField(default=0.7, validators=TEMPERATURE_RANGE)
    max_tokens = models.PositiveIntegerField(default=1000, validators=AT_LEAST_ONE)
    # Which results the LLM analyses: all of them, or only those the local engine leaves
    # unanalysed because no local model covers their language.
    scope = models.CharField(max_length=16, choices=LLMScope.choices, default=LLMScope.ALL)

    def clean(self):
        if self.provider and not self.model:
            raise ValidationError({"model": "Choose the model the provider should run."})


class AnalysisConfig(ValidatedEmbeddedModel):
    """``config.analysis`` as stored: the settings of
    :class:`projects.analysis_options.AnalysisOptions`, with their defaults and choices
    (``AnalysisOptions.of`` reads one back). Django needs the fields declared, so their names
    are spelt here too; a test holds them to the options' own."""

    sentiment = models.BooleanField(default=DEFAULTS.sentiment)
    sentiment_classes = models.PositiveSmallIntegerField(
        choices=SentimentClasses.choices, default=DEFAULTS.sentiment_classes
    )
    emotions = models.BooleanField(default=DEFAULTS.emotions)
    emotion_model = models.CharField(
        max_length=16, choices=EmotionModel.choices, default=DEFAULTS.emotion_model
    )
    summarize = models.BooleanField(default=DEFAULTS.summarize)
    extract_insights = models.BooleanField(default=DEFAULTS.extract_insights)


class ScheduleConfig(ValidatedEmbeddedModel):
    enabled = models.BooleanField(default=False)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    time = models.CharField(max_length=5, default="06:00", validators=[validate_hhmm])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    days = ArrayField(
        models.PositiveSmallIntegerField(validators=DAY_OF_WEEK_RANGE),
        default=list,
        blank=True,
        help_text="Weekdays for weekly runs, 0 = Sunday (the schedules collection counts from Monday).",
    )
    next_run_at = models.DateTimeField(null=True, blank=True)

    def clean(self):
        if len(set(self.days)) != len(self.days):
            raise ValidationError({"days": "List each weekday once."})
        if self.enabled and self.frequency == Frequency.WEEKLY and not self.days:
            raise ValidationError({"days": "A weekly schedule needs at least one weekday."})


class LimitsConfig(ValidatedEmbeddedModel):
    max_reviews_per_target = models.PositiveIntegerField(default=100, validators=AT_LEAST_ONE)
    max_requests_per_day = models.PositiveIntegerField(default=500, validators=AT_LEAST_ONE)
    rate_limit_delay = models.FloatField(
        default=1.0, validators=[MinValueValidator(0)], help_text="Seconds between requests to one site."
    )
    llm_monthly_token_budget = models.PositiveBigIntegerField(
        default=2_000_000, help_text="LLM tokens this project may use per month."
    )


class ProjectConfig(ValidatedEmbeddedModel):
    scrapers = EmbeddedModelField(ScrapersConfig, default=ScrapersConfig)
    llm = EmbeddedModelField(LLMConfig, default=LLMConfig)
    analysis = EmbeddedModelField(AnalysisConfig, default=AnalysisConfig)
    schedule = EmbeddedModelField(ScheduleConfig, default=ScheduleConfig)
    limits = EmbeddedModelField(LimitsConfig, default=LimitsConfig)


# --- projects ---------------------------------------------------------------------------


class SentimentDistribution(ValidatedEmbeddedModel):
    positive = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)


class CounterStats(ValidatedEmbeddedModel):
    """Sums kept by ``analysis.stats`` with $inc; averages derive from them."""

    sentiment_count = models.PositiveIntegerField(default=0)
    sentiment_sum = models.FloatField(default=0.0)
    sentiment_distribution = EmbeddedModelField(SentimentDistribution, default=SentimentDistribution)
    avg_sentiment = models.FloatField(null=True, blank=True, validators=SCORE_RANGE)
    # Results (not excluded) left unanalysed because no local model covers their language.
    unsupported_language_count = models.PositiveIntegerField(default=0)

    class Meta(ValidatedEmbeddedModel.Meta):
        abstract = True


class ProjectStats(CounterStats):
    total_targets = models.PositiveIntegerField(default=0)
    total_results = models.PositiveIntegerField(default=0)
    total_scrapes = models.PositiveIntegerField(default=0)
    last_scrape_at = models.DateTimeField(null=True, blank=True)
    last_analysis_at = models.DateTimeField(null=True, blank=True)
    llm_month = models.CharField(max_length=7, blank=True, help_text="YYYY-MM the LLM counters belong to")
    llm_tokens_this_month = models.PositiveBigIntegerField(default=0)
    llm_cost_this_month = models.FloatField(default=0.0, help_text="USD")


class CounterProtectedSave:
    """ORM saves never overwrite counters that workers move with $inc.

    A plain ``save()`` of an existing document sets every field; for ``stats`` that
    would put back the values read earlier and lose concurrent increments. Such a
    save therefore leaves the protected fields out unless ``update_fields`` names them.
    """

    protected_fields = ("stats",)

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.protected_fields
            ]
        return super().save(*args, **kwargs)


class Project(CounterProtectedSave, ValidatedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects", db_index=False
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    preset = models.CharField(max_length=16, choices=PresetKey.choices, default=PresetKey.STANDARD)
    config = EmbeddedModelField(ProjectConfig, default=ProjectConfig)
    stats = EmbeddedModelField(ProjectStats, default=ProjectStats)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # The job holding the project's single running-job slot (set by scraping.jobs).
    running_job_id = ObjectIdField(null=True, blank=True, editable=False)
    # Why analysis stopped (e.g. the monthly LLM budget is used up); empty when all is well.
    analysis_notice = models.CharField(max_length=500, blank=True, editable=False)

    protected_fields = ("stats", "running_job_id", "analysis_notice")

    class Meta:
        db_table = "projects"
        indexes = [
            models.Index(fields=["user"], name="projects_user"),
            models.Index(fields=["user", "status"], name="projects_user_status"),
            models.Index(fields=["-created_at"], name="projects_created_desc"),
        ]

    def __str__(self):
        return self.name


# --- targets ----------------------------------------------------------------------------


class PlatformData(ValidatedEmbeddedModel):
    """Identifiers parsed from the target URL; only the platform's own are set."""

    asin = models.CharField(max_length=16, blank=True)  # Amazon
    app_id = models.BigIntegerField(null=True, blank=True)  # Steam, App Store
    video_id = models.CharField(max_length=32, blank=True)  # YouTube
    post_id = models.CharField(max_length=64, blank=True)  # Reddit, Hacker News
    place_id = models.CharField(max_length=255, blank=True)  # Google
    domain = models.CharField(max_length=255, blank=True)  # Trustpilot, web pages
    subreddit = models.CharField(max_length=64, blank=True)  # Reddit
    country = models.CharField(max_length=8, blank=True)  # Amazon, App Store
    tld = models.CharField(max_length=16, blank=True)  # Amazon
    cid = models.CharField(max_length=32, blank=True)  # Google (may exceed 64 bits)
    query = models.CharField(max_length=500, blank=True)  # Google, when no id is in the URL
    name = models.CharField(max_length=255, blank=True)  # Google place name from the URL
    feature_id = models.CharField(max_length=64, blank=True)  # Google
    item_id = models.BigIntegerField(null=True, blank=True)  # Hacker News
    feed_url = models.CharField(max_length=2048, blank=True)  # feeds
    page_url = models.CharField(max_length=2048, blank=True)  # web pages
    # CSS selectors of a web-page target: item, text, title, author, rating, date, next.
    selectors = models.JSONField(default=dict, blank=True)
    short_link = models.CharField(max_length=2048, blank=True)  # amzn.to, maps.app.goo.gl ...
    needs_resolution = models.BooleanField(default=False)
    file_path = models.CharField(max_length=500, blank=True)  # file import, under MEDIA_ROOT
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8, blank=True)  # csv, json, jsonl
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    package_id = models.CharField(max_length=255, blank=True)  # Google Play
    # Keyword monitors: the query is ``query``; these are the platforms searched and,
    # for Mastodon, the instances asked.
    search_platforms = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    instances = ArrayField(models.CharField(max_length=255), default=list, blank=True)


class TargetOptions(ValidatedEmbeddedModel):
    country = models.CharField(max_length=8, blank=True)
    language = models.CharField(max_length=32, blank=True)
    sort_by = models.CharField(max_length=32, blank=True)
    filter = models.JSONField(default=dict, blank=True)
    # At most this many results per collection of the target; none: the project's limit.
    max_results = models.PositiveIntegerField(null=True, blank=True, validators=AT_LEAST_ONE)


class TargetStats(CounterStats):
    results_count = models.PositiveIntegerField(default=0)
    last_scraped_at = models.DateTimeField(null=True, blank=True)
    last_result_date = models.DateTimeField(null=True, blank=True)
    # What the platform says exists, which may exceed what it lets anyone collect.
    available_total = models.PositiveIntegerField(null=True, blank=True)
    last_analysis_at = models.DateTimeField(null=True, blank=True)


class Target(CounterProtectedSave, ValidatedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Text, not URLField: imported files have no web address (see clean()).
    url = models.CharField(max_length=2048)
    # Normalised URL (tracking parameters stripped...): the same target twice is refused.
    canonical_url = models.CharField(max_length=2048, blank=True)
    # What the target is called everywhere (see ``display_label``): the user's name for it
    # when ``renamed``, else ``name``, else the id-based label given when it was added.
    label = models.CharField(max_length=200, blank=True)
    # The platform's name of the product, video or post: the link's slug until the first
    # collection fetches the real one (``name_fetched``).
    name = models.CharField(max_length=200, blank=True)
    name_fetched = models.BooleanField(default=False)
    # The user named the target: a fetched name never replaces theirs.
    renamed = models.BooleanField(default=False)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    detected_type = models.CharField(max_length=16, choices=DetectedType.choices, blank=True)
    platform_data = EmbeddedModelField(PlatformData, default=PlatformData)
    options = EmbeddedModelField(TargetOptions, default=TargetOptions)
    metadata = models.JSONField(default=dict, blank=True)
    stats = EmbeddedModelField(TargetStats, default=TargetStats)
    status = models.CharField(max_length=8, choices=TargetStatus.choices, default=TargetStatus.ACTIVE)
    error_message = models.TextField(blank=True)
    # A platform limit the analyst should know about, e.g. a cap on reachable reviews.
    caveat = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "targets"
        indexes = [
            models.Index(fields=["project"], name="targets_project"),
            models.Index(fields=["project", "status"], name="targets_project_status"),
            models.Index(fields=["user"], name="targets_user"),
            models.Index(fields=["url"], name="targets_url"),
            models.Index(fields=["project", "platform"], name="targets_project_platform"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "canonical_url"],
                name="targets_project_canonical_url_unique",
                condition=models.Q(canonical_url__gt=""),
            )
        ]

    def __str__(self):
        return self.display_label

    @property
    def display_label(self) -> str:
        """The one label of the target on every page, export and message."""
        return self.label or self.name or self.url

    def rename(self, label: str, fallback: str = "") -> None:
        """The user's name for the target; an empty one returns to the platform's name
        (or ``fallback``, the id-based label, when the platform has none yet)."""
        label = (label or "").strip()[:200]
        self.renamed = bool(label)
        self.label = label or self.name or fallback or self.label

    def clean(self):
        # A file has no web address and a keyword monitor's "address" is its query.
        if self.platform not in (Platform.FILE, Platform.KEYWORD):
            try:
                validate_http_url(self.url)
            except ValidationError as exc:
                raise ValidationError({"url": exc.messages}) from exc
        if self.project_id and self.user_id and self.project.user_id != self.user_id:
            raise ValidationError({"user": "A target belongs to the owner of its project."})


# --- schedules --------------------------------------------------------------------------


class RunStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # The previous job was still running when the schedule fired.
    SKIPPED = "skipped", "Skipped"


class RunHistoryEntry(ValidatedEmbeddedModel):
    # The job the run started (or, when skipped, the job still running); none when refused.
    job_id = ObjectIdField(null=True, blank=True)  # scrape_jobs
    started_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RunStatus.choices)
    results_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True, help_text="Why a run was skipped or refused.")


class Schedule(ValidatedModel):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="schedule")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    time = models.CharField(
        max_length=5,
        default="06:00",
        validators=[validate_hhmm],
        help_text="HH:MM; the minute for hourly runs.",
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    day_of_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=DAY_OF_WEEK_RANGE, help_text="Weekly runs: 0 = Monday."
    )
    day_of_month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=DAY_OF_MONTH_RANGE, help_text="Monthly runs: 1 to 28."
    )
    enabled = models.BooleanField(default=True)
    next_run = models.DateTimeField(null=True, blank=True)
    last_run = models.DateTimeField(null=True, blank=True)
    run_history = EmbeddedModelArrayField(RunHistoryEntry, default=list, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "schedules"
        indexes = [
            models.Index(fields=["user"], name="schedules_user"),
            models.Index(fields=["enabled", "next_run"], name="schedules_enabled_next_run"),
        ]

    def __str__(self):
        return f"{self.project} {self.get_frequency_display().lower()} at {self.time} {self.timezone}"

    def clean(self):
        if self.frequency == Frequency.WEEKLY and self.day_of_week is None:
            raise ValidationError({"day_of_week": "A weekly schedule needs a day of the week."})
        if self.frequency == Frequency.MONTHLY and self.day_of_month is None:
            raise ValidationError({"day_of_month": "A monthly schedule needs a day of the month."})


# --- presets ----------------------------------------------------------------------------


class Preset(ValidatedModel):
    """A user's own named project configuration (system presets live in ``projects.presets``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presets", db_index=False
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    config = EmbeddedModelField(ProjectConfig, default=ProjectConfig)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "presets"
        indexes = [
            models.Index(fields=["user"], name="presets_user"),
            models.Index(fields=["-created_at"], name="presets_created_desc"),
        ]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="presets_user_name_unique")]

    def __str__(self):
        return self.name
