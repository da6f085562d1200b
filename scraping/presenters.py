"""What the pages and the ``scrape`` command show of a job: :func:`job_summary`."""

from __future__ import annotations

from dataclasses import dataclass, field

from projects.models import Project, Target
from projects.platforms import Platform
from scraping.job_progress import analysed_counts, still_analysing
from scraping.models import FINISHED_STATUSES, JobStatus, ScrapeJob
from scraping.remedies import Remedy, remedy_for

STATUS_CHIPS = {JobStatus.COMPLETED: "positive", JobStatus.FAILED: "negative"}


@dataclass
class TargetProgress:
    """One target's line on a job page."""

    target_id: object
    label: str
    platform: str
    status: str
    status_label: str
    progress: int
    collected: int
    available: int | None
    partial: bool
    partial_reason: str
    error: str
    caveat: str
    attempts: int
    removed: bool = False
    remedy: Remedy | None = None
    requests: int = 0
    # A keyword monitor's platforms: (label, found, new, error) of this run.
    coverage: list[tuple[str, int, int, str]] = field(default_factory=list)

    @property
    def chip(self) -> str:
        return STATUS_CHIPS.get(self.status, "neutral")

    @property
    def failed(self) -> bool:
        return self.status == JobStatus.FAILED


@dataclass
class JobSummary:
    job: ScrapeJob
    progress: int
    active: bool
    chip: str
    targets: list[TargetProgress] = field(default_factory=list)
    analysed: int = 0
    analysis_total: int = 0
    analysing: bool = False

    @property
    def polling(self) -> bool:
        """The page asks again while the job runs or its new results are being analysed."""
        return self.active or self.analysing

    @property
    def analysis_progress(self) -> int:
        return round(100 * self.analysed / self.analysis_total) if self.analysis_total else 100

    @property
    def failed_count(self) -> int:
        return sum(entry.status == JobStatus.FAILED for entry in self.job.targets)

    @property
    def can_retry(self) -> bool:
        """The job offers "retry failed targets": it ended and some of its targets failed."""
        return not self.active and self.failed_count > 0

    @property
    def targets_done(self) -> int:
        return self.job.stats.targets_completed

    @property
    def targets_total(self) -> int:
        return self.job.stats.targets_total or len(self.job.targets)


def _partial_reason(entry, limit: int | None) -> str:
    if not entry.partial:
        return ""
    if entry.status == JobStatus.CANCELLED:
        return "cancelled; what was collected is kept"
    if entry.error:
        return entry.error
    if limit:
        return f"stopped at the limit of {limit:,} results per target"
    return "stopped before the end"


def collected_share(collected: int, available: int | None, limit: int | None) -> int:
    """What a failed target's bar shows: the share of what it expected that it did collect
    (of what the platform reported, capped by the limit), never a full bar it did not earn."""
    goal = min(x for x in (available, limit) if x) if (available or limit) else 0
    if not goal:
        return 0
    return max(0, min(100, 100 * collected // goal))


def job_summary(
    job: ScrapeJob,
    *,
    project: Project | None = None,
    with_targets: bool = False,
    with_analysis: bool | None = None,
) -> JobSummary:
    """What a page shows of a job: overall progress and, if asked, each target's line and how
    far the analysis of its new results has got (``with_analysis`` defaults to ``with_targets``)."""
    active = not job.is_finished
    summary = JobSummary(
        job=job, progress=job.overall_progress, active=active, chip=STATUS_CHIPS.get(job.status, "neutral")
    )
    if with_analysis is None:
        with_analysis = with_targets
    if not (with_targets or with_analysis):
        return summary
    project = project or job.project
    if with_analysis:
        summary.analysed, summary.analysis_total = analysed_counts(job.pk)
        if not active:
            summary.analysing = still_analysing(
                job.completed_at, summary.analysed, summary.analysis_total, project.analysis_notice
            )
    if not with_targets:
        return summary
    limit = job.options.max_results or project.config.limits.max_reviews_per_target
    targets = {
        t.pk: t
        for t in Target.objects.filter(pk__in=[e.target_id for e in job.targets]).only(
            "label", "name", "url", "platform", "caveat"
        )
    }
    for entry in job.targets:
        target = targets.get(entry.target_id)
        summary.targets.append(
            TargetProgress(
                target_id=entry.target_id,
                label=target.display_label if target else "Removed target",
                platform=target.get_platform_display() if target else "",
                status=entry.status,
                status_label=JobStatus(entry.status).label
                if entry.status in JobStatus.values
                else entry.status,
                progress=collected_share(entry.results_count, entry.available_total, limit)
                if entry.status == JobStatus.FAILED
                else entry.progress,
                collected=entry.results_count,
                available=entry.available_total,
                partial=entry.partial,
                partial_reason=_partial_reason(entry, limit),
                # A partial run's note (a limit reached) is its reason, not an error.
                error="" if entry.partial else entry.error,
                caveat=target.caveat if target else "",
                attempts=entry.attempts,
                removed=target is None,
                remedy=remedy_for(
                    "" if entry.partial and entry.status != JobStatus.FAILED else entry.error,
                    project_id=job.project_id,
                    target_id=entry.target_id if target else None,
                    # The page has one "retry failed targets" button for them all, below the table.
                    retry=False,
                ),
                requests=entry.requests_made,
                coverage=monitor_coverage(entry.coverage),
            )
        )
    return summary


def monitor_coverage(coverage: dict | None) -> list[tuple[str, int, int, str]]:
    """A monitor run's per-platform record, as the job page lists it."""
    return [
        (
            Platform(p).label if p in Platform.values else p,
            c.get("found", 0),
            c.get("new", 0),
            c.get("error", ""),
        )
        for p, c in (coverage or {}).items()
    ]


@dataclass
class LastFailure:
    """The failure of a project's last finished job, for the pages that would otherwise say
    "nothing yet": which job, how many of its targets failed, the first reason and its remedy."""

    job: ScrapeJob
    failed: int
    total: int
    reason: str
    remedy: Remedy | None

    @property
    def whole(self) -> bool:
        """Every target failed (the job failed), not only some."""
        return self.failed == self.total


def last_failure(project: Project) -> LastFailure | None:
    """The failure of the project's last finished job, None when it did not fail (cancelled
    and clean jobs included)."""
    last = (
        ScrapeJob.objects.filter(project=project, status__in=list(FINISHED_STATUSES))
        .order_by("-created_at")
        .first()
    )
    if last is None or last.status == JobStatus.CANCELLED:
        return None
    failed = [entry for entry in last.targets if entry.status == JobStatus.FAILED]
    if not failed:
        return None
    first = failed[0]
    return LastFailure(
        job=last,
        failed=len(failed),
        total=len(last.targets),
        reason=first.error or "no detail was recorded",
        remedy=remedy_for(
            first.error or "failed", project_id=project.pk, target_id=first.target_id, job_id=last.pk
        ),
    )
