from django.contrib import admin

from notifications.models import ReportSchedule, Webhook, WebhookDelivery


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
    # Written by the sender's claim: editing it by hand would resend or skip a period.
    readonly_fields = ("last_period_end", "last_sent_at", "created_at", "updated_at")
    ordering = ("-created_at",)
