"""Results: the filtered, sorted, keyset-paged list and one result."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis import saved_views
from analysis.models import Result, SentimentLabel
from analysis.results_store import filters, reads, sorting
from api import serializers as s
from api.pagination import KeysetPagination, Ordering
from api.views.base import ApiView
from projects.pages import own_project
from projects.platforms import Platform

# The explorer's sort orders a cursor can page through (relevance has no stable key).
RESULT_ORDERINGS = {
    key: Ordering(key, sort.orm_path, sort.descending) for key, sort in sorting.SORTS.items() if sort.path
}


def many(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        many=True,
        explode=True,
        enum=enum,
        description=f"{description} Repeat or separate with commas.",
    )


RESULT_FILTERS = [
    OpenApiParameter("q", str, description="Search the text and title."),
    many("target", "Target ids."),
    many("platform", "Platforms.", enum=Platform.values),
    many("sentiment", "Sentiment labels.", enum=SentimentLabel.values),
    many("emotion", "Primary emotions (single words)."),
    many("language", "Language codes such as en or pt-BR."),
    OpenApiParameter("rating_min", float, description="Lowest rating (0-100)."),
    OpenApiParameter("rating_max", float, description="Highest rating (0-100)."),
    OpenApiParameter(
        "date_field", str, enum=list(filters.DATE_FIELDS), description="Dates apply to the posted (content) "
        "or the collected date."
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (in tz)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day (in tz)."),
    OpenApiParameter("tz", str, description="IANA time zone of the days (default: yours)."),
    OpenApiParameter("flagged", bool, description="Only results whose rating and text disagree."),
    OpenApiParameter("pinned", bool, description="Only pinned results."),
    OpenApiParameter("tag", str, description="Only results with this tag."),
    OpenApiParameter("status", str, enum=list(filters.STATUSES), description="active (default): in "
                     "statistics; excluded: triaged out; all."),
    OpenApiParameter("sort", str, enum=list(RESULT_ORDERINGS), description="Default: collected (newest first)."),
    OpenApiParameter("playtime_min", float, description="Steam reviews with at least this playtime at review (hours)."),
    OpenApiParameter("playtime_max", float, description="Steam reviews with at most this playtime at review (hours)."),
    OpenApiParameter("early_access", bool, description="Only Steam reviews written during early access."),
    OpenApiParameter("free", bool, description="Only Steam reviews of a copy received for free."),
    OpenApiParameter("likes_min", float, description="Only YouTube comments with at least this many likes."),
    OpenApiParameter("score_min", float, description="Only Reddit comments with at least this score."),
    OpenApiParameter("view", str, description="A saved view's id: its parameters apply (those given here replace "
                     "the view's of the same name)."),
]  # fmt: skip


def with_view(project, query_params):
    """The request's parameters on top of the saved view ``view=<id>`` names (a parameter given
    in the request replaces the view's of the same name)."""
    view_id = query_params.get("view")
    if not view_id:
        return query_params.copy()
    try:
        view = saved_views.view_for(project, view_id)
    except saved_views.SavedViewNotFound as exc:
        raise ValidationError({"view": ["No such saved view in this project."]}) from exc
    params = saved_views.params_of(view).copy()
    for name in query_params:
        if name != "view":
            params.setlist(name, query_params.getlist(name))
    return params


class ResultListView(ApiView):
    """A project's analysed results."""

    pagination_class = KeysetPagination

    def get_ordering(self, request) -> Ordering:
        return self._ordering

    @extend_schema(parameters=RESULT_FILTERS, responses=s.ResultSerializer(many=True))
    def get(self, request, project_id):
        """The project's results with the explorer's filters and search, newest first by default."""
        project = own_project(request, project_id)
        params = with_view(project, request.query_params)
        sort = params.get("sort") or sorting.DEFAULT_SORT
        if sort not in RESULT_ORDERINGS:
            raise ValidationError({"sort": [f"Choose one of: {', '.join(RESULT_ORDERINGS)}."]})
        params.pop("page", None)  # cursors page here, not page numbers
        self._selection = reads.select(request.user, project, params)
        errors = self._selection.state.errors
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})
        self._ordering = RESULT_ORDERINGS[sort]
        return self.paged(self._selection.queryset, s.ResultSerializer)

    def read_page(self, after, size: int):
        """The page after a cursor's (value, id), read by the results store (None: the paginator
        slices the queryset, as on MongoDB)."""
        start = reads.position(*after) if after is not None else None
        return reads.keyset_page(self._selection, start, size)


class ResultDetailView(ApiView):
    """One result with its content and analysis."""

    @extend_schema(responses=s.ResultSerializer)
    def get(self, request, project_id, result_id):
        project = own_project(request, project_id)
        result = get_object_or_404(Result, pk=result_id, project_id=project.pk)
        return Response(s.ResultSerializer(result).data)
