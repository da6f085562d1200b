"""Retention clean-up of the specification's data-retention table.

- ``results``: kept for the owner's plan retention (``accounts.plans``), judged on the result's
  ``created_at`` (when it was scraped). Results whose owner no longer exists (or have no
  ``user_id``) get the specification's default of 90 days.
- ``scrape_jobs``: kept 30 days after their ``created_at``, whatever their status.
- ``webhook_deliveries``, ``audit_logs`` and ``refresh_tokens`` expire through TTL indexes and
  are not handled here.

Documents without a ``created_at`` date are never removed: their age is unknown. The work is
done with ``delete_many`` on the spec's collection and field names, in chunks of owner ids, so
it runs on any size of database without loading results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pymongo.collection import Collection
from pymongo.database import Database

from accounts import plans
from analysis.pipeline import remove_results
from sentimatrix.mongo import get_db

DEFAULT_RESULT_RETENTION_DAYS = 90
JOB_RETENTION_DAYS = 30
# A deleted account keeps its address reserved this long, then the document goes.
ACCOUNT_DELETION_GRACE_DAYS = 30
NO_OWNER = "no existing owner"
# Owner ids per query: keeps each filter document small whatever the number of users.
ID_CHUNK = 1000


@dataclass
class PlanRemoval:
    """Results removed (or, in a dry run, that would be) for the owners of one plan."""

    label: str
    retention_days: int
    owners: int
    removed: int


@dataclass
class CleanupReport:
    dry_run: bool
    now: datetime
    results: list[PlanRemoval] = field(default_factory=list)
    scrape_jobs_removed: int = 0
    accounts_purged: int = 0

    @property
    def results_removed(self) -> int:
        return sum(p.removed for p in self.results)


def _remove(coll: Collection, query: dict, dry_run: bool) -> int:
    if dry_run:
        return coll.count_documents(query)
    if coll.name == "results":
        # Through the pipeline, so statistics describe the results that remain.
        return remove_results(query)
    return coll.delete_many(query).deleted_count


def _chunks(items: list, size: int = ID_CHUNK) -> Iterator[list]:

    for start in range(0, len(items), size):
        yield items[start : start + size]


def owners_by_plan(db: Database) -> dict[str, list]:
    """User ids grouped by the key of their plan (unknown or missing plans fall to the default)."""
    groups: dict[str, list] = defaultdict(list)
    for user in db["users"].find({}, {"plan": 1}):
        groups[plans.get_plan(user.get("plan") or plans.DEFAULT_PLAN).key].append(user["_id"])
    return groups


def purge_expired(
    now: datetime | None = None, dry_run: bool = False, db: Database | None = None
) -> CleanupReport:
    """Remove results past their owner's plan retention and scrape jobs older than 30 days.

    With ``dry_run`` nothing is deleted and the report counts what would be.
    """
    db = db if db is not None else get_db()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    report = CleanupReport(dry_run=dry_run, now=now)
    results = db["results"]

    groups = owners_by_plan(db)
    known = set()
    for key in sorted(groups, key=lambda k: plans.get_plan(k).retention_days):
        plan = plans.get_plan(key)
        ids = groups[key]
        known.update(ids)
        cutoff = now - timedelta(days=plan.retention_days)
        removed = sum(
            _remove(results, {"user_id": {"$in": chunk}, "created_at": {"$lt": cutoff}}, dry_run)
            for chunk in _chunks(ids)
        )
        report.results.append(PlanRemoval(plan.label, plan.retention_days, len(ids), removed))

    cutoff = now - timedelta(days=DEFAULT_RESULT_RETENTION_DAYS)
    owners = results.distinct("user_id", {"created_at": {"$lt": cutoff}})
    # None matches both a null and a missing user_id.
    orphans = [None, *(owner for owner in owners if owner is not None and owner not in known)]
    removed = sum(
        _remove(results, {"user_id": {"$in": chunk}, "created_at": {"$lt": cutoff}}, dry_run)
        for chunk in _chunks(orphans)
    )
    report.results.append(PlanRemoval(NO_OWNER, DEFAULT_RESULT_RETENTION_DAYS, len(orphans) - 1, removed))

    job_cutoff = now - timedelta(days=JOB_RETENTION_DAYS)
    if not dry_run:
        # Results outlive their job: they keep no pointer to a job that is gone.
        old_jobs = db["scrape_jobs"].distinct("_id", {"created_at": {"$lt": job_cutoff}})
        for chunk in _chunks(old_jobs):
            db["results"].update_many({"scrape_job_id": {"$in": chunk}}, {"$set": {"scrape_job_id": None}})
    report.scrape_jobs_removed = _remove(db["scrape_jobs"], {"created_at": {"$lt": job_cutoff}}, dry_run)

    grace_cutoff = now - timedelta(days=ACCOUNT_DELETION_GRACE_DAYS)
    report.accounts_purged = _remove(
        db["users"], {"status": "deleted", "deleted_at": {"$lt": grace_cutoff}}, dry_run
    )
    return report
