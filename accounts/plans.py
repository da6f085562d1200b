"""Plans and their limits, in one place."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    key: str
    label: str
    max_projects: int | None  # None = unlimited
    max_targets_per_project: int | None
    scrapes_per_month: int | None
    api_calls_per_month: int | None
    retention_days: int


PLANS = {
    p.key: p
    for p in (
        Plan("starter", "Starter", 3, 5, 100, 1_000, 30),
        Plan("standard", "Standard", 10, 25, 1_000, 10_000, 90),
        Plan("advanced", "Advanced", 50, 100, 10_000, 100_000, 180),
        Plan("enterprise", "Enterprise", None, None, None, None, 365),
    )
}
DEFAULT_PLAN = "starter"
PLAN_CHOICES = [(p.key, p.label) for p in PLANS.values()]


def get_plan(key: str) -> Plan:
    return PLANS.get(key, PLANS[DEFAULT_PLAN])
