from django.contrib import admin

from scraping.models import ScrapeJob


@admin.register(ScrapeJob)
class ScrapeJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "project", "status", "progress", "trigger", "created_at", "completed_at")
    list_filter = ("status", "trigger", "partial", "cancel_requested")
    search_fields = ("error_message",)
    raw_id_fields = ("project", "user", "triggered_by")
    readonly_fields = ("created_at",)
    ordering = ("-created_at",)
