"""The dashboard's choices (period, granularity, grouping) and their defaults."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

PERIODS = {
    "7": "Last 7 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last 12 months",
    "all": "All time",
}
DEFAULT_PERIOD = "all"
GRANULARITIES = {"auto": "Automatic", "day": "Day", "week": "Week", "month": "Month"}
GROUPS = {"all": "All results", "target": "Per target", "platform": "Per platform"}
# With period "all" the change of the average compares the last 30 days with the 30 before.
CHANGE_WINDOW_DAYS = 30
MAX_SERIES = 8  # lines on one chart; the rest are left to the table
LABEL_OF_BUCKET = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
# A 3-class bucket in the explorer: the 5-class labels it folds in (analysis.stats.bucket).
LABELS_IN_BUCKET = {
    "positive": ["positive", "very_positive"],
    "neutral": ["neutral"],
    "negative": ["negative", "very_negative"],
}
DAILY_FIELDS = {
    "target_id": 1, "platform": 1, "day": 1, "count": 1, "sum": 1, "labels": 1, "emotions": 1,
    "rating_sum": 1, "rating_count": 1, "ratings": 1, "flagged": 1,
}  # fmt: skip


# --- options ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardOptions:
    period: str = DEFAULT_PERIOD
    granularity: str = "auto"
    group_by: str = "all"
    targets: tuple[str, ...] = ()  # the comparison view's targets

    @classmethod
    def parse(cls, params, target_ids: list[str] | None = None) -> DashboardOptions:
        """Options from query parameters; unknown values fall back to the defaults."""
        period = params.get("period") or DEFAULT_PERIOD
        granularity = params.get("granularity") or "auto"
        group_by = params.get("group") or "all"
        wanted = params.getlist("target") if hasattr(params, "getlist") else params.get("target", [])
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        targets = tuple(dict.fromkeys(t for t in wanted if target_ids is None or t in target_ids))
        return cls(
            period=period if period in PERIODS else DEFAULT_PERIOD,
            granularity=granularity if granularity in GRANULARITIES else "auto",
            group_by=group_by if group_by in GROUPS else "all",
            targets=targets,
        )

    @property
    def days(self) -> int | None:
        return None if self.period == "all" else int(self.period)

    def query_string(self, **changes) -> str:
        options = replace(self, **changes)
        pairs = [
            (name, value)
            for name, value, default in (
                ("period", options.period, DEFAULT_PERIOD),
                ("granularity", options.granularity, "auto"),
                ("group", options.group_by, "all"),
            )
            if value != default
        ]
        pairs += [("target", t) for t in options.targets]
        return urlencode(pairs)
