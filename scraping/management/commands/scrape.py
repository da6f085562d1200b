"""``manage.py scrape PROJECT_ID [--target ID] [--wait]``: run a scrape job from the shell."""

from __future__ import annotations

import time

from bson import ObjectId
from bson.errors import InvalidId
from django.core.management.base import BaseCommand, CommandError

from projects.models import Project, Target
from scraping import jobs
from scraping.models import JobStatus, ScrapeJob
from scraping.presenters import job_summary
from sentimatrix.refusals import Refused

BAR_WIDTH = 30


def _object_id(value: str, what: str) -> ObjectId:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError) as exc:
        raise CommandError(f"{value!r} is not a {what} id (24 hexadecimal characters).") from exc


def progress_line(job: ScrapeJob) -> str:
    """``[#########---------------------]  30%  1/3 targets  45 new results  running``"""
    summary = job_summary(job)
    filled = round(BAR_WIDTH * summary.progress / 100)
    return (
        f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {summary.progress:3d}%  "
        f"{summary.targets_done}/{summary.targets_total} targets  "
        f"{job.stats.results_total} new results  {job.status}"
    )


class Command(BaseCommand):
    help = (
        "Start a scrape job for a project (all its active targets, or one with --target). "
        "With --wait, show its progress until it ends; Ctrl-C then cancels the job."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_id", help="The project's id.")
        parser.add_argument("--target", dest="target_id", help="Collect only this target of the project.")
        parser.add_argument("--wait", action="store_true", help="Show progress until the job ends.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between progress checks (default 1)."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="Stop waiting after this many seconds (the job goes on).",
        )

    def handle(self, *args, **opts):
        project = Project.objects.filter(pk=_object_id(opts["project_id"], "project")).first()
        if project is None:
            raise CommandError(f"No project {opts['project_id']}.")
        target = None
        if opts["target_id"]:
            target = Target.objects.filter(
                pk=_object_id(opts["target_id"], "target"), project=project
            ).first()
            if target is None:
                raise CommandError(f"Project “{project.name}” has no target {opts['target_id']}.")
            target.project = project
        try:
            job = jobs.run_project(project, target=target)
        except Refused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Job {job.pk} started for “{project.name}”: {len(job.targets)} target(s).")
        if not opts["wait"]:
            return
        try:
            job = self._wait(job, max(0.05, opts["interval"]), opts["timeout"])
        except KeyboardInterrupt:
            jobs.cancel_job(job)
            raise CommandError(
                f"Interrupted: job {job.pk} is being cancelled; what was collected is kept."
            ) from None
        if job is None:
            raise CommandError("Stopped waiting; the job goes on (see its page for progress).")
        self._report(job)

    def _wait(self, job: ScrapeJob, interval: float, timeout: float | None) -> ScrapeJob | None:
        """Print a progress line whenever it changes (redrawn in place on a terminal)."""
        deadline = time.monotonic() + timeout if timeout else None
        tty = self.stdout.isatty()
        last = ""
        while True:
            job = ScrapeJob.objects.get(pk=job.pk)
            line = progress_line(job)
            if line != last:
                self.stdout.write(f"\r{line}" if tty else line, ending="" if tty else "\n")
                self.stdout.flush()
                last = line
            if job.is_finished:
                if tty:
                    self.stdout.write("")
                return job
            if deadline is not None and time.monotonic() >= deadline:
                if tty:
                    self.stdout.write("")
                return None
            time.sleep(interval)

    def _report(self, job: ScrapeJob) -> None:
        summary = job_summary(job, with_targets=True)
        for row in summary.targets:
            collected = (
                f"{row.collected} of {row.available} available"
                if row.available is not None
                else row.collected
            )
            notes = "; ".join(
                n for n in (f"partial: {row.partial_reason}" if row.partial else "", row.error) if n
            )
            self.stdout.write(
                f"  {row.label}: {row.status}, collected {collected}" + (f" ({notes})" if notes else "")
            )
        message = f"Job {job.pk} {job.status}: {job.stats.results_total} new result(s)."
        if job.status == JobStatus.COMPLETED:
            self.stdout.write(self.style.SUCCESS(message))
        else:
            raise CommandError(message + (f" {job.error_message}" if job.error_message else ""))
