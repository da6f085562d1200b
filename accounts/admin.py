"""Admin for users, API keys and the audit trail.

Users have roles instead of Django's groups and permissions, so the user admin
is Django's own (password change page included) with its fields replaced.
API keys are shown without their secret parts and are added by their owners
only (the vault encrypts them). Audit entries cannot be added, changed or
deleted here.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.utils import timezone
from django.utils.html import format_html

from accounts import audit, data
from accounts.models import ApiKey, AuditLog, Status, User
from accounts.plan_change import change_plan
from accounts.plans import PLANS

# Changes an admin makes to these fields are written to the audit trail.
AUDITED_FIELDS = ("plan", "role", "status")


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "name", "company", "avatar_url", "plan", "role", "status", "email_verified"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "plan", "role")
        field_classes = {}


def _move_to_plan_action(plan_key: str):
    """The change-list action that puts the selected users on one plan (no payment provider:
    an administrator changes plans, each change audited)."""
    plan = PLANS[plan_key]

    def action(modeladmin, request, queryset):
        changed = sum(change_plan(user, plan_key, request=request) for user in queryset)
        modeladmin.message_user(request, f"{changed} user(s) moved to the {plan.label} plan.")

    action.__name__ = f"move_to_{plan_key}_plan"
    return admin.action(description=f"Move selected users to the {plan.label} plan")(action)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    actions = [_move_to_plan_action(key) for key in PLANS]
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password_link")}),
        ("Profile", {"fields": ("name", "company", "avatar_url")}),
        ("Access", {"fields": ("plan", "role", "status", "email_verified")}),
        ("Usage this month", {"fields": ("usage_summary",)}),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login", "email_verified_at", "deleted_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "plan", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = (
        "password_link",
        "usage_summary",
        "created_at",
        "updated_at",
        "last_login",
        "email_verified_at",
        "deleted_at",
    )
    list_display = ("email", "name", "plan", "role", "status", "created_at")
    list_filter = ("plan", "role", "status", "email_verified")
    search_fields = ("email", "name", "company")
    ordering = ("-created_at",)
    filter_horizontal = ()

    @admin.display(description="Password")
    def password_link(self, obj):
        return format_html('<a href="{}">Set a new password</a>', "../password/")

    @admin.display(description="Usage")
    def usage_summary(self, obj):
        usage = obj.usage
        return (
            f"{usage.projects_count} projects, {usage.scrapes_this_month} scrapes, "
            f"{usage.api_calls_this_month} API calls"
        )

    def delete_model(self, request, obj):
        # Deletion is soft: data erased, account kept as "deleted" until the grace period ends.
        removed = data.erase_user(obj)
        audit.record(
            "account.delete", request=request, user=obj, admin_id=str(request.user.pk), removed=removed
        )

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data and obj.status == Status.DELETED and not obj.deleted_at:
            obj.deleted_at = timezone.now()
        before = {}
        if change:
            before = User.objects.filter(pk=obj.pk).values(*AUDITED_FIELDS).first() or {}
        super().save_model(request, obj, form, change)
        for name in AUDITED_FIELDS:
            if change and name in form.changed_data and before.get(name) != getattr(obj, name):
                audit.record(
                    f"admin.{name}_change",
                    request=request,
                    user=obj,
                    admin_id=str(request.user.pk),
                    old=before.get(name),
                    new=getattr(obj, name),
                )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "provider", "masked_key", "is_valid", "last_used_at", "created_at")
    list_filter = ("provider", "is_valid")
    search_fields = ("name", "masked_key", "user__email")
    fields = (
        "name",
        "user",
        "provider",
        "masked_key",
        "base_url",
        "key_id",
        "is_valid",
        "last_validated_at",
        "last_used_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = tuple(f for f in fields if f != "name")
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        # Keys are added by their owners, through the vault that encrypts them.
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event_type", "user", "success", "ip_address")
    list_filter = ("success", "event_type")
    search_fields = ("event_type", "ip_address", "user__email")
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
