"""A user's own data: export it all as one JSON document, or erase it all.

Both work collection by collection on ``user_id`` (denormalised on every
document of the specification), so neither walks Django's deletion collector
over hundreds of thousands of results.
"""

from __future__ import annotations

from collections.abc import Iterator

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from bson import json_util
from django.utils import timezone

from accounts.models import Status, User
from accounts.signals import user_erasing
from sentimatrix.mongo import collection

# Order matters for erasure: children before parents, so a crash half-way
# never leaves a result whose project is gone while the project still lists it.
OWNED_COLLECTIONS = (
    "saved_views",
    "release_markers",
    "alerts",
    "alert_rules",
    "report_schedules",
    "results",
    "scrape_jobs",
    "targets",
    "schedules",
    "projects",
    "presets",
    "webhook_deliveries",
    "webhooks",
    "api_keys",
    "api_tokens",
)
EXPORTED = (
    "projects",
    "targets",
    "presets",
    "schedules",
    "scrape_jobs",
    "webhooks",
    "results",
    "saved_views",
    "release_markers",
    "alert_rules",
    "alerts",
    "report_schedules",
)
# What the "Your data" page calls each exported collection (its key is the export file's).
EXPORT_LABELS = {
    "projects": "Projects",
    "targets": "Targets",
    "presets": "Presets",
    "schedules": "Schedules",
    "scrape_jobs": "Scrape jobs",
    "webhooks": "Webhooks",
    "results": "Results",
    "saved_views": "Saved views",
    "release_markers": "Release markers",
    "alert_rules": "Alert rules",
    "alerts": "Alerts",
    "report_schedules": "Scheduled reports",
}
# Secrets never leave the server, not even to their owner.
SECRET_FIELDS = {
    "webhooks": {"secret", "secret_encrypted", "secret_nonce", "secret_tag"},
}
USER_FIELDS = ("email", "name", "company", "avatar_url", "plan", "settings", "usage", "created_at")
JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED)


def _dump(doc: dict) -> str:
    return json_util.dumps(doc, json_options=JSON_OPTIONS)


def export_user_data(user: User, batch_size: int = 500) -> Iterator[str]:
    """Yield one JSON document in chunks: profile, settings and every owned collection."""
    profile = collection("users").find_one({"_id": user.pk}, {field: 1 for field in USER_FIELDS})
    header = {"format": "sentimatrix-export/1", "exported_at": timezone.now(), "user": profile}
    yield _dump(header)[:-1]  # keep the object open
    for name in EXPORTED:
        yield f', "{name}": ['
        projection = {field: 0 for field in SECRET_FIELDS.get(name, ())} or None
        cursor = collection(name).find({"user_id": user.pk}, projection, batch_size=batch_size).sort("_id", 1)
        for index, doc in enumerate(cursor):
            yield ("," if index else "") + _dump(doc)
        yield "]"
    yield "}"


def export_filename(user: User) -> str:
    return f"sentimatrix-export-{timezone.now():%Y%m%d}.json"


def erase_user(user: User) -> dict[str, int]:
    """Delete everything the user owns and mark the account deleted (soft).

    The address stays reserved until ``cleanup`` purges accounts deleted longer
    ago than the grace period; signing in is impossible from now on.
    """
    user_erasing.send(sender=User, user=user)  # schedules leave beat's own tables
    for project in collection("projects").find({"user_id": user.pk}, {"_id": 1}):
        # Collections keyed by project rather than user.
        for name in ("daily_stats", "hourly_stats", "project_insights", "analysis_runs"):
            collection(name).delete_many({"project_id": project["_id"]})
    removed = {
        name: collection(name).delete_many({"user_id": user.pk}).deleted_count for name in OWNED_COLLECTIONS
    }
    SocialAccount.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    user.status = Status.DELETED
    user.deleted_at = timezone.now()
    user.name = user.company = user.avatar_url = ""
    user.set_unusable_password()
    user.save(update_fields=["status", "deleted_at", "name", "company", "avatar_url", "password"])
    return removed


def export_size_hint(user: User) -> dict[str, int]:
    """How many documents an export holds, per collection's readable name (shown before downloading)."""
    return {EXPORT_LABELS[name]: collection(name).count_documents({"user_id": user.pk}) for name in EXPORTED}
