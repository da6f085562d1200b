from django.contrib import admin
from django.urls import include, path, register_converter

from sentimatrix import views
from sentimatrix.converters import ObjectIdConverter

register_converter(ObjectIdConverter, "oid")

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health_view, name="health"),
    path("health/db", views.health_db_view, name="health-db"),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("accounts.urls")),
    path("projects/", include("projects.urls")),
    path("projects/<oid:project_id>/", include("analysis.urls")),
    path("", include("scraping.urls")),
    path("webhooks/", include("notifications.urls")),
    path("projects/<oid:project_id>/reports/", include("notifications.reports.urls")),
    path("reports/unsubscribe/", include("notifications.reports.unsubscribe_urls")),
    path("projects/<oid:project_id>/alert-rules/", include("notifications.alerts.rule_urls")),
    path("alerts/", include("notifications.alerts.urls")),
    path("schedules/", include("projects.schedule_urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]
