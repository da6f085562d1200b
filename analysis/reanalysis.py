"""Re-analysing a project (or one target) with its current settings, on demand.

A run is a document in ``analysis_runs`` (project, target, total, done, status);
batches increment ``done`` as they finish, so the page shows a progress bar.
With an LLM provider, a run on many results first shows its estimated cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId
from celery import current_app
from django.conf import settings
from django.utils import timezone
from pymongo import ReturnDocument

from analysis.engine.base import AnalysisOptions
from analysis.engine.llm import pricing
from projects.llm_usage import uses_llm
from projects.models import Project, Target
from sentimatrix.mongo import collection
from sentimatrix.refusals import Refused

RUNS = "analysis_runs"


class ReanalysisRefused(Refused):
    """A re-analysis cannot start (one is running, nothing to analyse)."""


@dataclass(frozen=True)
class Estimate:
    results: int
    engine: str  # "local" or the LLM model
    cost: pricing.CostEstimate | None

    @property
    def needs_confirmation(self) -> bool:
        return self.cost is not None and pricing.confirmation_needed(self.results)


def _scope(project: Project, target: Target | None = None) -> dict:
    query: dict[str, object] = {"project_id": project.pk, "excluded": {"$ne": True}}
    if target is not None:
        query["target_id"] = target.pk
    return query


def estimate(project: Project, target: Target | None = None) -> Estimate:
    """How many results a re-analysis touches and, with an LLM, what it should cost."""
    query = _scope(project, target)
    count = collection("results").count_documents(query)
    if not uses_llm(project):
        return Estimate(count, "local", None)
    sample = list(collection("results").find(query, {"content.text": 1, "content.title": 1}).limit(200))
    chars = [len(d["content"].get("text") or "") + len(d["content"].get("title") or "") for d in sample]
    avg = (sum(chars) / len(chars)) if chars else 0
    llm = project.config.llm
    cost = pricing.estimate_cost(
        llm.model,
        count,
        avg,
        config=AnalysisOptions.of(project.config.analysis),
        max_tokens=llm.max_tokens,
        provider=llm.provider,
    )
    return Estimate(count, llm.model, cost)


def active_run(project: Project) -> dict | None:
    return collection(RUNS).find_one({"project_id": project.pk, "status": "running"})


def start(project: Project, target: Target | None = None) -> dict:
    """Create a run and send its batches to the analysis queue."""
    if active_run(project) is not None:
        raise ReanalysisRefused("A re-analysis of this project is already running.")
    ids = [d["_id"] for d in collection("results").find(_scope(project, target), {"_id": 1})]
    if not ids:
        raise ReanalysisRefused("There are no results to analyse yet. Run a scrape first.")
    run = {
        "_id": ObjectId(),
        "project_id": project.pk,
        "target_id": target.pk if target is not None else None,
        "user_id": project.user_id,
        "total": len(ids),
        "done": 0,
        "status": "running",
        "created_at": timezone.now(),
    }
    collection(RUNS).insert_one(run)
    size = settings.ANALYSIS_BATCH_SIZE
    for start_at in range(0, len(ids), size):
        batch = [str(i) for i in ids[start_at : start_at + size]]
        current_app.send_task("analysis.reanalyze_batch", args=[str(run["_id"]), str(project.pk), batch])
    return run


def record_batch(run_id: ObjectId, count: int) -> None:
    """Count a finished batch; the run completes when every result was handled."""
    run = collection(RUNS).find_one_and_update(
        {"_id": run_id}, {"$inc": {"done": count}}, return_document=ReturnDocument.AFTER
    )
    if run is not None and run["done"] >= run["total"]:
        collection(RUNS).update_one(
            {"_id": run_id, "status": "running"},
            {"$set": {"status": "completed", "completed_at": timezone.now()}},
        )


def progress(run: dict | None) -> int:
    if not run or not run.get("total"):
        return 0
    return min(100, round(100 * run["done"] / run["total"]))


def latest_run(project: Project) -> dict | None:

    return collection(RUNS).find_one({"project_id": project.pk}, sort=[("created_at", -1)])
