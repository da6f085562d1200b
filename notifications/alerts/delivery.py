"""Delivering an alert: one task per channel, so one failing channel never blocks the others.

``notifications.deliver_alert`` (sent by detection, by name, after it stores an alert) reads the
alert and its rule and queues one ``notifications.deliver_alert_channel`` task per channel:

- ``email``: when the rule mails and the owner's ``alert_email`` is ``immediate``; with
  ``digest`` the alert is marked ``digest`` and waits for the daily digest
  (:mod:`notifications.alerts.digest`); otherwise it is marked ``skipped`` with the reason;
- ``chat-<hash>``: one per incoming-webhook URL of the rule (:mod:`notifications.alerts.chat`);
- ``webhooks``: the owner's signed webhooks subscribed to ``alert.triggered``, through the
  existing machinery (:func:`notifications.services.emit`), which signs, guards, retries and
  logs each delivery on its own.

Each channel's outcome lives in ``alert.deliveries[channel]``: ``status`` (``sending``, ``sent``,
``retrying``, ``failed``; ``digest``/``skipped`` for mail that does not go now), ``attempts``,
``error`` and times, written with single-document ``$set`` updates. An attempt first claims its
number in one conditional update (the channel not yet sent, no attempt of that number or later
made), so a task run twice, or the whole delivery run twice, sends once. Failed attempts are
retried with the webhooks' policy (:func:`notifications.delivery.retry_delay`,
``WEBHOOKS_MAX_ATTEMPTS``); an answer that no retry can change (a 4xx other than 408 and 429, a
URL removed from the rule) fails at once.

A worker killed mid-attempt (the OOM killer) loses nothing: the claim writes ``claimed_at`` and
adds the channel to the alert's ``delivering`` list, which only the attempt's final outcome
(sent, failed, skipped) takes it off, and the stalled-delivery sweep
(:mod:`notifications.alerts.stalled`) queues the next attempt of a claim older than its lease.
Delivery is therefore at least once: a send that succeeded on a worker that died before
recording it is sent again by the next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bson import ObjectId
from celery import shared_task
from django.conf import settings
from django.utils import timezone
from pymongo import ReturnDocument

from accounts.models import AlertEmail
from notifications import delivery, payloads, services
from notifications.alerts import chat, mail, message
from notifications.models import WebhookEvent
from sentimatrix.http import parse_retry_after
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

EMAIL = "email"
# The alert's list of channels whose delivery is under way (see the module's docstring).
DELIVERING = "delivering"
WEBHOOKS = "webhooks"
CHAT_PREFIX = "chat-"
MAX_ERROR = 500
# 4xx answers a retry may change: a timeout and "too many requests".
RETRYABLE_CLIENT_ERRORS = (408, 429)


class Status:
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    DIGEST = "digest"  # waits for the owner's daily digest
    SKIPPED = "skipped"  # not sent, on purpose (settings, rule), with the reason


@dataclass
class Sent:
    """What one send did: ``ok``, or the error and whether a retry could help."""

    ok: bool
    error: str = ""
    final: bool = False
    retry_after: float | None = None
    status: str = ""  # overrides sent/failed (``skipped``)
    extra: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """What :func:`attempt` did; ``delay`` is set when the next attempt is due after it."""

    status: str
    delay: float | None = None


# --- fan-out ------------------------------------------------------------------------------


def rule_of(alert: dict) -> dict | None:
    return collection("alert_rules").find_one(
        {"_id": alert["rule_id"]}, {"name": 1, "email": 1, "chat_webhook_urls": 1}
    )


def channels(alert_id: ObjectId) -> list[str]:
    """Mark mail that does not go now, and return the channels to send the alert to."""
    alert = collection("alerts").find_one({"_id": alert_id})
    rule = rule_of(alert) if alert is not None else None
    if alert is None or rule is None:
        return []
    wanted = []
    mode, why = mail.email_mode(alert, rule)
    if mode == AlertEmail.IMMEDIATE:
        wanted.append(EMAIL)
    elif mode == AlertEmail.DIGEST:
        _mark_once(alert_id, EMAIL, Status.DIGEST, "")
    else:
        _mark_once(alert_id, EMAIL, Status.SKIPPED, why)
    wanted += [chat.channel_key(url) for url in dict.fromkeys(rule.get("chat_webhook_urls") or [])]
    if collection("webhooks").count_documents(
        {"user_id": alert["user_id"], "enabled": True, "events": WebhookEvent.ALERT_TRIGGERED}, limit=1
    ):
        wanted.append(WEBHOOKS)
    return wanted


def _mark_once(alert_id: ObjectId, channel: str, status: str, error: str) -> None:
    collection("alerts").update_one(
        {"_id": alert_id, f"deliveries.{channel}": {"$exists": False}},
        {"$set": {f"deliveries.{channel}": {"status": status, "attempts": 0, "error": error}}},
    )


@shared_task(name="notifications.deliver_alert", acks_late=True)
def deliver_alert(alert_id: str) -> list[str]:
    """Queue one delivery task per channel of the alert; returns the channels queued."""
    queued = channels(ObjectId(alert_id))
    for channel in queued:
        deliver_alert_channel.delay(alert_id, channel, 1)
    return queued


@shared_task(name="notifications.deliver_alert_channel", acks_late=True)
def deliver_alert_channel(alert_id: str, channel: str, attempt_number: int = 1) -> str:
    """Send one attempt to one channel; a failed one with attempts left queues the next."""
    outcome = attempt(ObjectId(alert_id), channel, attempt_number)
    if outcome.delay is not None:
        deliver_alert_channel.apply_async((alert_id, channel, attempt_number + 1), countdown=outcome.delay)
    return outcome.status


# --- one attempt ----------------------------------------------------------------------------


def _claim(alert_id: ObjectId, channel: str, attempt_number: int) -> dict | None:
    prefix = f"deliveries.{channel}"
    return collection("alerts").find_one_and_update(
        {
            "_id": alert_id,
            f"{prefix}.status": {"$nin": [Status.SENT, Status.DIGEST, Status.SKIPPED]},
            "$or": [
                {f"{prefix}.attempts": {"$exists": False}},
                {f"{prefix}.attempts": {"$lt": attempt_number}},
            ],
        },
        {
            "$set": {
                f"{prefix}.status": Status.SENDING,
                f"{prefix}.attempts": attempt_number,
                # The lease starts here: a claim this old with nothing recorded lost its worker.
                f"{prefix}.claimed_at": payloads.iso(timezone.now()),
            },
            "$addToSet": {DELIVERING: channel},
        },
        return_document=ReturnDocument.AFTER,
    )


def _record(alert_id: ObjectId, channel: str, values: dict, done: bool = True) -> None:
    """Write an attempt's outcome; ``done`` (no attempt follows) takes the channel off ``delivering``."""
    update: dict = {"$set": {f"deliveries.{channel}.{name}": value for name, value in values.items()}}
    if done:
        update["$pull"] = {DELIVERING: channel}
    collection("alerts").update_one({"_id": alert_id}, update)


def attempt(alert_id: ObjectId, channel: str, attempt_number: int = 1) -> Outcome:
    """Make attempt ``attempt_number`` on ``channel``; safe to call twice (the second does nothing)."""
    alert = _claim(alert_id, channel, attempt_number)
    if alert is None:
        return Outcome("skipped")
    try:
        sent = sender(channel)(alert, channel)
    except Exception as exc:  # a broken mail server or template: recorded and retried, never lost
        logger.exception("alert %s: delivery to %s failed", alert_id, channel)
        sent = Sent(False, f"{type(exc).__name__}: {exc}")
    now = timezone.now()
    # ``deliveries`` is a JSON field: times are ISO strings there, as in webhook payloads.
    values = {"error": sent.error[:MAX_ERROR], "updated_at": payloads.iso(now), **sent.extra}
    if sent.ok:
        _record(alert_id, channel, {**values, "status": Status.SENT, "sent_at": payloads.iso(now)})
        return Outcome(Status.SENT)
    if sent.final or attempt_number >= settings.WEBHOOKS_MAX_ATTEMPTS:
        _record(alert_id, channel, {**values, "status": sent.status or Status.FAILED})
        return Outcome(sent.status or Status.FAILED)
    delay = delivery.retry_delay(attempt_number, sent.retry_after)
    _record(
        alert_id,
        channel,
        {
            **values,
            "status": Status.RETRYING,
            "next_attempt_at": payloads.iso(now + timedelta(seconds=delay)),
        },
        done=False,  # the retry's message may die with its worker too: the sweep watches it
    )
    return Outcome(Status.RETRYING, delay)


def sender(channel: str) -> Callable[[dict, str], Sent]:
    if channel == EMAIL:
        return send_email
    if channel == WEBHOOKS:
        return send_webhooks
    if channel.startswith(CHAT_PREFIX):
        return send_chat
    raise ValueError(f"unknown alert channel {channel!r}")


# --- the channels ---------------------------------------------------------------------------


def send_email(alert: dict, channel: str) -> Sent:
    """The immediate alert email (settings are read again: they may have changed since)."""
    mode, why = mail.email_mode(alert, rule_of(alert))
    if mode != AlertEmail.IMMEDIATE:
        return Sent(False, why or f"alert emails go in the {mode}", final=True, status=Status.SKIPPED)
    mail.send_alert(alert)
    return Sent(True)


def send_webhooks(alert: dict, channel: str) -> Sent:
    """Queue ``alert.triggered`` to the owner's subscribed webhooks (their own log and retries)."""
    project = collection("projects").find_one({"_id": alert["project_id"]}, {"name": 1})
    rule = rule_of(alert)
    if project is None or rule is None:
        return Sent(False, "the project or rule was deleted", final=True, status=Status.SKIPPED)
    queued = services.emit(
        alert["user_id"], WebhookEvent.ALERT_TRIGGERED, payloads.alert_event(alert, project, rule)
    )
    return Sent(True, extra={"webhooks": queued})


def chat_url(alert: dict, channel: str) -> str | None:
    """The rule's chat URL behind ``channel`` (None once removed from the rule)."""
    rule = rule_of(alert) or {}
    return next(
        (url for url in rule.get("chat_webhook_urls") or [] if chat.channel_key(url) == channel), None
    )


def send_chat(alert: dict, channel: str) -> Sent:
    """Post the alert's message to a chat incoming webhook, through the webhooks' guarded POST."""
    url = chat_url(alert, channel)
    if url is None:
        return Sent(False, "the URL was removed from the rule", final=True, status=Status.SKIPPED)
    body = payloads.dumps(chat.payload(url, message.build(alert)))
    headers = {"Content-Type": "application/json", "User-Agent": settings.WEBHOOKS_USER_AGENT}
    answer = delivery.post(url, body, headers)
    extra = {"service": chat.channel_label(url), "http_status": answer.status_code}
    if answer.ok:
        return Sent(True, extra=extra)
    code = answer.status_code
    retry_after = None
    if code in delivery.RETRY_AFTER_STATUSES:
        retry_after = parse_retry_after(answer.headers.get("retry-after"))
    final = code is not None and 400 <= code < 500 and code not in RETRYABLE_CLIENT_ERRORS
    error = answer.error or f"HTTP {code}: {answer.body[:200]}".rstrip(": ")
    return Sent(False, error, final=final, retry_after=retry_after, extra=extra)
