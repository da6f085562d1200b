"""A project's report pages, mounted at ``projects/<oid:project_id>/reports/``."""

from django.urls import path

from notifications.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_create, name="create"),
    path("<oid:report_id>/edit/", views.report_edit, name="edit"),
    path("<oid:report_id>/delete/", views.report_delete, name="delete"),
    path("<oid:report_id>/test/", views.report_test, name="test"),
    path("<oid:report_id>/preview/", views.report_preview, name="preview"),
]
