"""What each worker process is doing, written where its supervisor can read it.

A worker sends no word while it runs a long task (a solo worker does not even read its
queue), so a probe left unanswered means "stuck" only when no live process of that worker
is inside a task younger than the hard time limit. The worker name comes from
``SENTIMATRIX_WORKER_NAME``, set by ``manage.py runstack`` for each worker it starts.
"""

from __future__ import annotations

import os

from celery.signals import task_postrun, task_prerun
from django.utils import timezone

from sentimatrix.mongo import collection

COLLECTION = "worker_heartbeats"  # shared with the probe answers of ``system.worker_ping``
NAME_VARIABLE = "SENTIMATRIX_WORKER_NAME"


def _busy_id(name: str, pid: int) -> str:
    return f"busy:{name}:{pid}"


@task_prerun.connect
def _task_started(task_id=None, task=None, **_kwargs) -> None:
    name = os.environ.get(NAME_VARIABLE)
    if not name:
        return
    collection(COLLECTION).update_one(
        {"_id": _busy_id(name, os.getpid())},
        {"$set": {"worker": name, "pid": os.getpid(), "task": task.name, "started_at": timezone.now()}},
        upsert=True,
    )


@task_postrun.connect
def _task_ended(**_kwargs) -> None:
    name = os.environ.get(NAME_VARIABLE)
    if name:
        collection(COLLECTION).delete_one({"_id": _busy_id(name, os.getpid())})


def busy_tasks(name: str) -> list[dict]:
    """The tasks that processes of worker ``name`` reported starting and not ending."""
    return list(collection(COLLECTION).find({"worker": name}))


def forget(name: str) -> None:
    """Drop what a worker reported (its processes were killed, or it is starting afresh)."""
    collection(COLLECTION).delete_many({"worker": name})
