"""Project dashboards from the incremental statistics: never a scan of the results.

Every figure here comes from the project's and targets' ``stats`` and from the daily
aggregates (``daily_stats``: one document per target and UTC day of the content's date, see
``analysis.stats``), whose number grows with targets times days, not with results. What people say
(topics, pros, cons) comes from :mod:`analysis.insights_cache` (a cached sample).

Counts are of analysed results that are not excluded by triage (what the statistics hold);
``total_results`` is everything collected. Days are UTC days, so every explorer link built
here carries ``tz=UTC`` and ``date_field=content`` to land on the same results.

Each chart is a plain dict (see :func:`analysis.dashboard.charts.make_chart`): labels, datasets with a link per point (the
explorer filtered to that element), a one-sentence summary and a table (text alternative).

What people say (aspects, pros, cons) is read from :mod:`analysis.insights_cache`, the one place
it is computed: the dashboard, the comparison, the report and the aspects export show the same
counts for the same sample, and say which sample that is.

The parts: ``options``, ``sums``, ``buckets``, ``charts``, ``page`` (the dashboard) and ``compare``.
"""

from analysis.dashboard.buckets import (
    bucket_end,
    bucket_label,
    bucket_start,
    bucket_starts,
    choose_granularity,
)
from analysis.dashboard.charts import (
    CHART_TOPICS,
    VERDICTS,
    aspect_link,
    aspect_rows,
    chart_payload,
    explorer_url,
)
from analysis.dashboard.compare import compare_targets
from analysis.dashboard.options import (
    CHANGE_WINDOW_DAYS,
    DAILY_FIELDS,
    DEFAULT_PERIOD,
    GRANULARITIES,
    GROUPS,
    LABEL_OF_BUCKET,
    LABELS_IN_BUCKET,
    MAX_SERIES,
    PERIODS,
    DashboardOptions,
)
from analysis.dashboard.page import project_dashboard
from analysis.dashboard.sums import Totals, daily_documents, totals

__all__ = [
    "CHANGE_WINDOW_DAYS",
    "CHART_TOPICS",
    "DAILY_FIELDS",
    "DEFAULT_PERIOD",
    "GRANULARITIES",
    "GROUPS",
    "LABELS_IN_BUCKET",
    "LABEL_OF_BUCKET",
    "MAX_SERIES",
    "PERIODS",
    "VERDICTS",
    "DashboardOptions",
    "Totals",
    "aspect_link",
    "aspect_rows",
    "bucket_end",
    "bucket_label",
    "bucket_start",
    "bucket_starts",
    "chart_payload",
    "choose_granularity",
    "compare_targets",
    "daily_documents",
    "explorer_url",
    "project_dashboard",
    "totals",
]
