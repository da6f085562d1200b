"""What the pages and the ``scrape`` command show of a job: :func:`job_summary`."""

from __future__ import annotations

from dataclasses import dataclass, field

from projects.models import Project, Target
from scraping.job_progress import analysed_counts, still_analysing
from scraping.models import JobStatus, ScrapeJob

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

    @property
    def chip(self) -> str:
        return STATUS_CHIPS.get(self.status, "neutral")


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
                progress=entry.progress,
                collected=entry.results_count,
                available=entry.available_total,
                partial=entry.partial,
                partial_reason=_partial_reason(entry, limit),
                # A partial run's note (a limit reached) is its reason, not an error.
                error="" if entry.partial else entry.error,
                caveat=target.caveat if target else "",
                attempts=entry.attempts,
                removed=target is None,
            )
        )
    return summary
