"""Sending webhook deliveries: one signed POST per attempt, logged, counted, retried.

Each attempt is one ``webhook_deliveries`` document: created ``pending`` (attempts 0)
when queued, with its attempt number, whether failures are retried and the time it is due
(a retry's backoff ends); claimed by the worker that sends it (attempts set to the attempt
number and ``claimed_at`` to the time, in one conditional update, so a task run twice sends
once), then completed with the request as sent, the answer (status, headers, a truncated
body, time) and any error. Documents expire after 7 days (TTL index).

A worker killed between the claim and the record, or a queued message lost with a worker
(the broker hands a message over when a worker fetches it; a retry waits in the worker's
memory for its countdown), leaves the document ``pending``: the stalled-delivery sweep
(:mod:`notifications.webhook_sweep`) sends it on once its lease ran out.

Rules:

- only a 2xx answer is a success; redirects are never followed (a 3xx is a failure);
- 410 Gone disables the webhook at once; 429 (and 503) with ``Retry-After`` delay the
  next attempt at least that long (capped by ``WEBHOOKS_MAX_RETRY_AFTER``);
- automatic deliveries get ``WEBHOOKS_MAX_ATTEMPTS`` attempts, spaced by exponential
  backoff with jitter (:func:`retry_delay`); every attempt of one message carries the
  same ``webhook-id`` and a fresh ``webhook-timestamp`` and signature;
- ``WEBHOOKS_DISABLE_AFTER`` failed attempts in a row disable the webhook (any success
  resets the count) and tell its owner;
- the host is resolved and checked (``sentimatrix.netguard``) on every attempt and the
  connection goes to the address that was checked (``netguard.pinned_pool``, the same
  mechanism as the collectors' client), so a DNS answer that changes after the check
  (rebinding) cannot point a delivery into the private network;
- 10 s timeout (``WEBHOOKS_TIMEOUT``) for the whole exchange.

The task that sends an attempt (``webhooks.deliver``, on the ``webhooks`` queue) lives here with
the code it runs, so queueing a delivery imports no tasks module.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import SplitResult, urlsplit

import urllib3
from bson import ObjectId
from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from pymongo import ReturnDocument
from urllib3.response import BaseHTTPResponse

from notifications import emails, signing, vault
from notifications.models import DeliveryRequest, DeliveryStatus, Webhook, WebhookDelivery
from sentimatrix import crypto, netguard
from sentimatrix.http import parse_retry_after
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = (429, 503)
GONE = 410
JITTER = (0.8, 1.2)
MAX_LOGGED_HEADERS = 40
MAX_HEADER_VALUE = 500


# --- URL safety ---------------------------------------------------------------------------


def http_allowed() -> bool:
    """Plain http endpoints are accepted in development and where explicitly allowed."""
    return bool(settings.DEBUG or settings.WEBHOOKS_ALLOW_HTTP)


def allow_loopback() -> bool:
    return bool(settings.WEBHOOKS_ALLOW_LOOPBACK)


def check_url(url: str) -> None:
    """Raise ``ValidationError`` unless ``url`` may receive deliveries (scheme, credentials,
    and every address its host resolves to)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationError(f"This is not a valid URL ({exc}).") from exc
    if parts.scheme.lower() != "https" and not (http_allowed() and parts.scheme.lower() == "http"):
        raise ValidationError("Webhook URLs must use https.")
    if parts.username or parts.password:
        raise ValidationError("Leave credentials out of the URL; use a signing secret instead.")
    try:
        netguard.check_url(url, allow_loopback=allow_loopback())
    except netguard.BlockedAddressError as exc:
        raise ValidationError(f"This address cannot receive webhooks: {exc}.") from exc


# --- one HTTP exchange ---------------------------------------------------------------------


@dataclass
class Answer:
    """What one attempt got back; ``status_code`` is None when no answer arrived."""

    status_code: int | None = None
    headers: dict = field(default_factory=dict)
    body: str = ""
    time_ms: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def summary(self) -> str:
        if self.status_code is not None:
            return f"HTTP {self.status_code}"
        return self.error or "no answer"


def _logged_headers(headers: Mapping[str, str]) -> dict:
    items = list(headers.items())[:MAX_LOGGED_HEADERS]
    return {str(k).lower(): str(v)[:MAX_HEADER_VALUE] for k, v in items}


def post(url: str, body: str, headers: dict[str, str], timeout: float | None = None) -> Answer:
    """POST ``body`` to ``url`` once, connecting only to checked addresses; never raises."""
    timeout = float(timeout if timeout is not None else settings.WEBHOOKS_TIMEOUT)
    started = time.monotonic()
    answer = Answer()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme != "https" and not (http_allowed() and scheme == "http"):
            raise netguard.BlockedAddressError("webhook URLs must use https")
        addresses = [str(ip) for ip in netguard.check_url(url, allow_loopback=allow_loopback())]
        for index, address in enumerate(addresses):
            try:
                _exchange(answer, address, parts, body=body, headers=headers, deadline=started + timeout)
                break
            except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError):
                if index == len(addresses) - 1:  # the next address may answer (IPv6 vs IPv4)
                    raise
    except netguard.BlockedAddressError as exc:
        answer.error = f"refused: {exc}"
    except urllib3.exceptions.HTTPError as exc:
        answer.error = _network_error(exc)
    except (OSError, ValueError) as exc:
        answer.error = f"{type(exc).__name__}: {exc}"
    answer.time_ms = int((time.monotonic() - started) * 1000)
    return answer


def _exchange(
    answer: Answer, address: str, parts: SplitResult, *, body: str, headers: dict, deadline: float
) -> None:
    remaining = max(0.1, deadline - time.monotonic())
    scheme = parts.scheme.lower()
    port = parts.port or netguard.default_port(scheme)
    assert parts.hostname is not None  # post() resolved the host before calling this
    pool = netguard.pinned_pool(
        scheme, address, port, parts.hostname, timeout=urllib3.Timeout(total=remaining), retries=False
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with pool:
        response = pool.urlopen(
            "POST", path, body=body.encode(), headers={**headers, "Host": netguard.host_header(parts)},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
        try:
            answer.status_code = response.status
            answer.headers = _logged_headers(response.headers)
            answer.body = _read_excerpt(response, deadline)
        finally:
            response.release_conn()


def _read_excerpt(response: BaseHTTPResponse, deadline: float) -> str:
    limit = settings.WEBHOOKS_RESPONSE_EXCERPT_BYTES
    data = b""
    # Stop at the limit or the deadline: the rest of a large or slow body is not needed.
    while len(data) < limit and time.monotonic() < deadline:
        chunk = response.read(min(4096, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data[:limit].decode("utf-8", errors="replace")


def _network_error(exc: Exception) -> str:
    # NewConnectionError derives from ConnectTimeoutError: test it first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "could not connect"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {exc}"
    return f"{type(exc).__name__}: {exc}"


# --- retries -----------------------------------------------------------------------------


def retry_delay(
    attempt: int, retry_after: float | None = None, rng: Callable[[float, float], float] = random.uniform
) -> float:
    """Seconds before attempt ``attempt + 1``: base x factor^(attempt-1) with +-20% jitter,
    and never sooner than the receiver's ``Retry-After`` (capped)."""
    base = settings.WEBHOOKS_RETRY_BASE_MS / 1000.0
    delay = base * settings.WEBHOOKS_RETRY_FACTOR ** (attempt - 1) * rng(*JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, float(settings.WEBHOOKS_MAX_RETRY_AFTER)))
    return delay


# --- queueing and attempts ---------------------------------------------------------------


def prepare(
    webhook: Webhook | dict,
    event: str,
    body: str,
    message_id: str | None = None,
    *,
    attempt_number: int = 1,
    retries: bool = True,
    delay: float | None = None,
) -> WebhookDelivery:
    """A pending delivery of ``body`` to ``webhook`` (``webhook`` may be a model or a raw doc):
    attempt ``attempt_number``, due ``delay`` seconds from now; ``retries`` False for a manual
    send (one attempt, see :func:`attempt`)."""
    webhook_id = webhook["_id"] if isinstance(webhook, dict) else webhook.pk
    user_id = webhook["user_id"] if isinstance(webhook, dict) else webhook.user_id
    url = webhook["url"] if isinstance(webhook, dict) else webhook.url
    now = timezone.now()
    return WebhookDelivery.objects.create(
        webhook_id=webhook_id,
        user_id=user_id,
        event=event,
        status=DeliveryStatus.PENDING,
        request=DeliveryRequest(
            url=url, headers={"webhook-id": message_id or signing.new_message_id()}, body=body
        ),
        attempts=0,
        attempt_number=attempt_number,
        retries=retries,
        due_at=now + timedelta(seconds=delay or 0),
        created_at=now,
    )


def enqueue(delivery: WebhookDelivery) -> None:
    """Queue the attempt of a delivery from :func:`prepare` (the number and retry flag it holds)."""
    deliver.delay(str(delivery.pk), delivery.attempt_number, delivery.retries)


@shared_task(name="webhooks.deliver", acks_late=True)
def deliver(delivery_id: str, attempt_number: int = 1, retries: bool = True) -> str:
    """Send one attempt; a failed one with attempts left queues the next after a backoff."""
    outcome = attempt(ObjectId(delivery_id), attempt_number, retries=retries)
    queue_next(outcome, attempt_number)
    return outcome.status


def queue_next(outcome: Outcome, attempt_number: int) -> None:
    """Queue the attempt after ``attempt_number`` that ``outcome`` prepared, once its backoff ends."""
    if outcome.next_delivery_id is not None:
        deliver.apply_async(
            (str(outcome.next_delivery_id), attempt_number + 1, True), countdown=outcome.delay
        )


@dataclass
class Outcome:
    """What :func:`attempt` did; ``next_delivery_id``/``delay`` schedule the next attempt."""

    status: str  # success | failed | skipped
    next_delivery_id: ObjectId | None = None
    delay: float | None = None
    disabled: bool = False


def attempt(delivery_id: ObjectId, attempt_number: int = 1, *, retries: bool = True) -> Outcome:
    """Send one attempt of a pending delivery; safe to call twice (the second does nothing).

    ``retries`` is False for manual sends (test, redeliver): one attempt, even to a
    disabled webhook, so its owner can check a fixed endpoint before enabling it.
    """
    deliveries = collection("webhook_deliveries")
    claimed = deliveries.find_one_and_update(
        {"_id": delivery_id, "attempts": 0, "status": DeliveryStatus.PENDING},
        {"$set": {"attempts": attempt_number, "claimed_at": timezone.now()}},
        return_document=ReturnDocument.AFTER,
    )
    if claimed is None:
        return Outcome("skipped")
    webhook = Webhook.objects.filter(pk=claimed["webhook_id"]).first()
    if webhook is None or (retries and not webhook.enabled):
        reason = "the webhook was deleted" if webhook is None else "the webhook is disabled"
        deliveries.update_one(
            {"_id": delivery_id}, {"$set": {"status": DeliveryStatus.FAILED, "error": f"Not sent: {reason}."}}
        )
        return Outcome("skipped")

    request = claimed.get("request") or {}
    body = request.get("body") or ""
    message_id = (request.get("headers") or {}).get("webhook-id") or signing.new_message_id()
    answer: Answer | None
    try:
        secret = vault.reveal(webhook)
    except crypto.DecryptionError as exc:  # e.g. its key left the keyring: never send unsigned
        logger.exception("webhook %s: cannot decrypt its secret", webhook.pk)
        secret, answer = None, Answer(error=f"not sent: the signing secret cannot be decrypted ({exc})")
    else:
        answer = None
    headers = {
        "Content-Type": "application/json",
        "User-Agent": settings.WEBHOOKS_USER_AGENT,
        **signing.headers(secret, message_id, int(time.time()), body),
    }
    if answer is None:
        answer = post(webhook.url, body, headers)
    now = timezone.now()
    deliveries.update_one(
        {"_id": delivery_id},
        {
            "$set": {
                "status": DeliveryStatus.SUCCESS if answer.ok else DeliveryStatus.FAILED,
                "request.url": webhook.url,
                "request.headers": _logged_headers(headers),
                "response": {
                    "status_code": answer.status_code,
                    "headers": answer.headers,
                    "body": answer.body,
                    "time_ms": answer.time_ms,
                },
                "error": answer.error or ("" if answer.ok else _status_error(answer)),
                "delivered_at": now if answer.ok else None,
            }
        },
    )
    disabled = _count(webhook, answer, now)
    if answer.ok:
        return Outcome("success")
    return follow_up(
        webhook,
        claimed["event"],
        body,
        message_id,
        attempt_number,
        retries=retries,
        answer=answer,
        disabled=disabled,
    )


def follow_up(
    webhook: Webhook,
    event: str,
    body: str,
    message_id: str,
    attempt_number: int,
    *,
    retries: bool,
    answer: Answer,
    disabled: bool = False,
) -> Outcome:
    """After failed attempt ``attempt_number``: the next attempt of the same message (same
    ``webhook-id``), prepared with its backoff for :func:`queue_next`, or none when it was a
    manual send, the webhook was disabled (``disabled``: by this attempt), the endpoint answered
    410 or no attempt is left."""
    if (
        disabled
        or not retries
        or answer.status_code == GONE
        or attempt_number >= settings.WEBHOOKS_MAX_ATTEMPTS
    ):
        return Outcome("failed", disabled=disabled)
    retry_after = None
    if answer.status_code in RETRY_AFTER_STATUSES:
        retry_after = parse_retry_after(answer.headers.get("retry-after"))
    delay = retry_delay(attempt_number, retry_after)
    following = prepare(webhook, event, body, message_id, attempt_number=attempt_number + 1, delay=delay)
    return Outcome("failed", following.pk, delay)


def _status_error(answer: Answer) -> str:
    code = answer.status_code
    if code is not None and 300 <= code < 400:
        return f"HTTP {code}: redirects are not followed; point the webhook at the final URL."
    if code == GONE:
        return "HTTP 410 Gone: the endpoint asked for no more deliveries."
    return f"HTTP {code}: only a 2xx answer counts as delivered."


def _count(webhook: Webhook, answer: Answer, now: datetime) -> bool:
    """Update the webhook's stats and failure streak; disable it when due. True if it was
    disabled by this attempt."""
    outcome = "successful_deliveries" if answer.ok else "failed_deliveries"
    update: dict[str, dict[str, object]] = {
        "$inc": {"stats.total_deliveries": 1, f"stats.{outcome}": 1},
        "$set": {"stats.last_delivery": now, "stats.last_status": "success" if answer.ok else "failed"},
    }
    if answer.ok:
        update["$set"]["consecutive_failures"] = 0
    else:
        update["$inc"]["consecutive_failures"] = 1
    after = collection("webhooks").find_one_and_update(
        {"_id": webhook.pk},
        update,
        projection={"consecutive_failures": 1},
        return_document=ReturnDocument.AFTER,
    )
    if after is None or answer.ok:
        return False
    if answer.status_code == GONE:
        reason = "The endpoint answered 410 Gone, asking for no more deliveries."
    elif after.get("consecutive_failures", 0) >= settings.WEBHOOKS_DISABLE_AFTER:
        reason = f"{after['consecutive_failures']} deliveries in a row failed (last: {answer.summary()})."
    else:
        return False
    disabled = collection("webhooks").update_one(
        {"_id": webhook.pk, "enabled": True},
        {"$set": {"enabled": False, "disabled_reason": reason, "updated_at": now}},
    )
    if not disabled.modified_count:
        return False
    emails.webhook_disabled(webhook, reason)
    return True
