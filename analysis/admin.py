from django.contrib import admin

from analysis.models import Result, SentimentLabel
from analysis.results_store import filters
from analysis.results_store.state import FilterState
from projects.admin import show_document


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
            return queryset.filter(analysis__sentiment__isnull=True)
        if value in SentimentLabel.values:
            state = FilterState(sentiments=[value])
            return queryset.filter(filters.SENTIMENT.q(state, state.time_zone()))
        return queryset


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "sentiment", "author", "posted", "project", "created_at")
    list_filter = ("platform", SentimentFilter, "excluded", "pinned")
    search_fields = ("content__text", "content__title", "content__author", "content__platform_id")
    raw_id_fields = ("project", "target", "user", "scrape_job")
    # The analysis nests documents the admin's forms cannot save: shown read-only, as stored.
    exclude = ("analysis",)
    readonly_fields = ("analysis_document", "created_at", "updated_at")
    ordering = ("-created_at",)

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
