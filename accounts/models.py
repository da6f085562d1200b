"""The ``users`` collection: accounts with embedded settings, OAuth ids and usage."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import EmbeddedModelField

from accounts import plans
from sentimatrix.validators import (
    ValidatedEmbeddedModel,
    ValidatedModel,
    validate_http_url,
    validate_timezone,
)


class Role(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DELETED = "deleted", "Deleted"


class DashboardLayout(models.TextChoices):
    GRID = "grid", "Grid"
    LIST = "list", "List"


class AlertEmail(models.TextChoices):
    IMMEDIATE = "immediate", "As each alert happens"
    DIGEST = "digest", "One daily digest"
    OFF = "off", "No alert emails"


class UserSettings(ValidatedEmbeddedModel):
    timezone = models.CharField(max_length=64, default="UTC")
    email_notifications = models.BooleanField(default=True)
    weekly_digest = models.BooleanField(default=True)
    default_preset = models.CharField(max_length=64, default="standard")
    results_per_page = models.PositiveIntegerField(default=20)
    dashboard_layout = models.CharField(
        max_length=8, choices=DashboardLayout.choices, default=DashboardLayout.GRID
    )
    alert_email = models.CharField(max_length=10, choices=AlertEmail.choices, default=AlertEmail.IMMEDIATE)

    def clean(self):
        try:
            validate_timezone(self.timezone)
        except ValidationError as exc:
            raise ValidationError({"timezone": exc.messages}) from exc
        if not 5 <= self.results_per_page <= 200:
            raise ValidationError({"results_per_page": "Choose between 5 and 200 results per page."})


class OAuthIds(ValidatedEmbeddedModel):
    # None, not "", for "not linked": the unique index only covers string values.
    google_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    github_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001


class Usage(ValidatedEmbeddedModel):
    projects_count = models.PositiveIntegerField(default=0)
    scrapes_this_month = models.PositiveIntegerField(default=0)
    api_calls_this_month = models.PositiveIntegerField(default=0)
    # Set at sign-up so the first month counts; consume() resets when a new month starts.
    last_reset_at = models.DateTimeField(default=timezone.now, null=True, blank=True)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", Role.USER)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["role"] = Role.ADMIN
        extra.setdefault("email_verified", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser):
    """An analyst or an admin; the email address is the login."""

    email = models.EmailField(unique=True)
    # The specification names the stored hash ``password_hash``.
    password = models.CharField("password", max_length=128, db_column="password_hash")
    name = models.CharField(max_length=150, blank=True)
    company = models.CharField(max_length=150, blank=True)
    avatar_url = models.URLField(blank=True)
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.USER)
    plan = models.CharField(max_length=16, choices=plans.PLAN_CHOICES, default=plans.DEFAULT_PLAN)
    settings = EmbeddedModelField(UserSettings, default=UserSettings)
    oauth = EmbeddedModelField(OAuthIds, default=OAuthIds)
    usage = EmbeddedModelField(Usage, default=Usage)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    email_verified = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_login = models.DateTimeField("last login", null=True, blank=True, db_column="last_login_at")
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "users"
        indexes = [models.Index(fields=["-created_at"], name="users_created_at_desc")]

    def __str__(self):
        return self.email

    # Django's permission flags derive from the specification's role and status.
    @property
    def is_active(self):
        return self.status == Status.ACTIVE

    @property
    def is_staff(self):
        return self.role == Role.ADMIN

    @property
    def is_superuser(self):
        return self.role == Role.ADMIN

    def has_perm(self, perm, obj=None):
        return self.is_active and self.is_superuser

    def has_perms(self, perm_list, obj=None):
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label):
        return self.is_active and self.is_superuser

    def get_plan(self) -> plans.Plan:
        return plans.get_plan(self.plan)

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        self.settings.clean()


# --- api_keys -------------------------------------------------------------------------


class Provider(models.TextChoices):
    """Services whose keys the vault stores."""

    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    GROQ = "groq", "Groq"
    OPENROUTER = "openrouter", "OpenRouter"
    OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible endpoint"
    OLLAMA = "ollama", "Ollama"
    SCRAPERAPI = "scraperapi", "ScraperAPI"
    APIFY = "apify", "Apify"
    YOUTUBE = "youtube", "YouTube Data API"
    GOOGLE_PLACES = "google_places", "Google Places API"
    REDDIT = "reddit", "Reddit API"
    BLUESKY = "bluesky", "Bluesky app password"


LLM_PROVIDERS = frozenset(
    {
        Provider.OPENAI,
        Provider.ANTHROPIC,
        Provider.GROQ,
        Provider.OPENROUTER,
        Provider.OPENAI_COMPATIBLE,
        Provider.OLLAMA,
    }
)
SCRAPER_PROVIDERS = frozenset({Provider.SCRAPERAPI, Provider.APIFY})
# Providers that talk to a server the user names rather than a fixed one.
BASE_URL_PROVIDERS = frozenset({Provider.OPENAI_COMPATIBLE, Provider.OLLAMA})


class ApiKey(ValidatedModel):
    """A third-party API key, stored encrypted (AES-256-GCM: ciphertext, nonce and tag)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys", db_index=False)
    name = models.CharField(max_length=100)
    provider = models.CharField(max_length=32, choices=Provider.choices)
    encrypted_key = models.BinaryField()
    key_nonce = models.BinaryField()
    key_tag = models.BinaryField()
    # Which master key encrypted it, so keys can be rotated one record at a time.
    key_id = models.CharField(max_length=64)
    masked_key = models.CharField(max_length=64, blank=True)
    base_url = models.CharField(max_length=500, blank=True, validators=[validate_http_url])
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_validated_at = models.DateTimeField(null=True, blank=True)
    # None until the provider has been asked whether the key works.
    is_valid = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "api_keys"
        indexes = [
            models.Index(fields=["user"], name="api_keys_user"),
            models.Index(fields=["user", "provider"], name="api_keys_user_provider"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_provider_display()})"

    def clean(self):
        if self.provider == Provider.OPENAI_COMPATIBLE and not self.base_url:
            raise ValidationError({"base_url": "An OpenAI-compatible key needs the endpoint's base URL."})
        if self.base_url and self.provider not in BASE_URL_PROVIDERS:
            raise ValidationError({"base_url": "Only OpenAI-compatible and Ollama keys take a base URL."})


# --- audit_logs -----------------------------------------------------------------------


class AuditLog(models.Model):
    """One security-relevant event; expires after a year (TTL index in ``sentimatrix.dbindexes``)."""

    # Kept when the user is deleted: the trail outlives the account.
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_logs", db_index=False
    )
    event_type = models.CharField(max_length=64, help_text='Dotted name such as "auth.login".')
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    success = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "audit_logs"
        indexes = [
            models.Index(fields=["user", "-created_at"], name="audit_logs_user_created"),
            models.Index(fields=["event_type"], name="audit_logs_event_type"),
            models.Index(fields=["-created_at"], name="audit_logs_created_desc"),
        ]

    def __str__(self):
        return f"{self.event_type} {'ok' if self.success else 'failed'} {self.created_at:%Y-%m-%d %H:%M}"
