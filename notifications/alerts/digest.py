"""The daily alert digest: one email a day with the alerts that waited for it.

Beat runs ``notifications.alert_digests`` every hour; it queues a digest for each user whose
``alert_email`` is ``digest`` and whose local clock (``settings.timezone``) reads the digest hour
(``ALERT_DIGEST_HOUR``, 08:00 by default) and who has alerts waiting, so everyone gets it in their
own morning (someone who switched to immediate mail since gets the waiting ones once). The digest
holds the user's alerts whose ``deliveries.email.status`` is ``digest`` (set when they were
delivered); it claims them in one update (``digest`` to ``sending``, with a token of this run),
sends one email, then marks them ``sent``. A second run the same hour finds nothing left to send,
so a user gets at most one digest a day; a failed send puts the alerts back for the next one.
The claim writes ``claimed_at`` and lists ``email`` in the alert's ``delivering``: when the worker
dies before the digest is recorded, the stalled-delivery sweep
(:mod:`notifications.alerts.stalled`) puts the alerts back to ``digest`` once the claim's lease
has run out, so the next digest holds them (at least once: a digest mailed just before its
worker died goes again).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bson import ObjectId
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import AlertEmail, Status
from notifications import emails, payloads
from notifications.alerts import mail
from notifications.alerts.delivery import DELIVERING, EMAIL
from notifications.alerts.delivery import Status as DeliveryStatus
from sentimatrix.mongo import collection
from sentimatrix.timeutil import zone_or_utc

logger = logging.getLogger(__name__)
MAX_ALERTS = 50  # per digest; the rest wait for the next one (the page lists them all)
STATUS = f"deliveries.{EMAIL}.status"


def local_hour(zone_name: str, now: datetime) -> int:
    return now.astimezone(zone_or_utc(zone_name)).hour


# Users who left the digest for immediate mail still get, once, the alerts that waited for it.
MAILED = [AlertEmail.DIGEST, AlertEmail.IMMEDIATE]


def due_users(now: datetime) -> list[ObjectId]:
    """Users with alerts waiting for a digest whose local time is the digest hour at ``now``."""
    users = [
        doc["_id"]
        for doc in collection("users").find(
            {"status": Status.ACTIVE, "email_verified": True, "settings.alert_email": {"$in": MAILED}},
            {"_id": 1, "settings.timezone": 1},
        )
        if local_hour((doc.get("settings") or {}).get("timezone") or "UTC", now) == settings.ALERT_DIGEST_HOUR
    ]
    alerts = collection("alerts")
    return [
        user_id
        for user_id in users
        if alerts.count_documents({"user_id": user_id, STATUS: DeliveryStatus.DIGEST}, limit=1)
    ]


def queue_digests(now: datetime | None = None) -> int:
    """Queue one digest task per due user; returns how many."""
    users = due_users(now or timezone.now())
    for user_id in users:
        alert_digest_user.delay(str(user_id))
    return len(users)


def send_digest(user_id: ObjectId | str) -> int:
    """Send the user's digest of the alerts waiting for it; returns how many it held (0: none sent)."""
    user = emails.mailable(user_id)
    if user is None or user.settings.alert_email not in MAILED:
        return 0
    alerts = collection("alerts")
    waiting = [
        doc["_id"]
        for doc in alerts.find({"user_id": user.pk, STATUS: DeliveryStatus.DIGEST}, {"_id": 1})
        .sort("created_at", -1)
        .limit(MAX_ALERTS)
    ]
    if not waiting:
        return 0
    token = str(ObjectId())
    alerts.update_many(
        {"_id": {"$in": waiting}, STATUS: DeliveryStatus.DIGEST},
        {
            "$set": {
                STATUS: DeliveryStatus.SENDING,
                f"deliveries.{EMAIL}.digest": token,
                f"deliveries.{EMAIL}.claimed_at": payloads.iso(timezone.now()),
            },
            "$addToSet": {DELIVERING: EMAIL},
        },
    )
    claimed = list(
        alerts.find({"_id": {"$in": waiting}, f"deliveries.{EMAIL}.digest": token}).sort("created_at", -1)
    )
    if not claimed:
        return 0  # another run took them
    ids = [doc["_id"] for doc in claimed]
    try:
        mail.send_digest(user, claimed)
    except Exception:
        alerts.update_many(
            {"_id": {"$in": ids}}, {"$set": {STATUS: DeliveryStatus.DIGEST}, "$pull": {DELIVERING: EMAIL}}
        )
        raise
    now = payloads.iso(timezone.now())  # a JSON field: an ISO string, as the delivery tasks write
    alerts.update_many(
        {"_id": {"$in": ids}},
        {
            "$set": {STATUS: DeliveryStatus.SENT, f"deliveries.{EMAIL}.sent_at": now},
            "$inc": {f"deliveries.{EMAIL}.attempts": 1},
            "$pull": {DELIVERING: EMAIL},
        },
    )
    return len(ids)


@shared_task(name="notifications.alert_digests")
def alert_digests() -> int:
    """Fired by beat every hour: queue the digests of users whose morning it is."""
    return queue_digests()


@shared_task(name="notifications.alert_digest_user")
def alert_digest_user(user_id: str) -> int:
    return send_digest(user_id)
