"""allauth adapters: keep the specification's user fields in step with allauth."""

from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import lockout
from sentimatrix.security import client_ip

OAUTH_FIELDS = {"google": "google_id", "github": "github_id"}


@dataclass(frozen=True)
class SiteIdentity:
    """What allauth's emails call ``current_site``: the product's name and public domain."""

    name: str
    domain: str


def site_identity() -> SiteIdentity:
    """The product's name and domain from the settings (``SITE_NAME``, ``SITE_DOMAIN``)."""
    return SiteIdentity(settings.SITE_NAME, settings.SITE_DOMAIN)


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # allauth's rate limits key on this: the same address the audit log records.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's IP address.")
        return ip

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            wait = lockout.retry_after(request, "login_failed", key=key)
            if wait is None:  # the window moved on between allauth's check and this one
                raise
            raise ValidationError(
                f"Too many failed login attempts. Try again {lockout.in_minutes(wait)}.",
                code="too_many_login_attempts",
            ) from None

    def render_mail(self, template_prefix, email, context, headers=None):
        # Without the sites framework allauth names the site after the request's host
        # ("register an account on 127.0.0.1:8000"): emails name the product instead.
        context = {**context, "current_site": site_identity()}
        return super().render_mail(template_prefix, email, context, headers=headers)

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        user = email_address.user
        if email_address.email.lower() == user.email.lower() and not user.email_verified:
            user.email_verified = True
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified", "email_verified_at"])
        return confirmed


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        link_oauth_id(user, sociallogin.account.provider, sociallogin.account.uid)
        return user


def link_oauth_id(user, provider: str, uid: str) -> None:
    """Record the provider's account id in ``users.oauth``."""
    field = OAUTH_FIELDS.get(provider)
    if field and getattr(user.oauth, field) != str(uid):
        setattr(user.oauth, field, str(uid))
        user.save(update_fields=["oauth"])
