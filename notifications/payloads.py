"""The JSON bodies of webhook deliveries.

Every body follows the Standard Webhooks shape ``{"type", "timestamp", "data"}``:

``job.completed`` / ``job.failed`` (a job closed) and ``results.new`` (a closed job
stored new results; sent with either job event when ``results.new > 0``)::

    {
      "type": "job.completed",
      "timestamp": "2025-03-01T06:04:12Z",          # when the job closed (UTC)
      "data": {
        "job": {
          "id": "65e1...", "status": "completed",   # completed | failed | cancelled
          "trigger": "scheduled",                   # manual | scheduled | api
          "created_at": "...", "started_at": "...", "completed_at": "...",
          "partial": false, "error_message": "",
          "targets_total": 3, "targets_completed": 3, "errors_count": 0,
          "results_total": 120                      # new results this job stored
        },
        "project": {"id": "65d0...", "name": "Product launch"},
        "results": {"new": 120, "project_total": 5120},
        "sentiment": {                              # the project's, as of the event;
          "analysed": 5000, "average": 0.31,        # analysis of this job's results may
          "distribution": {"positive": 3100, "neutral": 900, "negative": 1000}
        },                                          # still be running
        "links": {"project": "https://.../projects/65d0.../", "job": "https://.../jobs/65e1.../"}
      }
    }

``alert.triggered`` (an alert rule fired; built by :func:`alert_event`)::

    {
      "type": "alert.triggered",
      "timestamp": "2025-03-01T06:04:12Z",          # when the alert was created (UTC)
      "data": {
        "alert": {
          "id": "6601...", "kind": "volume_spike",  # volume_spike | negative_share | sentiment_drop
          "title": "...",                           # | rating_drop | keyword | topic
          "window": {"start": "...", "end": "..."}, # the period that was tested
          "baseline": 12.4, "observed": 41.0,       # expected and seen in the window
          "statistic": 6.1, "p_value": 0.00002,     # the test's figure; null when none
          "result_ids": ["65f0...", ...]            # the results behind it
        },
        "project": {"id": "65d0...", "name": "Product launch"},
        "rule": {"id": "65d9...", "name": "Crash reports"},
        "links": {"alert": "https://.../alerts/6601.../", "project": "https://.../projects/65d0.../"}
      }
    }

``test`` (the "send test" button)::

    {"type": "test", "timestamp": "...",
     "data": {"webhook": {"id": "...", "label": "..."}, "message": "..."}}

Ids are strings, times ISO 8601 in UTC, counts integers; ``average`` is null before
anything was analysed. The body is serialised once (ASCII-only JSON) and sent
byte-for-byte identical on every retry, since the signature covers it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bson import ObjectId
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from notifications.models import Webhook, WebhookEvent


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_iso(value: object) -> datetime | None:
    """The moment :func:`iso` wrote (JSON fields hold times so); None for anything else."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def absolute_url(name: str, fallback: str, **kwargs: object) -> str:
    """``SITE_URL`` + the path of a named route (``fallback`` when it is not routed)."""
    try:
        path = reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        path = fallback
    return settings.SITE_URL + path


def project_url(project_id: ObjectId | str) -> str:
    return absolute_url("projects:detail", f"/projects/{project_id}/", project_id=project_id)


def job_url(job_id: ObjectId | str) -> str:
    return absolute_url("jobs:detail", f"/jobs/{job_id}/", job_id=job_id)


def alert_path(alert_id: ObjectId | str) -> str:
    """The alert page's path when its route is not installed (the one place that spells it)."""
    return f"/alerts/{alert_id}/"


def alert_url(alert_id: ObjectId | str) -> str:
    """The absolute link to an alert's page, for emails, chat messages and webhooks."""
    return absolute_url("alerts:detail", alert_path(alert_id), alert_id=alert_id)


def alerts_url() -> str:
    """The absolute link to the user's alert history."""
    return absolute_url("alerts:list", "/alerts/")


def dumps(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True)


def _envelope(event: str, when: datetime | None, data: dict) -> dict:
    return {"type": event, "timestamp": iso(when or timezone.now()), "data": data}


def _sentiment(stats: dict) -> dict:
    distribution = stats.get("sentiment_distribution") or {}
    count = int(stats.get("sentiment_count") or 0)
    average = stats.get("avg_sentiment")
    if average is None and count:
        average = float(stats.get("sentiment_sum") or 0.0) / count
    return {
        "analysed": count,
        "average": round(average, 4) if average is not None else None,
        "distribution": {k: int(distribution.get(k) or 0) for k in ("positive", "neutral", "negative")},
    }


def job_data(job: dict, project: dict) -> dict:
    """The ``data`` of job and results events, from raw ``scrape_jobs``/``projects`` documents."""
    stats = job.get("stats") or {}
    project_stats = project.get("stats") or {}
    new = int(stats.get("results_total") or 0)
    return {
        "job": {
            "id": str(job["_id"]),
            "status": job.get("status"),
            "trigger": job.get("trigger"),
            "created_at": iso(job.get("created_at")),
            "started_at": iso(job.get("started_at")),
            "completed_at": iso(job.get("completed_at")),
            "partial": bool(job.get("partial")),
            "error_message": job.get("error_message") or "",
            "targets_total": int(stats.get("targets_total") or 0),
            "targets_completed": int(stats.get("targets_completed") or 0),
            "errors_count": int(stats.get("errors_count") or 0),
            "results_total": new,
        },
        "project": {"id": str(project["_id"]), "name": project.get("name", "")},
        "results": {"new": new, "project_total": int(project_stats.get("total_results") or 0)},
        "sentiment": _sentiment(project_stats),
        "links": {"project": project_url(project["_id"]), "job": job_url(job["_id"])},
    }


def job_event(event: str, job: dict, project: dict) -> dict:
    """A ``job.completed``, ``job.failed`` or ``results.new`` payload."""
    return _envelope(event, job.get("completed_at"), job_data(job, project))


def alert_event(alert: dict, project: dict, rule: dict) -> dict:
    """An ``alert.triggered`` payload from raw ``alerts``/``projects``/``alert_rules`` documents."""
    statistic, p_value = alert.get("statistic"), alert.get("p_value")
    return _envelope(
        WebhookEvent.ALERT_TRIGGERED,
        alert.get("created_at"),
        {
            "alert": {
                "id": str(alert["_id"]),
                "kind": alert.get("kind"),
                "title": alert.get("title", ""),
                "window": {"start": iso(alert.get("window_start")), "end": iso(alert.get("window_end"))},
                "baseline": float(alert.get("baseline") or 0.0),
                "observed": float(alert.get("observed") or 0.0),
                "statistic": float(statistic) if statistic is not None else None,
                "p_value": float(p_value) if p_value is not None else None,
                "result_ids": [str(i) for i in alert.get("result_ids") or []],
            },
            "project": {"id": str(project["_id"]), "name": project.get("name", "")},
            "rule": {"id": str(rule["_id"]), "name": rule.get("name", "")},
            "links": {"alert": alert_url(alert["_id"]), "project": project_url(project["_id"])},
        },
    )


def test_event(webhook: Webhook) -> dict:

    return _envelope(
        WebhookEvent.TEST,
        None,
        {
            "webhook": {"id": str(webhook.pk), "label": webhook.label},
            "message": "A test event from Sentimatrix Studio. Your endpoint received it.",
        },
    )
