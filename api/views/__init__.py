"""The ``/api/v1/`` endpoints: parse the request, call the product's service, serialise.

Every object is looked up among the caller's own (another user's id is a 404, as a missing
one). Each request is authenticated (token or session), checked for the scope of its
method, rate-limited, counted against the plan's monthly API calls (token requests) and
refused over the body size limit; see :class:`ApiView`.
"""

from api.views.alerts import (
    AlertAcknowledgeView,
    AlertDetailView,
    AlertListView,
    AlertRuleDetailView,
    AlertRuleListView,
    AlertRuleMuteView,
    AlertRuleUnmuteView,
    own_alert,
    own_rule,
)
from api.views.base import STATUS_PARAM, ApiView
from api.views.fallback import not_found
from api.views.jobs import JOB_STATUS_PARAM, JobCancelView, JobDetailView, ProjectJobsView, own_job
from api.views.markers import MarkerDetailView, MarkerListView, own_marker
from api.views.periods import ProjectPeriodsView
from api.views.projects import FORM_FIELD_OF_PATH, ProjectArchiveView, ProjectDetailView, ProjectListView
from api.views.reports import ReportDetailView, ReportListView, own_report
from api.views.results import RESULT_FILTERS, RESULT_ORDERINGS, ResultDetailView, ResultListView
from api.views.saved_views import SavedViewDetailView, SavedViewListView, own_view
from api.views.stats import ProjectInsightsView, ProjectStatsView
from api.views.targets import TargetBulkView, TargetDetailView, TargetListView
from api.views.webhooks import WebhookDeliveriesView, WebhookDetailView, WebhookListView, own_webhook

__all__ = [
    "FORM_FIELD_OF_PATH",
    "JOB_STATUS_PARAM",
    "RESULT_FILTERS",
    "RESULT_ORDERINGS",
    "STATUS_PARAM",
    "AlertAcknowledgeView",
    "AlertDetailView",
    "AlertListView",
    "AlertRuleDetailView",
    "AlertRuleListView",
    "AlertRuleMuteView",
    "AlertRuleUnmuteView",
    "ApiView",
    "JobCancelView",
    "JobDetailView",
    "MarkerDetailView",
    "MarkerListView",
    "ProjectArchiveView",
    "ProjectDetailView",
    "ProjectInsightsView",
    "ProjectJobsView",
    "ProjectListView",
    "ProjectPeriodsView",
    "ProjectStatsView",
    "ReportDetailView",
    "ReportListView",
    "ResultDetailView",
    "ResultListView",
    "SavedViewDetailView",
    "SavedViewListView",
    "TargetBulkView",
    "TargetDetailView",
    "TargetListView",
    "WebhookDeliveriesView",
    "WebhookDetailView",
    "WebhookListView",
    "not_found",
    "own_alert",
    "own_job",
    "own_marker",
    "own_report",
    "own_rule",
    "own_view",
    "own_webhook",
]
