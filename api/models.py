"""The ``api_tokens`` collection: personal access tokens for the REST API.

A token is shown to its owner once, when it is created. Only its SHA-256 hash is stored
(tokens carry 256 random bits, so a fast hash cannot be brute-forced), with its first
characters (``prefix``) in clear so the owner can tell tokens apart and the server can find
the one document to compare against.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField


class Scope(models.TextChoices):
    READ = "read", "Read: projects, targets, jobs, results, statistics, webhooks"
    WRITE = "write", "Write: create and change projects, targets and webhooks"
    JOBS = "jobs", "Jobs: start and cancel collection jobs"


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", db_index=False
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=8, choices=Scope.choices), default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "api_tokens"
        indexes = [models.Index(fields=["user", "-created_at"], name="api_tokens_user_created")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired()
