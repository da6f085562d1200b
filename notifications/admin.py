from django.contrib import admin

from notifications.models import Alert, AlertRule, ReportSchedule, Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "enabled", "consecutive_failures", "created_at")
    list_filter = ("enabled",)
    search_fields = ("url", "label", "user__email")
    raw_id_fields = ("user",)
    # The signing secret's encrypted fields are not editable (BinaryField) and never shown.
    readonly_fields = ("secret_key_id", "created_at", "updated_at")
    ordering = ("-created_at",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Delivery logs: readable, deletable, never written by hand."""

    list_display = ("event", "status", "webhook", "attempts", "created_at", "delivered_at")
    list_filter = ("status", "event")
    search_fields = ("error",)
    raw_id_fields = ("webhook", "user")
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "user", "frequency", "hour", "enabled", "last_sent_at")
    list_filter = ("enabled", "frequency")
    search_fields = ("name", "user__email")
    raw_id_fields = ("user", "project")
    # Written by the sender (its claim and progress): editing them by hand would resend or
    # skip a period.
    readonly_fields = (
        "last_period_end",
        "last_sent_at",
        "sending_period_end",
        "sent_to",
        "refusals",
        "claimed_by",
        "claimed_at",
        "created_at",
        "updated_at",
    )
    exclude = ("refused",)  # shown as text by refusals()
    ordering = ("-created_at",)

    @admin.display(description="Refused")
    def refusals(self, schedule):
        return "; ".join(f"{r.address}: {r.reason}" for r in schedule.refused or []) or "-"


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    """Rules are saved through the model's ``clean()``, as on the pages."""

    list_display = (
        "name",
        "kind",
        "period",
        "project",
        "user",
        "enabled",
        "muted_until",
        "last_triggered_at",
    )
    list_filter = ("kind", "period", "enabled")
    search_fields = ("name", "query")
    raw_id_fields = ("user", "project")
    readonly_fields = ("last_triggered_at", "last_evaluated_at", "created_at", "updated_at")
    ordering = ("-created_at",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """What a rule found: its evidence is read-only; staff may mark it read, acknowledge or delete it."""

    list_display = (
        "title",
        "kind",
        "project",
        "user",
        "window_start",
        "observed",
        "baseline",
        "read_at",
        "created_at",
    )
    list_filter = (
        "kind",
        ("read_at", admin.EmptyFieldListFilter),
        ("acknowledged_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("title", "rule__name")
    raw_id_fields = ("user", "project", "rule")
    readonly_fields = (
        "user",
        "project",
        "rule",
        "kind",
        "key",
        "title",
        "window_start",
        "window_end",
        "baseline",
        "observed",
        "statistic",
        "p_value",
        "details",
        "result_ids",
        "deliveries",
        "delivering",  # written by the delivery tasks and their sweep only
        "created_at",
    )
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False
