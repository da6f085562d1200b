"""``/api/``: the versioned endpoints, the OpenAPI schema and its documentation page, and the
access-token settings page. Any other path under it is a JSON 404."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views, views_tokens

app_name = "api"

v1 = [
    path("projects/", views.ProjectListView.as_view(), name="projects"),
    path("projects/<oid:project_id>/", views.ProjectDetailView.as_view(), name="project"),
    path("projects/<oid:project_id>/archive/", views.ProjectArchiveView.as_view(), name="project-archive"),
    path("projects/<oid:project_id>/targets/", views.TargetListView.as_view(), name="targets"),
    path("projects/<oid:project_id>/targets/bulk/", views.TargetBulkView.as_view(), name="targets-bulk"),
    path(
        "projects/<oid:project_id>/targets/<oid:target_id>/", views.TargetDetailView.as_view(), name="target"
    ),
    path("projects/<oid:project_id>/jobs/", views.ProjectJobsView.as_view(), name="project-jobs"),
    path("projects/<oid:project_id>/results/", views.ResultListView.as_view(), name="results"),
    path(
        "projects/<oid:project_id>/results/<oid:result_id>/", views.ResultDetailView.as_view(), name="result"
    ),
    path("projects/<oid:project_id>/views/", views.SavedViewListView.as_view(), name="views"),
    path("projects/<oid:project_id>/views/<oid:view_id>/", views.SavedViewDetailView.as_view(), name="view"),
    path("projects/<oid:project_id>/reports/", views.ReportListView.as_view(), name="reports"),
    path(
        "projects/<oid:project_id>/reports/<oid:report_id>/", views.ReportDetailView.as_view(), name="report"
    ),
    path("projects/<oid:project_id>/markers/", views.MarkerListView.as_view(), name="markers"),
    path(
        "projects/<oid:project_id>/markers/<oid:marker_id>/", views.MarkerDetailView.as_view(), name="marker"
    ),
    path("projects/<oid:project_id>/periods/", views.ProjectPeriodsView.as_view(), name="project-periods"),
    path("projects/<oid:project_id>/stats/", views.ProjectStatsView.as_view(), name="project-stats"),
    path("projects/<oid:project_id>/insights/", views.ProjectInsightsView.as_view(), name="project-insights"),
    path("projects/<oid:project_id>/alert-rules/", views.AlertRuleListView.as_view(), name="alert-rules"),
    path(
        "projects/<oid:project_id>/alert-rules/<oid:rule_id>/",
        views.AlertRuleDetailView.as_view(),
        name="alert-rule",
    ),
    path(
        "projects/<oid:project_id>/alert-rules/<oid:rule_id>/mute/",
        views.AlertRuleMuteView.as_view(),
        name="alert-rule-mute",
    ),
    path(
        "projects/<oid:project_id>/alert-rules/<oid:rule_id>/unmute/",
        views.AlertRuleUnmuteView.as_view(),
        name="alert-rule-unmute",
    ),
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("alerts/<oid:alert_id>/", views.AlertDetailView.as_view(), name="alert"),
    path(
        "alerts/<oid:alert_id>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="alert-acknowledge"
    ),
    path("jobs/<oid:job_id>/", views.JobDetailView.as_view(), name="job"),
    path("jobs/<oid:job_id>/cancel/", views.JobCancelView.as_view(), name="job-cancel"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<oid:webhook_id>/", views.WebhookDetailView.as_view(), name="webhook"),
    path(
        "webhooks/<oid:webhook_id>/deliveries/",
        views.WebhookDeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its settings script as a file: the policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("tokens/", views_tokens.token_list, name="tokens"),
    path("tokens/<oid:token_id>/revoke/", views_tokens.token_revoke, name="token-revoke"),
    re_path(r"^.*$", views.not_found),
]
