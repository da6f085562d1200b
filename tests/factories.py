"""Small builders of users, projects and targets for tests (through the ORM, real database)."""

from __future__ import annotations

import itertools

from accounts.models import User
from accounts.services import mark_email_verified
from projects.models import PlatformData, Project, Target
from scraping import jobs
from scraping.models import ScrapeJob

PASSWORD = "a-Long-pass-phrase-42"
_counter = itertools.count(1)


def make_user(email: str | None = None, **extra) -> User:
    user = User.objects.create_user(email or f"user{next(_counter)}@example.com", PASSWORD, **extra)
    mark_email_verified(user)
    return user


def make_project(user: User, name: str = "Product launch", **limits) -> Project:
    project = Project(user=user, name=name)
    project.config.limits.rate_limit_delay = limits.pop("rate_limit_delay", 0.01)
    for key, value in limits.items():
        setattr(project.config.limits, key, value)
    project.save()
    return project


def add_steam_target(project: Project, app_id: int, label: str = "") -> Target:
    return Target.objects.create(
        project=project,
        user_id=project.user_id,
        url=f"https://store.steampowered.com/app/{app_id}/",
        label=label or f"Steam app {app_id}",
        platform="steam",
        detected_type="game",
        platform_data=PlatformData(app_id=app_id),
    )


def run_in_process(project: Project, user: User, target: Target) -> ScrapeJob:
    """One job of ``project`` that runs ``target`` here, in the test (no worker); the job as stored."""
    job = jobs.start_job(project, triggered_by=user)
    jobs.run_target(job.pk, target.pk)
    return ScrapeJob.objects.get(pk=job.pk)
