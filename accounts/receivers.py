"""Audit entries for the sign-in events of Django and allauth."""

from allauth.account import signals as allauth_signals
from allauth.socialaccount import signals as social_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.utils import timezone

from accounts import audit
from accounts.adapters import link_oauth_id
from accounts.models import User


@receiver(auth_signals.user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record("auth.login", request=request, user=user)


@receiver(auth_signals.user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    login = (credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = User.objects.filter(email=login).first() if login else None
    # The attempted login is kept only when it names a real account (no list of typos).
    audit.record("auth.login_failed", request=request, user=user, success=False)


@receiver(auth_signals.user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", request=request, user=user)


@receiver(allauth_signals.password_changed)
def on_password_changed(sender, request, user, **kwargs):
    audit.record("auth.password_change", request=request, user=user)


@receiver(allauth_signals.password_reset)
def on_password_reset(sender, request, user, **kwargs):
    audit.record("auth.password_reset", request=request, user=user)


@receiver(allauth_signals.email_changed)
def on_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    new = to_email_address.email.lower()
    if user.email != new:
        user.email = new
        user.email_verified = to_email_address.verified
        user.email_verified_at = timezone.now() if to_email_address.verified else None
        user.save(update_fields=["email", "email_verified", "email_verified_at"])
    audit.record(
        "auth.email_change",
        request=request,
        user=user,
        old=from_email_address.email if from_email_address else "",
        new=new,
    )


@receiver(allauth_signals.email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs):
    audit.record("auth.email_confirmed", request=request, user=email_address.user, email=email_address.email)


@receiver(social_signals.social_account_added)
@receiver(social_signals.social_account_updated)
def on_social_account(sender, request, sociallogin, **kwargs):
    """A Google or GitHub account connected (by its signed-in owner): keep its id in users.oauth."""
    link_oauth_id(sociallogin.user, sociallogin.account.provider, sociallogin.account.uid)
