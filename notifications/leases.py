"""How long a worker's claim on a delivery lives before its worker is taken for dead.

One rule for every delivery that claims its work before sending (alert channels in
:mod:`notifications.alerts.stalled`, signed webhooks in :mod:`notifications.webhook_sweep`): a
claim older than :func:`lease` with nothing recorded lost its worker.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

# Time for the broker and the clocks of different machines, beyond the hard time limit.
LEASE_MARGIN_SECONDS = 5 * 60


def lease() -> timedelta:
    """How long a claim lives without a record before its worker is taken for dead: the hard
    time limit of a task (a live worker has been killed by then) plus a margin."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + LEASE_MARGIN_SECONDS)
