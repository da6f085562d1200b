"""Celery tasks of scraping: they take ids, load, call a service, and are safe to run twice."""

from bson import ObjectId
from celery import shared_task

from projects.schedules import TASK_NAME as RUN_SCHEDULE
from scraping import jobs, scheduled_runs


@shared_task(name="scraping.run_target", acks_late=True)
def run_target(job_id: str, target_id: str) -> str:
    return jobs.run_target(ObjectId(job_id), ObjectId(target_id))


@shared_task(name="scraping.reap_stale_targets")
def reap_stale_targets() -> dict:
    return jobs.reap_stale_targets()


@shared_task(name=RUN_SCHEDULE)
def run_schedule(schedule_id: str) -> str:
    """Fired by beat (periodic task ``schedule:<id>``, which stores the name
    ``projects.run_schedule``): start the project's scheduled job."""
    return scheduled_runs.run(schedule_id)
