"""Alert emails: one per alert (the "immediate" setting) or one daily digest (``digest``).

Both are an HTML part with a plain-text alternative, rendered in the recipient's time zone.
Who may get them follows the other notification emails (:func:`notifications.emails.mailable`:
an active account with a verified address) plus the user's ``alert_email`` setting and the
rule's own email switch.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import AlertEmail, User
from notifications import emails, payloads
from notifications.alerts import message
from notifications.alerts.message import AlertMessage

SUBJECT_PREFIX = "[Sentimatrix Studio] "


def email_mode(alert: dict, rule: dict | None) -> tuple[str, str]:
    """How the alert's email goes: ``(AlertEmail value, "")``, or ``(AlertEmail.OFF, why)``."""
    if rule is None or not rule.get("email", True):
        return AlertEmail.OFF, "email is off for this rule"
    user = emails.mailable(alert["user_id"])
    if user is None:
        return AlertEmail.OFF, "the account cannot receive email (inactive or unverified)"
    mode = user.settings.alert_email
    if mode == AlertEmail.OFF:
        return AlertEmail.OFF, "alert emails are off in the user's settings"
    return mode, ""


def _send(user: User, subject: str, template: str, context: dict) -> None:
    zone = message.user_zone(user.pk)
    context = {
        "user": user,
        "settings_url": emails.absolute("accounts:settings", "/settings/"),
        "site_name": settings.SITE_NAME,
        **context,
    }
    with timezone.override(zone):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    mail = EmailMultiAlternatives(SUBJECT_PREFIX + subject, text, None, [user.email])
    mail.attach_alternative(html, "text/html")
    mail.send()


def send_alert(alert: dict) -> None:
    """Send one alert's email to its owner (the caller checked :func:`email_mode`)."""
    user = emails.mailable(alert["user_id"])
    if user is None:
        raise LookupError("the account can no longer receive email")
    said = message.build(alert)
    _send(user, f"Alert: {said.title}", "notifications/email/alert", {"alert": said})


def send_digest(user: User, alerts: list[dict]) -> None:
    """Send the user's daily digest of ``alerts`` (newest first)."""
    said: list[AlertMessage] = [message.build(alert) for alert in alerts]
    count = len(said)
    subject = f"{count} alert{'s' if count != 1 else ''} since your last digest"
    _send(
        user,
        subject,
        "notifications/email/alert_digest",
        {"alerts": said, "count": count, "alerts_url": payloads.alerts_url()},
    )
