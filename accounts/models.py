"""The ``users`` collection: accounts with embedded settings, OAuth ids and usage."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel

from accounts import plans


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


class UserSettings(EmbeddedModel):
    timezone = models.CharField(max_length=64, default="UTC")
    email_notifications = models.BooleanField(default=True)
    weekly_digest = models.BooleanField(default=True)
    default_preset = models.CharField(max_length=64, default="standard")
    results_per_page = models.PositiveIntegerField(default=20)
    dashboard_layout = models.CharField(
        max_length=8, choices=DashboardLayout.choices, default=DashboardLayout.GRID
    )

    def clean(self):
        from zoneinfo import available_timezones

        if self.timezone not in available_timezones():
            raise ValidationError({"timezone": f"{self.timezone!r} is not an IANA time zone."})
        if not 5 <= self.results_per_page <= 200:
            raise ValidationError({"results_per_page": "Choose between 5 and 200 results per page."})


class OAuthIds(EmbeddedModel):
    # None, not "", for "not linked": the unique index only covers string values.
    google_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    github_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001


class Usage(EmbeddedModel):
    projects_count = models.PositiveIntegerField(default=0)
    scrapes_this_month = models.PositiveIntegerField(default=0)
    api_calls_this_month = models.PositiveIntegerField(default=0)
    last_reset_at = models.DateTimeField(null=True, blank=True)


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

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        self.settings.clean()
