"""allauth adapters: keep the specification's user fields in step with allauth."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.utils import timezone

OAUTH_FIELDS = {"google": "google_id", "github": "github_id"}


class AccountAdapter(DefaultAccountAdapter):
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
