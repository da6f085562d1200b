"""Run one target of a scrape job: claim it, page through its collector, store, report.

The job document is the source of truth. A target entry moves
queued → running → completed/failed/cancelled through the conditional updates of
:mod:`scraping.job_state`, so a task delivered twice, or re-queued by the reaper while
the first copy still runs, does the work once. A running target writes a heartbeat after every page.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bson import ObjectId
from django.utils import timezone
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from projects.services import record_platform_name
from scraping import credentials, job_state
from scraping.collectors.base import CollectedItem, Collector, CollectorError, FetchContext, TargetSpec
from scraping.collectors.registry import get_collector
from scraping.models import JobStatus
from scraping.results_store import TargetRef, write_items
from sentimatrix.http import FetchError, HttpClient
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)


class TargetCancelled(Exception):
    """The job was cancelled while this target ran."""


@dataclass
class RunOutcome:
    status: str
    collected: int = 0  # new results stored by this run
    requests: int = 0
    error: str = ""
    partial: bool = False
    reported_total: int | None = None
    new_result_ids: list[ObjectId] = field(default_factory=list)
    # What the collector asked to store on the target after the run (Page.target_updates).
    target_updates: dict = field(default_factory=dict)
    coverage: dict | None = None  # Page.coverage, for the job's entry of the target


def claim(job_id: ObjectId, target_id: ObjectId) -> dict | None:
    """Move the target entry from queued to running; None when someone else has it."""
    # update_one then a read, not find_one_and_update: the embedded server rejects the
    # positional operator inside findAndModify (MongoDB accepts both).
    if not job_state.claim_target(job_id, target_id, timezone.now()).apply():
        return None
    return collection("scrape_jobs").find_one({"_id": job_id})


def _daily_requests_key(project_id: ObjectId) -> str:
    return f"{project_id}:{datetime.now(UTC):%Y-%m-%d}"


def take_requests(project_id: ObjectId, count: int, daily_cap: int) -> bool:
    """Count requests against the project's daily cap; False once no request is left today."""
    if count <= 0:
        return requests_left_today(project_id, daily_cap) > 0
    key = _daily_requests_key(project_id)
    # The day's counter is created first, apart from the increment: two targets starting
    # together would otherwise both upsert it, and the loser gets no document back.
    with contextlib.suppress(DuplicateKeyError):
        collection("request_counters").update_one(
            {"_id": key}, {"$setOnInsert": {"count": 0, "created_at": timezone.now()}}, upsert=True
        )
    doc = collection("request_counters").find_one_and_update(
        {"_id": key}, {"$inc": {"count": count}}, return_document=ReturnDocument.AFTER
    )
    return doc["count"] < daily_cap


def requests_left_today(project_id: ObjectId, daily_cap: int) -> int:
    doc = collection("request_counters").find_one({"_id": _daily_requests_key(project_id)})
    return max(0, daily_cap - (doc or {}).get("count", 0))


def _progress(collected: int, limit: int, reported: int | None) -> int:
    goal = min(limit, reported) if reported else limit
    return max(1, min(99, round(100 * collected / max(goal, 1))))


def _report_page(
    job_id: ObjectId, target_id: ObjectId, *, new: int, requests: int, progress: int
) -> dict | None:
    """Heartbeat + counters after a page; answers the job (to see a cancellation)."""
    reported = job_state.report_page(
        job_id, target_id, timezone.now(), progress=progress, new=new, requests=requests
    )
    if not reported.apply():
        return None
    return collection("scrape_jobs").find_one({"_id": job_id}, {"cancel_requested": 1, "status": 1})


#: Platforms whose collector can fetch through a commercial scraping provider.
PROVIDER_PLATFORMS = frozenset({"amazon", "googleplay"})


def collect(job: dict, target: dict, project: dict) -> RunOutcome:
    """Collect a target directly; when that fails without a single result and the project
    has a commercial provider, try once more through the provider."""
    provider_options = credentials.commercial_options(project)
    outcome = _collect_once(job, target, project, {})
    if (
        outcome.status == JobStatus.FAILED
        and outcome.collected == 0
        and provider_options
        and target["platform"] in PROVIDER_PLATFORMS
    ):
        first_error = outcome.error
        retried = _collect_once(job, target, project, provider_options)
        retried.requests += outcome.requests
        if retried.status == JobStatus.FAILED:
            retried.error = (
                f"{first_error}; through {provider_options['commercial_provider']}: {retried.error}"
            )
        return retried
    return outcome


def _collect_once(job: dict, target: dict, project: dict, provider_options: dict) -> RunOutcome:  # noqa: PLR0912, PLR0915 - one paging loop with its stop conditions
    """Page through the target's collector, storing every page as it arrives."""
    limits = project["config"]["limits"]
    options = job.get("options") or {}
    max_items = options.get("max_results") or limits["max_reviews_per_target"]
    # A target's own limit only lowers the job's (the plan checked the project's).
    own_limit = (target.get("options") or {}).get("max_results")
    if own_limit:
        max_items = min(max_items, int(own_limit))
    daily_cap = limits["max_requests_per_day"]
    ref = TargetRef(project["_id"], target["_id"], target["user_id"], target["platform"])
    spec = TargetSpec(
        platform=target["platform"],
        url=target["url"],
        platform_data=credentials.platform_data(target),
        options={**(target.get("options") or {}), **provider_options},
        id=str(target["_id"]),
        metadata=target.get("metadata") or {},
    )
    http = HttpClient(rate_limit_delay=float(limits.get("rate_limit_delay") or 0))
    ctx = FetchContext(
        http=http,
        max_items=max_items,
        include_replies=bool(options.get("include_replies")),
        date_from=options.get("date_from"),
        date_to=options.get("date_to"),
        credentials=credentials.for_target(target["user_id"], project, spec),
    )
    outcome = RunOutcome(status=JobStatus.COMPLETED)
    if requests_left_today(project["_id"], daily_cap) <= 0:
        http.close()
        return RunOutcome(
            status=JobStatus.FAILED,
            error=f"the project's limit of {daily_cap} requests per day is reached; it resets at midnight UTC",
        )
    seen_requests = 0
    collector = get_collector(target["platform"])
    run_limit = collector.run_limit(spec, max_items)
    problems: list[str] = []
    name = ""
    try:
        for page in collector.pages(spec, ctx):
            requests = http.requests_made - seen_requests
            seen_requests = http.requests_made
            outcome.requests += requests
            name = name or page.target_name
            if page.reported_total is not None:
                outcome.reported_total = page.reported_total
            if page.target_updates is not None:
                outcome.target_updates = page.target_updates
            if page.problem:
                problems.append(page.problem)
            if page.coverage is not None:
                outcome.coverage = page.coverage
            room = run_limit - outcome.collected
            written = write_items(page.items[:room], ref, job["_id"])
            outcome.collected += written.inserted
            outcome.new_result_ids += written.inserted_ids
            if written.inserted:
                _count_for_project(project["_id"], job["_id"], target["_id"], written.inserted)
            state = _report_page(
                job["_id"],
                target["_id"],
                new=written.inserted,
                requests=requests,
                progress=_progress(outcome.collected, run_limit, outcome.reported_total),
            )
            if state is None or state.get("cancel_requested"):
                raise TargetCancelled
            if outcome.collected >= run_limit:
                outcome.partial = bool(page.next_cursor) or (
                    outcome.reported_total is not None and outcome.reported_total > outcome.collected
                )
                break
            if (
                collector.stops_at_known_items
                and page.items
                and written.inserted == 0
                and _stored_by_earlier_jobs(page.items, target, job)
            ):
                # Incremental run: this page holds only items stored by earlier jobs. (Items
                # this job stored before its worker died do not count: the run resumes.)
                break
            if not take_requests(project["_id"], requests, daily_cap):
                if page.next_cursor:
                    outcome.partial = True
                    outcome.error = f"stopped at the project's limit of {daily_cap} requests per day"
                break
        if not name and not target.get("name_fetched") and requests_left_today(project["_id"], daily_cap):
            name = _fetch_name(collector, spec, ctx)
            extra = http.requests_made - seen_requests
            outcome.requests += extra
            take_requests(project["_id"], extra, daily_cap)  # the cap counts every request
        if name:
            record_platform_name(target["_id"], name)
    except TargetCancelled:
        outcome.status = JobStatus.CANCELLED
        outcome.partial = True
    except (CollectorError, FetchError) as exc:
        outcome.status = JobStatus.FAILED
        outcome.error = str(exc)
    finally:
        http.close()
        # A fetch that failed sent its attempts without yielding a page: they count all the same.
        unreported = http.requests_made - seen_requests
        if unreported > 0:
            outcome.requests += unreported
            job_state.count_requests(job["_id"], target["_id"], unreported).apply()
            take_requests(project["_id"], unreported, daily_cap)
    if problems and outcome.status == JobStatus.COMPLETED:
        outcome.partial = True
        outcome.error = "; ".join([*problems, outcome.error] if outcome.error else problems)
    if outcome.status == JobStatus.COMPLETED and outcome.collected == 0 and outcome.reported_total:
        already = collection("results").count_documents({"target_id": target["_id"]}, limit=1)
        if not already:
            # The platform says there is something to collect, yet nothing came back.
            outcome.status = JobStatus.FAILED
            outcome.error = f"0 collected of {outcome.reported_total} reported"
    return outcome


def _fetch_name(collector: Collector, spec: TargetSpec, ctx: FetchContext) -> str:
    """The platform's name of the target; a failure leaves the name for the next run, it
    never fails a collection that succeeded."""
    # One attempt: a name is worth no retries (and no back-off) of a collection that is done.
    once = copy.copy(ctx.http)
    once.max_retries = 0
    before = once.requests_made
    try:
        return collector.fetch_name(spec, dataclasses.replace(ctx, http=once))
    except Exception:
        logger.info("no name fetched for target %s", spec.id, exc_info=True)
        return ""
    finally:
        ctx.http.requests_made += once.requests_made - before


def _stored_by_earlier_jobs(items: Sequence[CollectedItem], target: dict, job: dict) -> bool:

    ids = [str(item.platform_id) for item in items]
    earlier = collection("results").count_documents(
        {
            "target_id": target["_id"],
            "content.platform_id": {"$in": ids},
            "scrape_job_id": {"$ne": job["_id"]},
        }
    )
    return earlier >= len(set(ids))


def stored_by_job(job_id: ObjectId, target_id: ObjectId) -> int:
    """How many results this job stored for the target, over every attempt.

    Only the indexed ``scrape_job_id`` is queried (the embedded server plans a second
    predicate as a collection scan); the target is matched here.
    """
    return sum(
        1 for doc in collection("results").find({"scrape_job_id": job_id}, {"target_id": 1})
        if doc["target_id"] == target_id
    )  # fmt: skip


def _counting_key(job_id: ObjectId, target_id: ObjectId) -> str:
    return f"counting.{job_id}-{target_id}"


def _count_for_project(project_id: ObjectId, job_id: ObjectId, target_id: ObjectId, inserted: int) -> None:
    """Add a page's new rows to the project's total, and to a tally of what this job's target
    added, in one single-document update: a worker killed at any instant leaves the two agreeing,
    so the target's end can add exactly the rows no attempt counted."""
    collection("projects").update_one(
        {"_id": project_id},
        {"$inc": {"stats.total_results": inserted, _counting_key(job_id, target_id): inserted}},
    )


def finish_target(job_id: ObjectId, target: dict, outcome: RunOutcome) -> bool:
    """Record the target's end in the job and on the target; False if already recorded.

    The counters are set from what is stored, not from what this attempt inserted: an
    attempt whose worker died stored rows that the retry then found already there.
    """
    now = timezone.now()
    failed = outcome.status == JobStatus.FAILED
    stored = stored_by_job(job_id, target["_id"])
    ended = job_state.end_target(
        job_id,
        target["_id"],
        outcome.status,
        now,
        error=outcome.error,
        results_count=stored,
        partial=outcome.partial,
        available_total=outcome.reported_total,
        coverage=outcome.coverage,
    )
    if not ended.apply():
        return False
    # Rows a dead attempt stored but never counted for the project (its worker died between
    # inserting them and counting them) are counted now; the tally is then done with.
    key = _counting_key(job_id, target["_id"])
    project = collection("projects").find_one({"_id": target["project_id"]}, {key: 1}) or {}
    counted = int((project.get("counting") or {}).get(key.split(".", 1)[1]) or 0)
    collection("projects").update_one(
        {"_id": target["project_id"]},
        {"$inc": {"stats.total_results": max(stored - counted, 0)}, "$unset": {key: ""}},
    )
    target_update: dict[str, dict] = {
        "$set": {
            "stats.last_scraped_at": now,
            "error_message": outcome.error if failed else "",
            "status": "error" if failed else target.get("status", "active"),
            "updated_at": now,
        },
        "$inc": {"stats.results_count": stored},
    }
    if outcome.reported_total is not None:
        target_update["$set"]["stats.available_total"] = outcome.reported_total
    target_update["$set"].update(outcome.target_updates)
    if not failed and target.get("status") == "error":
        target_update["$set"]["status"] = "active"
    collection("targets").update_one({"_id": target["_id"]}, target_update)
    return True


def fail_unclaimable(job_id: ObjectId, target_id: ObjectId, message: str) -> None:
    """Mark a target failed without running it (its target or project is gone)."""
    job_state.end_target(
        job_id, target_id, JobStatus.FAILED, timezone.now(), since=job_state.ACTIVE_STATUSES, error=message
    ).apply()
