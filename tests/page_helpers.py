"""Helpers shared by the page tests: form data as a browser sends it, analysed results, messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.messages import get_messages
from django.forms import BooleanField

from analysis import stats
from analysis.models import Analysis, Content, Result, Sentiment
from projects.models import PlatformData, Project, Target
from sentimatrix.mongo import collection


def form_post_data(form) -> dict:
    """What a browser submits for ``form`` as rendered (initial values, unchecked boxes left out)."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field, BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif value is not None:
            data[key] = str(value)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_target(project: Project, url: str, canonical: str, platform: str = "steam", **data) -> Target:
    """A target created directly (not through the pages), with its counter kept right."""

    target = Target.objects.create(
        project=project,
        user_id=project.user_id,
        url=url,
        canonical_url=canonical,
        label=canonical,
        platform=platform,
        platform_data=PlatformData(**data),
    )
    collection("projects").update_one({"_id": project.pk}, {"$inc": {"stats.total_targets": 1}})
    return target


def add_results(target: Target, scores: list[float], *, days_apart: int = 1) -> list[Result]:
    """Analysed results of ``target`` (one per score, on successive days), counted in the
    project's statistics and daily aggregates by ``analysis.stats.rebuild``."""

    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    results = []
    for index, score in enumerate(scores):
        label = "positive" if score > 0.05 else "negative" if score < -0.05 else "neutral"
        results.append(
            Result.objects.create(
                project_id=target.project_id,
                target=target,
                user_id=target.user_id,
                platform=target.platform,
                content=Content(
                    text=f"review {index} of {target.label}",
                    platform_id=f"{target.pk}-{index}",
                    date=start + timedelta(days=index * days_apart),
                ),
                analysis=Analysis(sentiment=Sentiment(label=label, score=score, confidence=0.9)),
            )
        )
    collection("targets").update_one({"_id": target.pk}, {"$inc": {"stats.results_count": len(scores)}})
    stats.rebuild(target.project_id)
    return results
