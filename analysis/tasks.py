"""Celery tasks of analysis (own queue, so slow providers never starve scrapes)."""

from bson import ObjectId
from celery import shared_task

from analysis import pipeline


@shared_task(name="analysis.analyze_results", acks_late=True)
def analyze_results(project_id: str, result_ids: list[str], job_id: str | None = None) -> int:
    return pipeline.analyze_results(
        ObjectId(project_id), [ObjectId(i) for i in result_ids], ObjectId(job_id) if job_id else None
    )
