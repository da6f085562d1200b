"""Job pages (``jobs/``) and the buttons of a project page that start jobs; mounted at the
root with the namespace ``jobs``, so the buttons keep the project's URLs."""

from django.urls import path

from scraping import monitor_views, views

app_name = "jobs"
urlpatterns = [
    path("jobs/project/<oid:project_id>/", views.job_list, name="list"),
    path("jobs/<oid:job_id>/", views.job_detail, name="detail"),
    path("jobs/<oid:job_id>/progress/", views.job_progress, name="progress"),
    path("jobs/<oid:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<oid:job_id>/retry/", views.job_retry, name="retry"),
    path("projects/<oid:project_id>/run/", views.project_run, name="run"),
    path("projects/<oid:project_id>/targets/<oid:target_id>/run/", views.target_run, name="run_target"),
    path(
        "projects/<oid:project_id>/targets/test-selectors/", views.selector_preview, name="selector_preview"
    ),
    path("projects/<oid:project_id>/monitors/add/", monitor_views.monitor_add, name="monitor_add"),
    path(
        "projects/<oid:project_id>/monitors/preview/", monitor_views.monitor_preview, name="monitor_preview"
    ),
    path(
        "projects/<oid:project_id>/monitors/<oid:target_id>/edit/",
        monitor_views.monitor_edit,
        name="monitor_edit",
    ),
]
