"""Aspects, pros and cons for dashboards, computed over a bounded sample and cached.

What people say (:func:`analysis.engine.project_insights.summarize_results`) needs the texts,
so it cannot come from counters. It is computed over the latest :data:`SAMPLE_SIZE` analysed,
non-excluded results of a project (or of one target, for the comparison view), read newest first
by the results store (:func:`analysis.results_store.reads.latest_analysed`), and stored in the
``project_insights`` collection, one document per project (``_id`` the project id) or per
target (``<project_id>:<target_id>``).

When it is refreshed (the choice made here): every stored summary carries the *stamp* of the
statistics it was computed after (``stats.last_analysis_at`` and ``stats.sentiment_count`` of
the project or target, which every analysis, re-analysis and triage moves). A reader gets the
stored summary while the stamp is unchanged. Once the stamp moved, the summary is recomputed on
read, but at most once per :data:`REFRESH_SECONDS` per project while analyses keep coming; in
between readers get the previous summary marked ``stale``. :func:`refresh` recomputes at once.
Two readers refreshing together both compute and the later write wins: the result is the same,
so no lock is taken.

A project whose analysis uses an LLM (the engine factory's choice) also gets the model's
abstractive summary of the extractive one (:mod:`analysis.engine.llm.insights`), stored in the
summary as ``abstract``, or why there is none as ``abstract_error``. It is asked for only by
:func:`refresh`, and not again while its prompt is the same as last time's. For such a project
a read never refreshes, since that request may take as long as the provider's timeout: it gets
the previous summary marked ``stale`` and asks for the task of :mod:`analysis.insights_refresh`
(:func:`request_refresh`, which analysis batches call too); with nothing stored yet it gets the
extractive summary computed in the request, stored with ``abstract_pending`` until the task
writes the abstract.

Debouncing that task (:func:`request_refresh`): it is sent only after claiming the project, an
atomic conditional update of ``refresh_claimed_until`` on the project's own document here. A
claim holds for :data:`REFRESH_SECONDS`, so at most one refresh per project is sent in that time
however many batches finish and pages are read. What is analysed after the task ran is taken in
by the next request once the claim expired (a read that finds the stamp moved makes one). The
task leaves the claim in place when it ends: freeing it would let the very next batch start
another LLM request.

This is the one place aspect counts are computed: the dashboard, the comparison, the printable
report, the aspects export and the API all read the document :func:`get_insights` returns, so
their numbers agree and each says which sample it comes from (``sample_size``).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from celery import current_app
from pymongo.errors import DuplicateKeyError

from analysis import playtime_bands
from analysis.engine.llm import insights
from analysis.engine.project_insights import summarize_results
from analysis.results_store import reads
from projects import llm_usage
from projects.models import Project
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

COLLECTION = "project_insights"
CLAIM_FIELD = "refresh_claimed_until"
# Part of the stamp: a summary stored by an older version of the summary's rules is recomputed
# (2: aspects instead of keyword topics and clause pros and cons; 3: with playtime bands).
SUMMARY_VERSION = 3
SAMPLE_SIZE = 500
REFRESH_SECONDS = 300
SAMPLE_FIELDS = {
    "content.text": 1, "content.rating": 1, "content.metadata.rating_scale": 1, "content.date": 1,
    "analysis": 1, "language": 1, "created_at": 1, "excluded": 1, **playtime_bands.FIELDS,
}  # fmt: skip


def cache_key(project_id: ObjectId, target_id: ObjectId | None = None) -> str:
    return f"{project_id}:{target_id}" if target_id else str(project_id)


def latest_analysed(
    project_id: ObjectId,
    target_id: ObjectId | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """The newest ``limit`` (default :data:`SAMPLE_SIZE`) analysed, non-excluded results of a
    project or target (raw documents, :data:`SAMPLE_FIELDS`), newest first."""
    return reads.latest_analysed(
        project_id, target_id, limit=limit or SAMPLE_SIZE, projection=SAMPLE_FIELDS, now=now
    )


def sample_rows(docs: list[dict]) -> list[dict]:
    """Result documents as the rows :func:`summarize_results` takes."""
    rows = []
    for doc in docs:
        content = doc.get("content") or {}
        rows.append(
            {
                "id": str(doc["_id"]),
                "text": content.get("text") or "",
                "analysis": doc.get("analysis") or {},
                "rating": content.get("rating"),
                "rating_scale": (content.get("metadata") or {}).get("rating_scale") or 5.0,
                "language": doc.get("language") or None,
                # Trends compare the older and newer half of the sample by this date.
                "date": content.get("date") or doc.get("created_at"),
            }
        )
    return rows


def stamp(project_id: ObjectId, target_id: ObjectId | None = None) -> dict:
    """What a stored summary of the project (or target) must carry to be current: the statistics
    it was computed after, and :data:`SUMMARY_VERSION`."""
    name, doc_id = ("targets", target_id) if target_id else ("projects", project_id)
    doc = collection(name).find_one(
        {"_id": doc_id}, {"stats.last_analysis_at": 1, "stats.sentiment_count": 1}
    )
    stats = (doc or {}).get("stats") or {}
    return {
        "last_analysis_at": stats.get("last_analysis_at"),
        "sentiment_count": stats.get("sentiment_count") or 0,
        "version": SUMMARY_VERSION,
    }


def refresh(project_id: ObjectId, target_id: ObjectId | None = None, *, now: datetime | None = None) -> dict:
    """Recompute and store the summary of a project (or target), with the LLM's abstract when the
    project uses one; returns the stored document."""
    now = now or datetime.now(UTC)
    current = stamp(project_id, target_id)
    docs = latest_analysed(project_id, target_id, now=now)
    summary = summarize_results(sample_rows(docs))
    _add_abstract(summary, project_id, cache_key(project_id, target_id), now)
    doc = _document(project_id, target_id, current=current, docs=docs, summary=summary, now=now)
    # $set, not a replacement: the document also holds the refresh task's claim.
    collection(COLLECTION).update_one({"_id": doc["_id"]}, {"$set": doc}, upsert=True)
    return {**doc, "stale": False}


def _document(
    project_id: ObjectId,
    target_id: ObjectId | None,
    *,
    current: dict,
    docs: list[dict],
    summary: dict,
    now: datetime,
) -> dict:
    return {
        "_id": cache_key(project_id, target_id),
        "project_id": project_id,
        "target_id": target_id,
        "stamp": current,
        "computed_at": now,
        "sample_size": len(docs),
        "sample_limit": SAMPLE_SIZE,
        "summary": summary,
        # Sentiment by Steam playtime on the same sample (the dashboard's playtime chart).
        "playtime": playtime_bands.band_counts(docs),
    }


def _store_pending(project_id: ObjectId, target_id: ObjectId | None, current: dict, now: datetime) -> dict:
    """The extractive summary, stored with ``abstract_pending`` unless the task stored one first."""
    docs = latest_analysed(project_id, target_id, now=now)
    summary = {**summarize_results(sample_rows(docs)), "abstract_pending": True}
    doc = _document(project_id, target_id, current=current, docs=docs, summary=summary, now=now)
    # A duplicate key means the task stored its summary meanwhile; the next read gets that one.
    with contextlib.suppress(DuplicateKeyError):
        collection(COLLECTION).update_one(
            {"_id": doc["_id"], "summary": {"$exists": False}}, {"$set": doc}, upsert=True
        )
    return {**doc, "stale": False}


def _add_abstract(summary: dict, project_id: ObjectId, key: str, now: datetime) -> None:
    """``abstract`` or ``abstract_error`` on ``summary`` for a project analysed by an LLM."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return
    # The summary stays useful without its abstract: nothing here may break an insights page.
    try:
        engine = insights.llm_engine(project)
        if engine is None:
            return
        previous = collection(COLLECTION).find_one({"_id": key}, {"summary.abstract": 1}) or {}
        abstract, reason = insights.abstract_summary(
            summary, project, engine=engine, previous=(previous.get("summary") or {}).get("abstract"), now=now
        )
    except Exception:
        logger.exception("project %s: the LLM summary of its insights failed", project_id)
        abstract, reason = None, "the AI summary could not be written this time"
    if abstract is not None:
        summary["abstract"] = abstract
    elif reason:
        summary["abstract_error"] = reason


def get_insights(
    project_id: ObjectId, target_id: ObjectId | None = None, *, now: datetime | None = None
) -> dict:
    """The cached summary, refreshed as the module docstring says.

    The document has ``summary`` (what :func:`summarize_results` returns), ``sample_size``,
    ``computed_at`` and ``stale`` (True while a newer analysis waits for the next refresh).
    """
    now = now or datetime.now(UTC)
    cached = collection(COLLECTION).find_one({"_id": cache_key(project_id, target_id)})
    if cached is not None and "summary" not in cached:
        cached = None  # only the refresh task's claim so far
    current = stamp(project_id, target_id)
    if cached is not None and cached.get("stamp") == current:
        if cached["summary"].get("abstract_pending"):
            # Asked for when it was stored; asked again in case that task was lost (debounced).
            request_refresh(project_id, now=now)
        return {**cached, "computed_at": cached.get("computed_at"), "stale": False}
    if uses_llm(project_id):
        request_refresh(project_id, now=now)
        if cached is None:
            return _store_pending(project_id, target_id, current, now)
        return {**cached, "computed_at": cached.get("computed_at"), "stale": True}
    if cached is None:
        return refresh(project_id, target_id, now=now)
    computed = cached.get("computed_at") or now - timedelta(seconds=REFRESH_SECONDS)
    if (now - computed).total_seconds() >= REFRESH_SECONDS:
        return refresh(project_id, target_id, now=now)
    return {**cached, "computed_at": computed, "stale": True}


def sample_of(doc: dict) -> dict:
    """Which results a summary was computed from, as every page that shows it says it:
    ``size`` (the sample), ``population`` (the analysed, non-excluded results of the project or
    target when it was computed, from the stamp), ``sampled`` (True when the sample is not all
    of them) and ``text`` ("the latest 500 of 12,345 analysed results")."""
    size = int(doc.get("sample_size") or 0)
    population = max(size, int((doc.get("stamp") or {}).get("sentiment_count") or 0))
    sampled = population > size
    text = (
        f"the latest {size:,} of {population:,} analysed results"
        if sampled
        else f"the latest {size:,} analysed result{'' if size == 1 else 's'} (all of them)"
    )
    return {"size": size, "population": population, "sampled": sampled, "text": text}


# --- the refresh task of LLM-analysed projects, debounced ---------------------------------


def uses_llm(project_id: ObjectId) -> bool:
    """Whether the project's analysis (hence its insights' refresh) uses an LLM."""
    project = Project.objects.filter(pk=project_id).first()
    return project is not None and llm_usage.uses_llm(project)


def claim_refresh(project_id: ObjectId, *, now: datetime | None = None) -> bool:
    """Take the project's refresh slot for :data:`REFRESH_SECONDS`; False while someone holds it."""
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=REFRESH_SECONDS)
    try:
        # Matches a free slot (never claimed, or expired); with the slot held the upsert tries
        # to insert the same _id and fails, so exactly one of concurrent callers wins.
        collection(COLLECTION).update_one(
            {"_id": cache_key(project_id), CLAIM_FIELD: {"$not": {"$gt": now}}},
            {"$set": {CLAIM_FIELD: until, "project_id": project_id}},
            upsert=True,
        )
    except DuplicateKeyError:
        return False
    return True


def release_refresh(project_id: ObjectId) -> None:
    """Free the project's refresh slot (when the task could not be sent)."""
    collection(COLLECTION).update_one({"_id": cache_key(project_id)}, {"$unset": {CLAIM_FIELD: ""}})


def request_refresh(project_id: ObjectId, *, now: datetime | None = None) -> bool:
    """Send the ``analysis.refresh_insights`` task for the project unless one was sent within the
    claim's time; True when sent. Never raises: callers are pages and analysis batches, which
    must not fail because a summary could not be scheduled."""
    try:
        if not claim_refresh(project_id, now=now):
            return False
    except Exception:
        logger.exception("project %s: could not claim the refresh of its insights", project_id)
        return False
    try:
        current_app.send_task("analysis.refresh_insights", args=[str(project_id)])
    except Exception:
        logger.exception("project %s: could not send the refresh of its insights", project_id)
        release_refresh(project_id)
        return False
    return True
