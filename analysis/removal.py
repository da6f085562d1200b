"""Removing a target with its results.

Its results leave the project's statistics as they go (:func:`analysis.pipeline.remove_results`),
then its daily statistics and the target itself (:func:`projects.services.delete_target`).
"""

from __future__ import annotations

from analysis import pipeline
from analysis.stats import DAILY, HOURLY
from projects.models import Target
from projects.services import ActionRefused, delete_target, ensure_writable
from scraping import jobs
from sentimatrix.mongo import collection


def remove_target(target: Target) -> int:
    """Remove a target with its results (statistics move with them) and its daily statistics;
    returns the number of results removed.

    Refused (``ActionRefused``) on an archived project and while a job is collecting the target.
    """
    ensure_writable(target.project)
    if jobs.collecting(target):
        raise ActionRefused(
            "A job is collecting this target right now: cancel the job or wait until it ends."
        )
    removed = pipeline.remove_results({"target_id": target.pk})
    collection(DAILY).delete_many({"target_id": target.pk})
    collection(HOURLY).delete_many({"target_id": target.pk})
    delete_target(target)
    return removed
