"""Signed webhook deliveries whose worker died: found by beat, and sent on.

An attempt claims its delivery document before it posts (:func:`notifications.delivery.attempt`
sets ``attempts`` and ``claimed_at``), then records the answer. Two ways a worker's death leaves
a delivery ``pending`` for ever:

- killed between the claim and the record (the OOM killer): the task's broker message went with
  it, and the claim refuses a second run of the same attempt;
- killed while it held the message of a delivery it had not claimed yet: the broker hands a
  message over when a worker fetches it, and a retry waits in the worker's memory until its
  countdown ends (``due_at``).

Both are found once their lease (:func:`notifications.leases.lease`, the rule of the alert
sweep too) ran out: a claim older than the lease, or a due time more than a lease ago with no
claim. Beat runs ``webhooks.sweep_stalled_deliveries`` every ``ALERT_SWEEP_INTERVAL_SECONDS``,
which

- records a dead claimed attempt ``failed`` ("The worker stopped during this attempt.") and, when
  the webhook still exists and is enabled and attempts are left, prepares and queues the next
  attempt as a failed attempt does (:func:`notifications.delivery.follow_up`). The webhook's
  stats and failure streak are left alone: the endpoint's answer is unknown, and a dying worker
  must not disable a webhook;
- queues again an unclaimed delivery whose message was lost (same attempt number and retry
  flag); the attempt itself refuses to send to a webhook deleted or disabled since.

Delivery is at least once: a POST that reached the receiver from a worker killed before it
recorded the answer is sent again by the next attempt. Every attempt of one message carries
the same ``webhook-id`` header (the next attempt copies it from the claimed document, a queued
one sends its own document again), so a receiver de-duplicates by it. Each change is one
conditional update on the state the sweep read (status, attempts and the time the lease ran
from), so two sweeps, concurrent or one after the other, act once; and the attempt's own claim
refuses a second run of a document.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from celery import shared_task
from django.utils import timezone

from notifications import delivery
from notifications.leases import lease
from notifications.models import DeliveryStatus, Webhook
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

STOPPED = "The worker stopped during this attempt."
READ = ("webhook_id", "event", "request", "attempts", "attempt_number", "retries", "due_at", "claimed_at")


@dataclass
class Swept:
    """What one sweep did: dead attempts recorded failed, next attempts queued after them, and
    lost messages queued again."""

    failed: int = 0
    retried: int = 0
    requeued: int = 0


def since(attempts: int | None, claimed_at: datetime | None, due_at: datetime | None) -> datetime | None:
    """The time a pending delivery's lease runs from: its claim, or its due time if unclaimed."""
    return claimed_at if attempts else due_at


def is_stalled(
    status: str | None,
    attempts: int | None,
    claimed_at: datetime | None,
    due_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether a delivery outlived its lease at ``now`` (its worker died)."""
    start = since(attempts, claimed_at, due_at)
    return status == DeliveryStatus.PENDING and start is not None and start < now - lease()


def stalled_ids(deliveries, now: datetime | None = None) -> set[ObjectId]:
    """The ids of ``deliveries`` (models) whose worker died, waiting for the sweep (for their page)."""
    now = now or timezone.now()
    return {d.pk for d in deliveries if is_stalled(d.status, d.attempts, d.claimed_at, d.due_at, now)}


def stalled_query(now: datetime) -> dict:
    """The deliveries that may be stalled at ``now``: pending, due more than a lease ago, read
    from the partial index ``deliveries_pending`` alone. A worker claims a delivery once it is
    due, so this holds every stalled claim too; whether a claim is older than the lease is
    checked on the few documents found (:func:`is_stalled`), as a condition on the claim would
    make the planner leave the index."""
    return {"status": DeliveryStatus.PENDING, "due_at": {"$lt": now - lease()}}


def sweep(now: datetime | None = None) -> Swept:
    """Send on every webhook delivery whose claim (or due time) outlived its lease at ``now``."""
    now = now or timezone.now()
    swept = Swept()
    for doc in collection("webhook_deliveries").find(stalled_query(now), dict.fromkeys(READ, 1)):
        sweep_delivery(doc, now, swept)
    if swept != Swept():
        logger.warning("stalled webhook deliveries: %s", swept)
    return swept


def sweep_delivery(doc: dict, now: datetime, swept: Swept) -> None:
    """Send on one delivery as read (``doc``) by a sweep at ``now``, if it is stalled and no one
    changed it since."""
    attempts = int(doc.get("attempts") or 0)
    if not is_stalled(DeliveryStatus.PENDING, attempts, doc.get("claimed_at"), doc.get("due_at"), now):
        return
    deliveries = collection("webhook_deliveries")
    read = {"_id": doc["_id"], "status": DeliveryStatus.PENDING, "attempts": attempts}
    if not attempts:
        # The lease runs again from now: the message queued here may be lost the same way.
        if deliveries.update_one({**read, "due_at": doc["due_at"]}, {"$set": {"due_at": now}}).modified_count:
            swept.requeued += 1
            delivery.deliver.delay(
                str(doc["_id"]), int(doc.get("attempt_number") or 1), doc.get("retries", True)
            )
        return
    recorded = deliveries.update_one(
        {**read, "claimed_at": doc["claimed_at"]},
        {"$set": {"status": DeliveryStatus.FAILED, "error": STOPPED}},
    )
    if not recorded.modified_count:
        return
    swept.failed += 1
    webhook = Webhook.objects.filter(pk=doc["webhook_id"]).first()
    if webhook is None or not webhook.enabled:
        return
    request = doc.get("request") or {}
    message_id = (request.get("headers") or {}).get("webhook-id")
    if not message_id:
        return  # every prepared delivery has one: a document written by hand is not sent on
    outcome = delivery.follow_up(
        webhook,
        doc["event"],
        request.get("body") or "",
        message_id,
        attempts,
        retries=bool(doc.get("retries", True)),
        answer=delivery.Answer(error=STOPPED),
    )
    if outcome.next_delivery_id is not None:
        swept.retried += 1
    delivery.queue_next(outcome, attempts)


@shared_task(name="webhooks.sweep_stalled_deliveries")
def sweep_stalled_deliveries() -> dict:
    """Fired by beat: send on the webhook deliveries whose worker died (see the module)."""
    swept = sweep()
    return {"failed": swept.failed, "retried": swept.retried, "requeued": swept.requeued}
