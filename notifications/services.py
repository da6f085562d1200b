"""Webhooks of a user: create, change, delete, test, redeliver, and emit events to them.

Views call these, and :func:`on_job_finished` hears closed jobs; delivery itself is in
:mod:`notifications.delivery`. URLs are checked on save (https, public address) and
again on every delivery. A signing secret is generated here (or given by the user in
the ``whsec_`` form), stored encrypted, and returned once to be shown once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import audit
from accounts.models import User
from notifications import delivery, payloads, signing, vault
from notifications.models import Webhook, WebhookDelivery, WebhookEvent
from scraping.models import JobStatus
from sentimatrix.mongo import collection

# The events a webhook can subscribe to (``test`` is only ever sent by the button).
SUBSCRIBABLE = [
    WebhookEvent.JOB_COMPLETED,
    WebhookEvent.JOB_FAILED,
    WebhookEvent.RESULTS_NEW,
    WebhookEvent.ALERT_TRIGGERED,
]


class SecretMode:
    """What to do with the signing secret when a webhook is saved."""

    KEEP = "keep"
    GENERATE = "generate"
    CUSTOM = "custom"
    NONE = "none"


@dataclass
class Saved:
    webhook: Webhook
    # The plaintext secret when this save created one: show it once, never again.
    new_secret: str | None = None


def validate_url(url: str) -> str:
    """The URL, stripped, or ``ValidationError`` (scheme, credentials, non-public host)."""
    url = (url or "").strip()
    delivery.check_url(url)
    return url


def _apply_secret(webhook: Webhook, mode: str, custom: str = "") -> str | None:
    if mode == SecretMode.KEEP:
        return None
    if mode == SecretMode.NONE:
        vault.seal_into(webhook, None)
        return None
    if mode == SecretMode.CUSTOM:
        try:
            signing.secret_key(custom)
        except signing.InvalidSecret as exc:
            raise ValidationError({"custom_secret": str(exc)}) from exc
        secret = custom.strip()
    else:
        secret = signing.generate_secret()
    vault.seal_into(webhook, secret)
    return secret


def _clean_events(events: Iterable[str]) -> list[str]:
    events = list(dict.fromkeys(events))
    unknown = [e for e in events if e not in SUBSCRIBABLE]
    if unknown:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    if not events:
        raise ValidationError({"events": "Choose at least one event."})
    return events


def _audit(event: str, webhook: Webhook, request: HttpRequest | None, **extra: Any) -> None:
    # The services record what they change, so a page and the API never log it differently.
    user = None if request is not None else webhook.user
    audit.record(event, request=request, user=user, webhook=str(webhook.pk), url=webhook.url, **extra)


def create_webhook(
    user: User, *, url: str, events: Iterable[str], label: str = "", enabled: bool = True, secret_mode: str = SecretMode.GENERATE,
    custom_secret: str = "", request: HttpRequest | None = None,
) -> Saved:  # fmt: skip
    """Save a new webhook for ``user``; ``Saved.new_secret`` is the secret to show once.
    Audit-logged (with the request's address when a request is given)."""
    webhook = Webhook(user=user, url=validate_url(url), events=_clean_events(events), label=label.strip())
    webhook.enabled = enabled
    webhook.pk = ObjectId()  # the secret's associated data names the webhook
    secret = _apply_secret(
        webhook, SecretMode.NONE if secret_mode == SecretMode.KEEP else secret_mode, custom_secret
    )
    webhook.full_clean(exclude=["user"])
    webhook.save(force_insert=True)
    _audit("webhook.create", webhook, request, events=webhook.events)
    return Saved(webhook, secret)


# Fields an edit writes: never ``stats`` or the failure streak, which workers $inc.
EDIT_FIELDS = ["url", "events", "label", "enabled", "disabled_reason", *vault.SECRET_FIELDS, "updated_at"]


def update_webhook(
    webhook: Webhook, *, url: str, events: Iterable[str], label: str = "", enabled: bool = True, secret_mode: str = SecretMode.KEEP,
    custom_secret: str = "", request: HttpRequest | None = None,
) -> Saved:  # fmt: skip
    """Change a webhook; enabling a disabled one clears its failure streak. Audit-logged."""
    reenabled = enabled and not webhook.enabled
    webhook.url = validate_url(url)
    webhook.events = _clean_events(events)
    webhook.label = label.strip()
    webhook.enabled = enabled
    secret = _apply_secret(webhook, secret_mode, custom_secret)
    webhook.full_clean(exclude=["user", "stats"])
    fields = list(EDIT_FIELDS)
    if reenabled:
        webhook.disabled_reason = ""
        webhook.consecutive_failures = 0
        fields.append("consecutive_failures")
    webhook.save(update_fields=fields)
    _audit("webhook.update", webhook, request, events=webhook.events)
    return Saved(webhook, secret)


def delete_webhook(webhook: Webhook, *, request: HttpRequest | None = None) -> None:
    """Delete the webhook and its delivery log. Audit-logged."""
    _audit("webhook.delete", webhook, request)
    collection("webhook_deliveries").delete_many({"webhook_id": webhook.pk})
    webhook.delete()


def webhooks_of(user: User) -> QuerySet[Webhook]:
    return Webhook.objects.filter(user=user).order_by("-created_at")


def deliveries_of(webhook: Webhook, limit: int = 100) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at")[:limit]


# --- sending ------------------------------------------------------------------------------


def send_test(webhook: Webhook) -> WebhookDelivery:
    """Queue one ``test`` delivery (sent even while the webhook is disabled; no retries)."""
    body = payloads.dumps(payloads.test_event(webhook))
    pending = delivery.prepare(webhook, WebhookEvent.TEST, body, retries=False)
    delivery.enqueue(pending)
    return pending


def redeliver(previous: WebhookDelivery) -> WebhookDelivery:
    """Send a logged delivery again: same event, body and ``webhook-id`` (receivers that
    already processed it can tell), a fresh timestamp and signature; one attempt."""
    message_id = (previous.request.headers or {}).get("webhook-id") if previous.request else None
    pending = delivery.prepare(
        previous.webhook, previous.event, previous.request.body, message_id, retries=False
    )
    delivery.enqueue(pending)
    return pending


def emit(user_id: ObjectId, event: str, payload: dict) -> int:
    """Queue ``payload`` to every enabled webhook of the user subscribed to ``event``."""
    body = None
    queued = 0
    for webhook in collection("webhooks").find(
        {"user_id": user_id, "enabled": True, "events": event}, {"_id": 1, "user_id": 1, "url": 1}
    ):
        body = body or payloads.dumps(payload)
        delivery.enqueue(delivery.prepare(webhook, event, body, retries=True))
        queued += 1
    return queued


def emit_job_events(job: dict) -> int:
    """The events of a closed job: ``job.completed`` or ``job.failed``, and ``results.new``
    when it stored new results. Returns the number of deliveries queued."""
    if not collection("webhooks").count_documents({"user_id": job["user_id"], "enabled": True}, limit=1):
        return 0
    project = collection("projects").find_one({"_id": job["project_id"]}, {"name": 1, "stats": 1})
    if project is None:
        return 0
    events = []
    if job["status"] == JobStatus.COMPLETED:
        events.append(WebhookEvent.JOB_COMPLETED)
    elif job["status"] == JobStatus.FAILED:
        events.append(WebhookEvent.JOB_FAILED)
    if int((job.get("stats") or {}).get("results_total") or 0) > 0:
        events.append(WebhookEvent.RESULTS_NEW)
    return sum(emit(job["user_id"], event, payloads.job_event(event, job, project)) for event in events)


def on_job_finished(sender: object, job: dict, **kwargs: object) -> None:
    """Receiver of ``scraping.signals.job_finished``: the closed job's events."""
    emit_job_events(job)
