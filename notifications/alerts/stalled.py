"""Alert deliveries whose worker died: found by beat, and sent on.

An attempt claims its channel before sending (:mod:`notifications.alerts.delivery`), the daily
digest claims the alerts it mails (:mod:`notifications.alerts.digest`); both write ``claimed_at``
and list the channel in the alert's ``delivering``. A worker killed between the claim and the
record (the OOM killer) takes the task's broker message with it, and the claim refuses a second
run of the same attempt, so without this sweep the channel would read ``sending`` for ever.

A claim older than its lease (:func:`notifications.leases.lease`, the rule the webhook sweep
follows too) lost its worker: no live worker runs a task longer than ``CELERY_TASK_TIME_LIMIT``.
Beat runs ``notifications.sweep_stalled_alert_deliveries`` every ``ALERT_SWEEP_INTERVAL_SECONDS``;
for each stalled channel it

- queues the next attempt (``deliver_alert_channel(alert, channel, attempts + 1)``), the channel
  reading ``retrying`` with "The worker stopped during attempt N.", or marks it ``failed`` with
  "The worker stopped during attempt N; no attempts left." when ``WEBHOOKS_MAX_ATTEMPTS`` are used;
- queues again a retry whose message was lost the same way (``retrying``, its
  ``next_attempt_at`` older than the lease);
- puts the alerts of a digest whose worker died back to ``digest``, for the next digest.

Delivery is at least once: a send that succeeded on a worker that died before recording it goes
again. Each change is one conditional update on the state the sweep read (status, attempt
number and time), so two sweeps, concurrent or one after the other, queue an attempt once; and
the attempt's own claim refuses a second run of the same number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications import payloads
from notifications.alerts.delivery import DELIVERING, EMAIL, Status, deliver_alert_channel
from notifications.leases import LEASE_MARGIN_SECONDS, lease  # noqa: F401 (both read here too)
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

FINISHED = (Status.SENT, Status.FAILED, Status.SKIPPED, Status.DIGEST)
# Alerts with a delivery under way: the condition of the partial index ``alerts_delivering``
# (a non-empty list is greater than the empty one), so the sweep reads that index alone.
UNDER_WAY = {DELIVERING: {"$gt": []}}


@dataclass
class Swept:
    """What one sweep did: attempts queued, channels failed, digest alerts put back."""

    queued: int = 0
    failed: int = 0
    digest: int = 0


def _stamp_field(entry: dict) -> str:
    """The time a delivery's lease runs from: its claim, or the retry it waits for."""
    return "next_attempt_at" if entry.get("status") == Status.RETRYING else "claimed_at"


def is_stalled(entry: dict, now: datetime) -> bool:
    """Whether a channel's delivery (``alert.deliveries[channel]``) outlived its lease at ``now``."""
    if entry.get("status") not in (Status.SENDING, Status.RETRYING):
        return False
    since = payloads.from_iso(entry.get(_stamp_field(entry)))
    return since is not None and since < now - lease()


def stalled_channels(deliveries: dict, now: datetime | None = None) -> set[str]:
    """The channels of an alert whose worker died, waiting for the sweep (for the alert's page)."""
    now = now or timezone.now()
    return {channel for channel, entry in (deliveries or {}).items() if is_stalled(entry or {}, now)}


def sweep(now: datetime | None = None) -> Swept:
    """Send on every alert delivery whose claim (or retry) outlived its lease at ``now``."""
    now = now or timezone.now()
    swept = Swept()
    alerts = collection("alerts")
    for alert in alerts.find(UNDER_WAY, {"deliveries": 1, DELIVERING: 1}):
        for channel in alert[DELIVERING]:
            entry = (alert.get("deliveries") or {}).get(channel) or {}
            _sweep_channel(alert["_id"], channel, entry, now, swept)
    if swept.queued or swept.failed or swept.digest:
        logger.warning("stalled alert deliveries: %s", swept)
    return swept


def _sweep_channel(alert_id: ObjectId, channel: str, entry: dict, now: datetime, swept: Swept) -> None:
    prefix = f"deliveries.{channel}"
    status = entry.get("status")
    alerts = collection("alerts")
    if status in FINISHED or status is None:
        # Listed with nothing under way (an outcome written by another path, such as the admin):
        # taken off, so the list and its index hold deliveries under way only.
        alerts.update_one({"_id": alert_id, f"{prefix}.status": status}, {"$pull": {DELIVERING: channel}})
        return
    if not is_stalled(entry, now):
        return  # a live claim, or a retry not yet overdue
    stamp_field = _stamp_field(entry)
    stamp = entry.get(stamp_field)
    # The state this sweep read: a second sweep, or the attempt itself, changes it first.
    read = {
        "_id": alert_id,
        f"{prefix}.status": status,
        f"{prefix}.attempts": entry.get("attempts"),
        f"{prefix}.{stamp_field}": stamp,
    }
    stamp_now = payloads.iso(now)
    if status == Status.SENDING and channel == EMAIL and entry.get("digest"):
        done = alerts.update_one(
            read, {"$set": {f"{prefix}.status": Status.DIGEST}, "$pull": {DELIVERING: channel}}
        )
        swept.digest += done.modified_count
        return
    attempts = int(entry.get("attempts") or 0)
    if status == Status.SENDING and attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        done = alerts.update_one(
            read,
            {
                "$set": {
                    f"{prefix}.status": Status.FAILED,
                    f"{prefix}.error": f"The worker stopped during attempt {attempts}; no attempts left.",
                    f"{prefix}.updated_at": stamp_now,
                },
                "$pull": {DELIVERING: channel},
            },
        )
        swept.failed += done.modified_count
        return
    values = {f"{prefix}.status": Status.RETRYING, f"{prefix}.next_attempt_at": stamp_now}
    if status == Status.SENDING:
        values[f"{prefix}.error"] = f"The worker stopped during attempt {attempts}."
        values[f"{prefix}.updated_at"] = stamp_now
    if alerts.update_one(read, {"$set": values}).modified_count:
        swept.queued += 1
        deliver_alert_channel.delay(str(alert_id), channel, attempts + 1)


@shared_task(name="notifications.sweep_stalled_alert_deliveries")
def sweep_stalled_alert_deliveries() -> dict:
    """Fired by beat: send on the alert deliveries whose worker died (see the module)."""
    swept = sweep()
    return {"queued": swept.queued, "failed": swept.failed, "digest": swept.digest}
