"""A project's alert rules; mounted at ``projects/<oid:project_id>/alert-rules/``."""

from django.urls import path

from notifications.alerts import views

app_name = "alert_rules"

urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_create, name="create"),
    path("<oid:rule_id>/edit/", views.rule_edit, name="edit"),
    path("<oid:rule_id>/delete/", views.rule_delete, name="delete"),
    path("<oid:rule_id>/enabled/", views.rule_enabled, name="enabled"),
    path("<oid:rule_id>/mute/", views.rule_mute, name="mute"),
    path("<oid:rule_id>/unmute/", views.rule_unmute, name="unmute"),
]
