"""Tasks that belong to the platform rather than to one app."""

import socket

from celery import shared_task
from django.utils import timezone

import sentimatrix.worker_state  # noqa: F401 - workers report their running tasks to runstack
from sentimatrix.mongo import collection

HEARTBEAT_COLLECTION = "worker_heartbeats"


@shared_task(name="system.worker_ping", ignore_result=False)
def worker_ping(token: str) -> str:
    """Record that a worker picked up a task; /health and tests read it back."""
    collection(HEARTBEAT_COLLECTION).update_one(
        {"_id": token},
        {"$set": {"hostname": socket.gethostname(), "seen_at": timezone.now()}},
        upsert=True,
    )
    return token
