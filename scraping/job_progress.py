"""How far a scrape job has got: its collection (:func:`job_percent`, the one formula every page,
the ``scrape`` command and the API show) and the analysis of its new results.

A job ends when its targets are collected; their results are analysed by separate tasks
right after, so the job page keeps showing (and polling) the analysis until it catches up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from scraping.results_store import is_analysed
from sentimatrix.mongo import collection

# Past this long after the job ended, a page stops waiting for analyses (a stopped budget, a
# broken provider or a re-analysis in between leave results unanalysed; the project page
# tells why).
WAIT_AFTER_END = timedelta(minutes=30)


#: Target states that have ended (a target in one of them counts in full).
ENDED = frozenset({"completed", "failed", "cancelled"})


def job_percent(finished: bool, targets: Iterable[tuple[str, int]], stored: int = 0) -> int:
    """Percent collected of a job: each target's share is its own progress (the fraction of the
    items or pages it expects, written by its worker after every page; 100 once it ended), and the
    job's is their mean, rounded down.

    ``targets`` are ``(status, progress)`` of the job's target entries. A job reads 100 only once
    it is ``finished``; while any target has not ended it reads 99 at most, however many targets
    are done. ``stored`` is the job's own figure, used before it has target entries.
    """
    if finished:
        return 100
    entries = list(targets)
    if not entries:
        return stored
    percent = math.floor(sum(progress for _, progress in entries) / len(entries))
    if any(status not in ENDED for status, _ in entries):
        percent = min(percent, 99)
    return max(0, min(percent, 100))


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
