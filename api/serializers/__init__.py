"""The API's JSON documents: the ORM objects under the specification's field names.

Ids are strings (``_id`` is ``id``; references keep their names: ``project_id``,
``target_id``...), datetimes ISO 8601 in UTC, and embedded documents keep their nested
names (``config.limits.max_reviews_per_target``, ``analysis.sentiment.label``).

Input serializers check types and ranges only; the rules (plan limits, archived projects,
duplicate targets, key ownership) stay in the services the views call. One module per resource;
this package names the documents the views answer with and read.
"""

from api.serializers.alerts import (
    AlertRuleInputSerializer,
    AlertRulePatchSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    MuteSerializer,
)
from api.serializers.insights import InsightsSerializer
from api.serializers.jobs import JobSerializer, JobStartSerializer
from api.serializers.markers import MarkerInputSerializer, MarkerPatchSerializer, MarkerSerializer
from api.serializers.periods import PeriodComparisonSerializer
from api.serializers.projects import ProjectCreateSerializer, ProjectSerializer, ProjectUpdateSerializer
from api.serializers.reports import (
    ReportScheduleInputSerializer,
    ReportSchedulePatchSerializer,
    ReportScheduleSerializer,
)
from api.serializers.results import ResultSerializer
from api.serializers.saved_views import (
    SavedViewInputSerializer,
    SavedViewPatchSerializer,
    SavedViewSerializer,
)
from api.serializers.stats import ProjectStatsResponseSerializer, StatsQuerySerializer
from api.serializers.targets import (
    BulkOutcomeSerializer,
    TargetBulkSerializer,
    TargetCreateSerializer,
    TargetEditSerializer,
    TargetRemovedSerializer,
    TargetSerializer,
)
from api.serializers.webhooks import (
    DeliverySerializer,
    WebhookInputSerializer,
    WebhookPatchSerializer,
    WebhookSavedSerializer,
    WebhookSerializer,
)

__all__ = [
    "AlertRuleInputSerializer",
    "AlertRulePatchSerializer",
    "AlertRuleSerializer",
    "AlertSerializer",
    "BulkOutcomeSerializer",
    "DeliverySerializer",
    "InsightsSerializer",
    "JobSerializer",
    "JobStartSerializer",
    "MarkerInputSerializer",
    "MarkerPatchSerializer",
    "MarkerSerializer",
    "MuteSerializer",
    "PeriodComparisonSerializer",
    "ProjectCreateSerializer",
    "ProjectSerializer",
    "ProjectStatsResponseSerializer",
    "ProjectUpdateSerializer",
    "ReportScheduleInputSerializer",
    "ReportSchedulePatchSerializer",
    "ReportScheduleSerializer",
    "ResultSerializer",
    "SavedViewInputSerializer",
    "SavedViewPatchSerializer",
    "SavedViewSerializer",
    "StatsQuerySerializer",
    "TargetBulkSerializer",
    "TargetCreateSerializer",
    "TargetEditSerializer",
    "TargetRemovedSerializer",
    "TargetSerializer",
    "WebhookInputSerializer",
    "WebhookPatchSerializer",
    "WebhookSavedSerializer",
    "WebhookSerializer",
]
