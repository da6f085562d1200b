"""Two periods of a project compared, as the period comparison page compares them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis import periods
from api import serializers as s
from api.views.base import ApiView
from projects.pages import own_project
from projects.platforms import Platform

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "mode", str, enum=[periods.DATES, periods.MARKER],
        description="dates: a_from to a_to against b_from to b_to; marker: the days before a marker "
        "against the marker's day and those after. Default: marker when a marker is given.",
    ),
    OpenApiParameter("a_from", OpenApiTypes.DATE, description="First UTC day of period A."),
    OpenApiParameter("a_to", OpenApiTypes.DATE, description="Last UTC day of period A."),
    OpenApiParameter("b_from", OpenApiTypes.DATE, description="First UTC day of period B."),
    OpenApiParameter("b_to", OpenApiTypes.DATE, description="Last UTC day of period B."),
    OpenApiParameter("marker", str, description="A release marker's id of this project."),
    OpenApiParameter(
        "days", int, description=f"Days on each side of the marker, 1 to {periods.MAX_DAYS} "
        f"(default {periods.DEFAULT_DAYS}).",
    ),
    OpenApiParameter("target", str, many=True, explode=True, description="Only these targets' results (ids); "
                     "repeat for several."),
    OpenApiParameter("platform", str, many=True, explode=True, enum=Platform.values,
                     description="Only these platforms' results; repeat for several."),
]  # fmt: skip


class Links:
    """Where the results behind a number are, for an API client: the explorer page (absolute)
    and the results endpoint with the same filters (the explorer's query string is the endpoint's)."""

    def __init__(self, request, project):
        self.request = request
        self.results = reverse("api:results", args=[project.pk])

    def of(self, path: str) -> dict:
        query = urlsplit(path).query
        return {
            "explorer": self.request.build_absolute_uri(path),
            "results": self.request.build_absolute_uri(f"{self.results}?{query}" if query else self.results),
        }

    def pair(self, row: dict) -> dict:
        return {"a": self.of(row["link_a"]), "b": self.of(row["link_b"])}


def _topic(kind: str, entry: dict, links: Links) -> dict:
    """A topic's change in one shape, whichever list it is in (a topic that appeared or went is
    counted in one period's sample only)."""
    if "current_count" in entry:
        counts = (entry["previous_count"], entry["current_count"])
        sentiments = (entry.get("previous_sentiment"), entry.get("current_sentiment"))
    elif kind == "disappeared":
        counts, sentiments = (entry["count"], None), (entry.get("mean_sentiment"), None)
    else:
        counts, sentiments = (None, entry["count"]), (None, entry.get("mean_sentiment"))
    return {
        "topic": entry["topic"],
        "search": entry["search"],
        "a_count": counts[0],
        "b_count": counts[1],
        "share_change": entry.get("share_change"),
        "a_sentiment": sentiments[0],
        "b_sentiment": sentiments[1],
        "sentiment_change": entry.get("sentiment_change"),
        "links": links.pair(entry),
    }


def _bounds(period: periods.Period) -> dict:
    return {"first": period.first, "last": period.last, "days": period.days}


class ProjectPeriodsView(ApiView):
    """Two periods of a project side by side."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=s.PeriodComparisonSerializer)
    def get(self, request, project_id):
        """Volume, sentiment, ratings and topics of two periods (two date ranges, or the days
        before and after a release marker), each change with the results behind it. Without any
        period named: the last 30 days against the 30 before."""
        project = own_project(request, project_id)
        form = periods.period_form(project, request.query_params, datetime.now(UTC).date())
        if not form.is_valid():
            raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
        a, b, marker = form.periods()
        targets, platforms = form.cleaned_data["target"], form.cleaned_data["platform"]
        data = periods.compare_periods(
            request.user,
            project,
            a,
            b,
            targets=targets,
            platforms=platforms,
            target_labels=form.target_labels,
        )
        links = Links(request, project)
        body = {
            "project_id": project.pk,
            "mode": form.cleaned_data["mode"],
            "marker": marker,
            "a": _bounds(a),
            "b": _bounds(b),
            "targets": targets,
            "platforms": platforms,
            "totals": data["totals"],
            "figures": [{**f, "links": links.pair(f)} for f in data["figures"]],
            "ratings": [{**r, "links": links.pair(r)} for r in data["ratings"]],
            "topics": {
                kind: [_topic(kind, entry, links) for entry in data["topics"][kind]]
                for kind in periods.TOPIC_KINDS
            },
            "samples": data["samples"],
            "links": {"a": links.of(data["links"]["a"]), "b": links.of(data["links"]["b"])},
        }
        return Response(s.PeriodComparisonSerializer(body).data)
