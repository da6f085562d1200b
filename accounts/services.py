"""Account services shared by views, tasks and commands."""

import os
import secrets

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import Role, User


def first_admin_email() -> str:
    """The address :func:`ensure_first_admin` gives the first admin (``ADMIN_EMAIL``)."""
    return os.environ.get("ADMIN_EMAIL", "admin@localhost").strip().lower()


def ensure_first_admin() -> tuple[str, str | None] | None:
    """Create the first admin when there is none.

    Credentials come from ``ADMIN_EMAIL``/``ADMIN_PASSWORD``; a missing password
    is generated and returned so the caller can show it once. Returns None when
    an admin already exists.
    """
    if User.objects.filter(role=Role.ADMIN).exists():
        return None
    email = first_admin_email()
    password = os.environ.get("ADMIN_PASSWORD") or None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(16)
    user = User.objects.create_superuser(email=email, password=password)
    mark_email_verified(user)
    return email, generated


def mark_email_verified(user: User) -> None:
    """Record a verified primary address for both the schema and allauth."""
    user.email_verified = True
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified", "email_verified_at"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
