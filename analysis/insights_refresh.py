"""The insights of LLM-analysed projects, refreshed on the analysis queue instead of in a request.

The abstractive summary (:mod:`analysis.engine.llm.insights`) is an LLM request that may take as
long as the provider's timeout, so no page waits for it: for a project analysed by an LLM, the
task ``analysis.refresh_insights`` runs :func:`run`. It is asked for (:func:`request`) after
every analysis batch of such a project and by every read that finds the cached summary behind
(:func:`analysis.insights_cache.get_insights`).

Debounce: :func:`request` sends the task only after claiming the project, an atomic conditional
update of ``refresh_claimed_until`` on the project's own document of the ``project_insights``
collection. A claim holds for :data:`~analysis.insights_cache.REFRESH_SECONDS`, so at most one
refresh per project is sent in that time however many batches finish and pages are read. What
is analysed after the task ran is taken in by the next request once the claim expired (a read
that finds the stamp moved makes one). The task leaves the claim in place when it ends: freeing
it would let the very next batch start another LLM request.

:func:`run` refreshes the project, and those of its targets whose cached summary is behind or
still waits for its abstract. A target has a cached summary only once someone compared it, so
the task never writes abstracts nobody looked at. Running it twice is harmless: the second run
builds the same prompt, and an abstract written from the same prompt is kept without a request.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from analysis import insights_cache
from projects import llm_usage
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

CLAIM_FIELD = "refresh_claimed_until"


def uses_llm(project_id: ObjectId) -> bool:
    """Whether the project's analysis (hence its insights' refresh) uses an LLM."""
    from projects.models import Project

    project = Project.objects.filter(pk=project_id).first()
    return project is not None and llm_usage.uses_llm(project)


def claim(project_id: ObjectId, *, now: datetime | None = None) -> bool:
    """Take the project's refresh slot for :data:`REFRESH_SECONDS`; False while someone holds it."""
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=insights_cache.REFRESH_SECONDS)
    key = insights_cache.cache_key(project_id)
    try:
        # Matches a free slot (never claimed, or expired); with the slot held the upsert tries
        # to insert the same _id and fails, so exactly one of concurrent callers wins.
        collection(insights_cache.COLLECTION).update_one(
            {"_id": key, CLAIM_FIELD: {"$not": {"$gt": now}}},
            {"$set": {CLAIM_FIELD: until, "project_id": project_id}},
            upsert=True,
        )
    except DuplicateKeyError:
        return False
    return True


def release(project_id: ObjectId) -> None:
    """Free the project's refresh slot (when the task could not be sent)."""
    collection(insights_cache.COLLECTION).update_one(
        {"_id": insights_cache.cache_key(project_id)}, {"$unset": {CLAIM_FIELD: ""}}
    )


def request(project_id: ObjectId, *, now: datetime | None = None) -> bool:
    """Send the refresh task for the project unless one was sent within the claim's time;
    True when sent. Never raises: callers are pages and analysis batches, which must not fail
    because a summary could not be scheduled."""
    from analysis.tasks import refresh_insights

    try:
        if not claim(project_id, now=now):
            return False
    except Exception:
        logger.exception("project %s: could not claim the refresh of its insights", project_id)
        return False
    try:
        refresh_insights.delay(str(project_id))
    except Exception:
        logger.exception("project %s: could not send the refresh of its insights", project_id)
        release(project_id)
        return False
    return True


def run(project_id: ObjectId, *, now: datetime | None = None) -> int:
    """Refresh the project's insights and its behind cached targets' (see the module docstring);
    returns how many summaries were written, 0 for a project that no longer exists."""
    if collection("projects").find_one({"_id": project_id}, {"_id": 1}) is None:
        return 0
    insights_cache.refresh(project_id, now=now)
    written = 1
    targets = {t["_id"] for t in collection("targets").find({"project_id": project_id}, {"_id": 1})}
    cached = collection(insights_cache.COLLECTION).find(
        {"project_id": project_id, "target_id": {"$ne": None}},
        {"target_id": 1, "stamp": 1, "summary.abstract_pending": 1},
    )
    for doc in list(cached):
        target_id = doc["target_id"]
        if target_id not in targets:
            continue  # deleted since it was compared
        pending = (doc.get("summary") or {}).get("abstract_pending")
        if pending or doc.get("stamp") != insights_cache.stamp(project_id, target_id):
            insights_cache.refresh(project_id, target_id, now=now)
            written += 1
    return written
