"""Analysing stored results in batches and keeping the statistics in step.

Collected results are analysed by the analysis queue in batches of
``ANALYSIS_BATCH_SIZE``. Writing an analysis is a conditional update on the
result's previous analysis time, so two workers analysing the same result
never both move the statistics. A batch of an LLM-analysed project asks for
the refresh of its insights (:func:`analysis.insights_cache.request_refresh`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from bson import ObjectId
from celery import current_app
from django.conf import settings
from django.utils import timezone

from analysis import insights_cache, signals, stats
from analysis.engine.base import AnalysisItem, AnalysisOptions, Engine
from analysis.engine.factory import engine_for_project
from analysis.engine.llm.budget import BudgetExceeded
from analysis.engine.llm.engine import LLMEngine
from projects.models import Project
from scraping.results_store import UNANALYSED, is_analysed
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)
RESULT_FIELDS = {
    "project_id": 1, "target_id": 1, "platform": 1, "content": 1, "analysis": 1, "excluded": 1,
    "flags": 1, "created_at": 1,
}  # fmt: skip


def batches(ids: list, size: int) -> Iterable[list]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def enqueue_analysis(project_id: ObjectId, result_ids: list, job_id: ObjectId | None = None) -> int:
    """Send the results to the analysis queue in batches; returns the number of batches.

    The results are stamped ``analysis_queued_at`` so the sweep leaves them to these tasks
    until a task has had time to run."""
    if not result_ids:
        return 0
    collection("results").update_many(
        {"_id": {"$in": list(result_ids)}}, {"$set": {"analysis_queued_at": timezone.now()}}
    )
    count = 0
    for batch in batches([str(i) for i in result_ids], settings.ANALYSIS_BATCH_SIZE):
        current_app.send_task(
            "analysis.analyze_results", args=[str(project_id), batch, str(job_id) if job_id else None]
        )
        count += 1
    return count


def enqueue_unanalysed_of_job(job_id: ObjectId, target_id: ObjectId) -> int:
    """Queue every result the job stored for the target that is not analysed yet.

    Driven by what is stored, not by what the last attempt inserted: rows stored by an
    attempt whose worker died are found here too. Returns how many were queued.
    """
    pending: dict[ObjectId, list] = {}
    # Only the indexed ``scrape_job_id`` is queried; the rest is matched here.
    for doc in collection("results").find(
        {"scrape_job_id": job_id}, {"project_id": 1, "target_id": 1, "analysis.engine": 1}
    ):
        if doc["target_id"] == target_id and not is_analysed(doc):
            pending.setdefault(doc["project_id"], []).append(doc["_id"])
    for project_id, ids in pending.items():
        enqueue_analysis(project_id, ids, job_id=job_id)
    return sum(len(ids) for ids in pending.values())


def sweep_unanalysed(
    project_ids: list | None = None, *, older_than: int | None = None, now: datetime | None = None
) -> dict:
    """Queue results still unanalysed ``older_than`` seconds after they were stored or last
    queued (a batch lost with a killed worker, a task that failed). Returns counts per project
    id (as strings) of what was queued."""
    now = now or timezone.now()
    older_than = settings.ANALYSIS_REQUEUE_AFTER_SECONDS if older_than is None else older_than
    cutoff = now - timedelta(seconds=older_than)
    query = dict(UNANALYSED)
    if project_ids is not None:
        query["project_id"] = {"$in": list(project_ids)}
    pending: dict[ObjectId, list] = {}
    for doc in collection("results").find(query, {"project_id": 1, "created_at": 1, "analysis_queued_at": 1}):
        last = doc.get("analysis_queued_at") or doc.get("created_at")
        if last is None or last <= cutoff:
            pending.setdefault(doc["project_id"], []).append(doc["_id"])
    for project_id, ids in pending.items():
        enqueue_analysis(project_id, ids)
    return {str(project_id): len(ids) for project_id, ids in pending.items()}


def analysis_items(docs: list[dict]) -> list[AnalysisItem]:
    """The engine's items of these result documents."""
    items = []
    for doc in docs:
        content = doc.get("content") or {}
        scale = (content.get("metadata") or {}).get("rating_scale") or 5.0
        items.append(
            AnalysisItem(
                id=str(doc["_id"]),
                text=content.get("text") or "",
                title=content.get("title") or "",
                rating=content.get("rating"),
                rating_scale=float(scale),
            )
        )
    return items


def project_engine(project: dict) -> Engine:
    """The engine the project's settings ask for (the local engine by default)."""
    return engine_for_project(Project.objects.get(pk=project["_id"]))


def analyze_results(project_id: ObjectId, result_ids: list[ObjectId], job_id: ObjectId | None = None) -> int:
    """Analyse these results with the project's engine and settings; returns how many changed."""
    project = collection("projects").find_one({"_id": project_id})
    if project is None:
        return 0
    config = AnalysisOptions.from_dict((project.get("config") or {}).get("analysis"))
    docs = list(
        collection("results").find({"_id": {"$in": result_ids}, "project_id": project_id}, RESULT_FIELDS)
    )
    if not docs:
        return 0
    engine = project_engine(project)
    stopped = None
    try:
        analyses = engine.analyze(analysis_items(docs), config)
    except BudgetExceeded as exc:
        # What was analysed before the budget ran out is written; the rest waits, unlost.
        analyses, stopped = exc.results, exc
    usage = getattr(engine, "usage", None)
    delta = stats.Delta()
    changed_ids: list[ObjectId] = []
    now = timezone.now()
    for doc in docs:
        result = analyses.get(str(doc["_id"]))
        if result is None:
            continue
        new_analysis = {**result.analysis, "engine": result.engine or engine.name}
        previous = (doc.get("analysis") or {}).get("sentiment") or {}
        guard = {"_id": doc["_id"], "analysis.sentiment.analyzed_at": previous.get("analyzed_at")}
        updated = collection("results").update_one(
            guard,
            {
                "$set": {
                    "analysis": new_analysis,
                    "language": result.language,
                    "word_count": result.word_count,
                    "flags.rating_disagreement": bool(result.rating_disagreement),
                    "updated_at": now,
                }
            },
        )
        if not updated.modified_count:
            continue  # someone else re-analysed it meanwhile; their delta counts
        changed_ids.append(doc["_id"])
        delta.add(stats.contribution(doc), -1)
        delta.add(
            stats.contribution(
                {
                    **doc,
                    "analysis": new_analysis,
                    "flags": {"rating_disagreement": result.rating_disagreement},
                }
            ),
            +1,
        )
    stats.apply(delta)
    changed = len(changed_ids)
    collection("projects").update_one(
        {"_id": project_id}, {"$set": {"analysis_notice": str(stopped) if stopped else ""}}
    )
    if changed_ids:
        announce_batch(
            project_id, changed_ids, sorted({day for _p, _t, _pl, day in delta.daily_keys.values()})
        )
    if changed and isinstance(engine, LLMEngine):
        # The LLM's summary of the insights is written here, off the pages' requests.
        insights_cache.request_refresh(project_id)
    if usage is not None and job_id is not None:
        collection("scrape_jobs").update_one(
            {"_id": job_id},
            {"$inc": {"llm_usage.prompt_tokens": usage.prompt_tokens,
                      "llm_usage.completion_tokens": usage.completion_tokens,
                      "llm_usage.cost_usd": usage.cost_usd}},
        )  # fmt: skip
    return changed


def announce_batch(project_id: ObjectId, result_ids: list[ObjectId], days: list[datetime]) -> None:
    """Tell the apps above that these results were analysed (:data:`analysis.signals.batch_analysed`);
    a receiver that fails is logged, the batch stands."""
    for receiver, outcome in signals.batch_analysed.send_robust(
        sender=Project, project_id=project_id, result_ids=result_ids, days=days
    ):
        if isinstance(outcome, Exception):
            logger.error(
                "batch of project %s analysed, but %s could not handle it",
                project_id,
                getattr(receiver, "__qualname__", receiver),
                exc_info=(type(outcome), outcome, outcome.__traceback__),
            )


def set_excluded(result_id: ObjectId, excluded: bool) -> bool:
    """Triage: take a result out of (or back into) the statistics; reversible."""
    doc = collection("results").find_one_and_update(
        {"_id": result_id, "excluded": not excluded},
        {"$set": {"excluded": excluded}},
        projection=RESULT_FIELDS,
    )
    if doc is None:
        return False
    delta = stats.Delta()
    delta.add(stats.contribution({**doc, "excluded": False}), -1 if excluded else +1)
    stats.apply(delta)
    return True


def set_excluded_many(match: dict, excluded: bool) -> int:
    """Triage every result ``match`` finds out of (or back into) the statistics in one update;
    the number changed.

    The results that will change are read first (their contributions), then changed by one
    ``update_many`` that names them and their current state. (A result another request toggles
    in that instant may be counted by both; ``analysis.stats.rebuild`` puts counters right.)
    """
    found = list(collection("results").find({**match, "excluded": not excluded}, RESULT_FIELDS))
    if not found:
        return 0
    changed = (
        collection("results")
        .update_many(
            {"_id": {"$in": [doc["_id"] for doc in found]}, "excluded": not excluded},
            {"$set": {"excluded": excluded}},
        )
        .modified_count
    )
    delta = stats.Delta()
    for doc in found:
        delta.add(stats.contribution({**doc, "excluded": False}), -1 if excluded else +1)
    stats.apply(delta)
    return changed


def remove_results(query: dict) -> int:
    """Delete results and take their contributions out of the statistics."""
    delta = stats.Delta()
    ids: list[ObjectId] = []
    per_target: Counter[ObjectId] = Counter()
    per_project: Counter[ObjectId] = Counter()
    for doc in collection("results").find(query, RESULT_FIELDS):
        delta.add(stats.contribution(doc), -1)
        ids.append(doc["_id"])
        per_target[doc["target_id"]] += 1
        per_project[doc["project_id"]] += 1
    if not ids:
        return 0
    collection("results").delete_many({"_id": {"$in": ids}})
    stats.apply(delta)
    for target_id, n in per_target.items():
        collection("targets").update_one({"_id": target_id}, {"$inc": {"stats.results_count": -n}})
    for project_id, n in per_project.items():
        collection("projects").update_one({"_id": project_id}, {"$inc": {"stats.total_results": -n}})
    return len(ids)
