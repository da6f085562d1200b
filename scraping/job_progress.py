"""How far the analysis of a scrape job's new results has got, for the job pages.

A job ends when its targets are collected; their results are analysed by separate tasks
right after, so the job page keeps showing (and polling) the analysis until it catches up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from scraping.results_store import is_analysed
from sentimatrix.mongo import collection

# Past this long after the job ended, a page stops waiting for analyses (a stopped budget, a
# broken provider or a re-analysis in between leave results unanalysed; the project page
# tells why).
WAIT_AFTER_END = timedelta(minutes=30)


def analysed_counts(job_id: ObjectId) -> tuple[int, int]:
    """``(analysed, total)`` over the results this job collected first.

    The query names only the indexed ``scrape_job_id`` (the embedded server plans any other
    predicate as a collection scan); whether each result is analysed is checked here.
    """
    analysed = total = 0
    for doc in collection("results").find({"scrape_job_id": job_id}, {"analysis.engine": 1}):
        total += 1
        analysed += is_analysed(doc)
    return analysed, total


def still_analysing(completed_at: datetime | None, analysed: int, total: int, notice: str = "") -> bool:
    """Whether a finished job's page should keep waiting for its results to be analysed."""
    if analysed >= total or notice or completed_at is None:
        return False
    return datetime.now(UTC) - completed_at < WAIT_AFTER_END
