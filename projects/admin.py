"""Admin for projects, targets, schedules and user presets.

Configs and statistics nest documents inside documents, which the admin's
forms for embedded models cannot save (django-mongodb-backend 5.2): they are
shown read-only, as stored; analysts edit configs in the product's pages.
"""

import json

from django.contrib import admin
from django.db import connection
from django.utils.html import format_html

from projects.models import Preset, Project, Schedule, Target


def show_document(obj, field_name: str) -> str:
    """An embedded document as the JSON that is stored, for read-only display."""
    field = obj._meta.get_field(field_name)
    value = field.get_db_prep_save(getattr(obj, field.attname), connection)
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, default=str, ensure_ascii=False))


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "status", "preset", "created_at", "archived_at")
    list_filter = ("status", "preset")
    search_fields = ("name", "description", "user__email")
    raw_id_fields = ("user",)
    fields = (
        "name",
        "user",
        "description",
        "status",
        "preset",
        "config_document",
        "stats_document",
        "created_at",
        "updated_at",
        "archived_at",
    )
    readonly_fields = ("config_document", "stats_document", "created_at", "updated_at")
    ordering = ("-created_at",)

    @admin.display(description="config")
    def config_document(self, obj):
        return show_document(obj, "config")

    @admin.display(description="stats")
    def stats_document(self, obj):
        return show_document(obj, "stats")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "detected_type", "status", "project", "created_at")
    list_filter = ("platform", "status", "detected_type")
    search_fields = ("url", "label")
    raw_id_fields = ("project", "user")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("-created_at",)


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("project", "frequency", "time", "timezone", "enabled", "next_run", "last_run")
    list_filter = ("enabled", "frequency")
    raw_id_fields = ("project", "user")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("next_run",)


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at")
    search_fields = ("name", "description", "user__email")
    raw_id_fields = ("user",)
    fields = ("name", "user", "description", "config_document", "created_at", "updated_at")
    readonly_fields = ("config_document", "created_at", "updated_at")
    ordering = ("-created_at",)

    @admin.display(description="config")
    def config_document(self, obj):
        return show_document(obj, "config")
