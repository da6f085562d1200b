from datetime import UTC

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList

from analysis.models import ReleaseMarker, Result, SentimentLabel
from analysis.results_store import admin_list, filters
from analysis.results_store.reads import WindowPaginator
from analysis.results_store.state import FilterState
from projects.admin import show_document
from projects.models import Project
from projects.platforms import Platform


class SentimentFilter(admin.SimpleListFilter):
    """Filters on ``analysis.sentiment.label`` (a path inside an embedded document), with the
    explorer's sentiment filter (one description of it, in the results store)."""

    title = "sentiment"
    parameter_name = "sentiment"

    def lookups(self, request, model_admin):
        return [*SentimentLabel.choices, ("none", "Not analysed")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(NOT_ANALYSED.q(None, UTC))
        if value in SentimentLabel.values:
            state = FilterState(sentiments=[value])
            return queryset.filter(filters.SENTIMENT.q(state, state.time_zone()))
        return queryset


NOT_ANALYSED = filters.Equals("analysis.sentiment", None)
NOT_PINNED = filters.Equals("pinned", False)
#: Parameters of the change list that are not filters (page, sort, its own bookkeeping).
PAGE_PARAMS = {"p", "o", "e", "_changelist_filters"}
YES_NO = {"1": True, "0": False}


def admin_query(params) -> admin_list.AdminQuery | None:
    """The change list's filters and search as the results store's, or None when a parameter is
    one the store does not describe (Django's own read answers then)."""
    query = admin_list.AdminQuery()
    state = query.state
    for name in params:
        value = params.get(name, "")
        if name in PAGE_PARAMS:
            continue
        if name == "q":
            state.q = " ".join(value.split())
        elif name in {"platform", "platform__exact"} and value in Platform.values:
            state.platforms = [value]
        elif name == "sentiment" and value in SentimentLabel.values:
            state.sentiments = [value]
        elif name == "sentiment" and value == "none":
            query.extra.append(NOT_ANALYSED)
        elif name == "excluded__exact" and value in YES_NO:
            state.status = "excluded" if YES_NO[value] else "active"
        elif name == "pinned__exact" and value in YES_NO:
            if YES_NO[value]:
                state.pinned = True
            else:
                query.extra.append(NOT_PINNED)
        else:
            return None
    return query


class ResultChangeList(ChangeList):
    """The results change list read through the results store (:mod:`~analysis.results_store.admin_list`):
    newest stored first, filtered and searched as the explorer does, counted cheaply."""

    def get_results(self, request):
        query = admin_query(request.GET)
        if query is None:
            return super().get_results(request)
        read = admin_list.page(query, self.page_num, self.list_per_page)
        # The project column: one query for the page's projects, not one per row.
        projects = Project.objects.in_bulk({r.project_id for r in read.results})
        for result in read.results:
            if result.project_id in projects:
                result.project = projects[result.project_id]
        self.page_num = read.number
        self.result_count = read.count
        self.count_at_least = read.at_least
        self.read_partial, self.scanned = read.partial, read.scanned
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.full_result_count = None
        self.result_list = read.results
        self.can_show_all = False
        self.multi_page = read.count > self.list_per_page
        self.paginator = WindowPaginator(
            self.list_per_page, read.count, at_least=read.at_least, cap=read.count
        )


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "sentiment", "author", "posted", "project", "created_at")
    list_filter = ("platform", SentimentFilter, "excluded", "pinned")
    # The explorer's search (text and title, words, "phrases", -left out): see get_search_results.
    search_fields = ("content__text", "content__title")
    search_help_text = 'Words in the text or title; "quotes" for a phrase, -word to leave out.'
    raw_id_fields = ("project", "target", "user", "scrape_job")
    # The analysis nests documents the admin's forms cannot save: shown read-only, as stored.
    exclude = ("analysis",)
    readonly_fields = ("analysis_document", "created_at", "updated_at")
    # Newest stored first, by the index results_created_id; no column sorts (no index of every
    # result would serve them), no full count, no join for the project column (ResultChangeList).
    ordering = admin_list.ORDER
    # A deep page reads every result before it on the embedded server: 50 rows keep page 50 at
    # 2,500 (and the page itself quick to draw).
    list_per_page = 50
    sortable_by = ()
    show_full_result_count = False
    list_select_related = ()

    def get_changelist(self, request, **kwargs):
        return ResultChangeList

    def get_search_results(self, request, queryset, search_term):
        """The explorer's search, as the results store describes it."""
        state = FilterState(q=" ".join(search_term.split()))
        if not filters.SEARCH.active(state):
            return queryset, False
        return queryset.filter(filters.SEARCH.q(state, UTC)), False

    @admin.display(description="analysis")
    def analysis_document(self, obj):
        return show_document(obj, "analysis")

    @admin.display(description="sentiment")
    def sentiment(self, obj):
        sentiment = obj.analysis.sentiment if obj.analysis else None
        return f"{sentiment.label} ({sentiment.score:+.2f})" if sentiment else "-"

    @admin.display(description="author")
    def author(self, obj):
        return obj.content.author

    @admin.display(description="posted")
    def posted(self, obj):
        return obj.content.date


@admin.register(ReleaseMarker)
class ReleaseMarkerAdmin(admin.ModelAdmin):
    """Markers are saved through the model's ``clean()`` (the label cleaned), as on the pages."""

    list_display = ("project", "day", "label", "user", "whole_day", "created_at")
    list_display_links = ("label",)
    # Only the projects that have markers are offered.
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("label",)
    raw_id_fields = ("project", "user")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("-at",)

    @admin.display(description="day", ordering="at")
    def day(self, obj):
        return obj.day
