"""What happens when a job closes: the schedule's run history, webhooks, notifications.

``scraping.jobs.finish_if_done`` calls :func:`job_finished` exactly once per job, inside
the worker that closed it. Everything here is a few small writes and queued tasks (the
HTTP deliveries and emails run on the ``webhooks`` queue), and one part failing never
stops the others.
"""

from __future__ import annotations

import logging

from bson import ObjectId

from scraping.models import JobStatus
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)


def job_finished(job_id: ObjectId) -> None:
    """Append a scheduled job to its schedule's history, emit webhook events, and email
    the owner when the job failed (if they asked for it)."""
    job = collection("scrape_jobs").find_one({"_id": job_id}, {"targets": 0})
    if job is None:
        return
    from projects import schedules
    from scraping.webhooks import notifications, services

    steps = [("schedule history", schedules.record_job_finished), ("webhooks", services.emit_job_events)]
    if job.get("status") == JobStatus.FAILED:
        steps.append(("failure email", notifications.queue_job_failed))
    for what, step in steps:
        try:
            step(job)
        except Exception:
            logger.exception("job %s closed, but its %s could not be handled", job_id, what)
