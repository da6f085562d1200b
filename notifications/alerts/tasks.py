"""The alert evaluation's Celery tasks and the receiver that queues them after a batch.

The analysis app never imports this: it sends ``batch_analysed``
(:mod:`analysis.signals`), :func:`on_batch_analysed` queues ``notifications.evaluate_alerts``
with ids only, and beat sends ``notifications.evaluate_closed_alerts`` once a day and once an
hour. Every task is safe to run twice: an alert is stored once per (rule, window).
"""

from __future__ import annotations

from bson import ObjectId
from celery import current_app, shared_task

from notifications.alerts import evaluation
from notifications.models import AlertRule


def on_batch_analysed(sender: object, project_id: ObjectId, result_ids: list, **kwargs: object) -> None:
    """Queue the evaluation of the project's rules on this batch (when it has enabled rules)."""
    if AlertRule.objects.filter(project_id=project_id, enabled=True).exists():
        current_app.send_task(
            "notifications.evaluate_alerts", args=[str(project_id), [str(i) for i in result_ids]]
        )


@shared_task(name="notifications.evaluate_alerts", acks_late=True)
def evaluate_alerts(project_id: str, result_ids: list[str]) -> int:
    """Judge a project's rules on an analysed batch; the number of alerts it made."""
    return len(evaluation.evaluate_batch(ObjectId(project_id), [ObjectId(i) for i in result_ids]))


@shared_task(name="notifications.evaluate_closed_alerts", acks_late=True)
def evaluate_closed_alerts(period: str = "day") -> int:
    """Judge every project's rules of ``period`` on the period that just ended."""
    return evaluation.evaluate_all_closed(period)
