"""The insights of LLM-analysed projects, refreshed on the analysis queue instead of in a request.

The abstractive summary (:mod:`analysis.engine.llm.insights`) is an LLM request that may take as
long as the provider's timeout, so no page waits for it: for a project analysed by an LLM, the
task ``analysis.refresh_insights`` runs :func:`run`. It is asked for, debounced, by
:func:`analysis.insights_cache.request_refresh` after every analysis batch of such a project and
by every read that finds the cached summary behind.

:func:`run` refreshes the project, and those of its targets whose cached summary is behind or
still waits for its abstract. A target has a cached summary only once someone compared it, so
the task never writes abstracts nobody looked at. Running it twice is harmless: the second run
builds the same prompt, and an abstract written from the same prompt is kept without a request.
"""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from analysis import insights_cache
from sentimatrix.mongo import collection


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
