"""A project's results pages, its re-analysis and removing one of its targets with its results;
mounted at ``projects/<oid:project_id>/``."""

from django.urls import path

from analysis import views, views_markers, views_periods, views_saved

app_name = "analysis"
urlpatterns = [
    path("results/", views.explorer_view, name="explorer"),
    path("results/bulk/", views.results_bulk, name="results_bulk"),
    path("results/<oid:result_id>/", views.result_view, name="result"),
    path("results/<oid:result_id>/exclude/", views.result_exclude, name="result_exclude"),
    path("results/<oid:result_id>/pin/", views.result_pin, name="result_pin"),
    path("results/<oid:result_id>/tags/", views.result_tags, name="result_tags"),
    path("views/", views_saved.view_save, name="view_save"),
    path("views/<oid:view_id>/rename/", views_saved.view_rename, name="view_rename"),
    path("views/<oid:view_id>/delete/", views_saved.view_delete, name="view_delete"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/export/<str:table>/<str:format>/", views.dashboard_export_view, name="dashboard_export"),
    path("markers/", views_markers.marker_create, name="marker_create"),
    path("markers/<oid:marker_id>/", views_markers.marker_update, name="marker_update"),
    path("markers/<oid:marker_id>/delete/", views_markers.marker_delete, name="marker_delete"),
    path("periods/", views_periods.periods_view, name="periods"),
    path("compare/", views.compare_view, name="compare"),
    path("compare/export/<str:format>/", views.compare_export_view, name="compare_export"),
    path("export/<str:format>/", views.export_view, name="export"),
    path("report/", views.report_view, name="report"),
    path("aspects/<str:format>/", views.aspects_export_view, name="aspects_export"),
    path("reanalyse/", views.project_reanalyse, name="reanalyse"),
    path("targets/<oid:target_id>/remove/", views.target_remove, name="target_remove"),
]
