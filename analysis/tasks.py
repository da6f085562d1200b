"""Celery tasks of analysis (own queue, so slow providers never starve scrapes).

Nothing imports this module but the workers' task discovery: the services send these tasks by
name (``current_app.send_task("analysis.analyze_results", ...)``), so a service and the task
that runs it never import each other."""

from bson import ObjectId
from celery import shared_task

from analysis import bulk, insights_refresh, pipeline, reanalysis


@shared_task(name="analysis.analyze_results", acks_late=True)
def analyze_results(project_id: str, result_ids: list[str], job_id: str | None = None) -> int:
    return pipeline.analyze_results(
        ObjectId(project_id), [ObjectId(i) for i in result_ids], ObjectId(job_id) if job_id else None
    )


@shared_task(name="analysis.analyse_stored", acks_late=True)
def analyse_stored(job_id: str, target_id: str) -> int:
    """Sent by name when a scrape target ends: queue what the job stored for it, unanalysed."""
    return pipeline.enqueue_unanalysed_of_job(ObjectId(job_id), ObjectId(target_id))


@shared_task(name="analysis.sweep_unanalysed")
def sweep_unanalysed() -> dict:
    return pipeline.sweep_unanalysed()


@shared_task(name="analysis.reanalyze_batch", acks_late=True)
def reanalyze_batch(run_id: str, project_id: str, result_ids: list[str]) -> int:
    try:
        return pipeline.analyze_results(ObjectId(project_id), [ObjectId(i) for i in result_ids])
    finally:
        # Counted even when a batch fails, so the progress bar always reaches its end.
        reanalysis.record_batch(ObjectId(run_id), len(result_ids))


@shared_task(name="analysis.refresh_insights", acks_late=True)
def refresh_insights(project_id: str) -> int:
    return insights_refresh.run(ObjectId(project_id))


@shared_task(name="analysis.bulk_apply", acks_late=True)
def bulk_apply(user_id: str, project_id: str, query: str, action: str, tag: str) -> int:
    """A bulk action over every result matching the explorer's filters (too many for a request)."""
    return bulk.apply_for(user_id, project_id, query, action, tag)[1]
