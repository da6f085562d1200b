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


# Every refusal at a plan limit says this; the pages turn it into a link to the plans page
# (accounts.templatetags.plans), so the message and its link cannot drift apart.
UPGRADE_PHRASE = "upgrade your plan"

# The limits the plans page compares, in its order: (Plan attribute, what the user reads).
LIMITS = (
    ("max_projects", "Projects"),
    ("max_targets_per_project", "Targets per project"),
    ("scrapes_per_month", "Scrapes per month"),
    ("api_calls_per_month", "API calls and exports per month"),
    ("retention_days", "Results kept (days)"),
)
