"""Plan usage counters: atomic, reset monthly, enforced with a clear message.

Counters live in ``users.usage`` and change only through single-document
conditional updates, so two processes can never both take the last unit of a
quota (``transaction.atomic`` is a no-op on MongoDB).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from accounts.models import User
from accounts.plans import LIMITS, PLANS, UPGRADE_PHRASE, Plan, get_plan
from sentimatrix.mongo import collection
from sentimatrix.refusals import Refused

# counter field in users.usage -> (Plan attribute holding its limit, what the user reads)
COUNTERS = {
    "projects_count": ("max_projects", "projects"),
    "scrapes_this_month": ("scrapes_per_month", "scrape jobs this month"),
    "api_calls_this_month": ("api_calls_per_month", "API calls this month"),
}
MONTHLY = ("scrapes_this_month", "api_calls_this_month")


class PlanLimitReached(Refused):
    """A plan limit would be exceeded; the message says which and what to do."""


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def reset_if_new_month(user_id: ObjectId, now: datetime | None = None) -> bool:
    """Zero the monthly counters once per calendar month (UTC); True when it did."""
    now = now or datetime.now(UTC)
    result = collection("users").update_one(
        {
            "_id": user_id,
            "$or": [{"usage.last_reset_at": None}, {"usage.last_reset_at": {"$lt": _month_start(now)}}],
        },
        {"$set": {**{f"usage.{name}": 0 for name in MONTHLY}, "usage.last_reset_at": now}},
    )
    return result.modified_count == 1


def consume(user: User, counter: str, amount: int = 1) -> int:
    """Take ``amount`` units of a counter or raise PlanLimitReached. Returns the new value."""
    limit_attr, label = COUNTERS[counter]
    if counter in MONTHLY:
        reset_if_new_month(user.pk)
    limit = getattr(get_plan(user.plan), limit_attr)
    query: dict[str, Any] = {"_id": user.pk}

    if limit is not None:
        query[f"usage.{counter}"] = {"$lte": limit - amount}
    doc = collection("users").find_one_and_update(
        query, {"$inc": {f"usage.{counter}": amount}}, projection={"usage": 1}, return_document=True
    )
    if doc is None:
        plan = get_plan(user.plan)
        advice = (
            f"{UPGRADE_PHRASE.capitalize()} or wait for the monthly reset."
            if counter in MONTHLY
            else f"Archive or delete one, or {UPGRADE_PHRASE}."
        )
        raise PlanLimitReached(f"Your {plan.label} plan allows {limit} {label}. {advice}")
    setattr(user.usage, counter, doc["usage"][counter])
    return doc["usage"][counter]


def release(user: User, counter: str, amount: int = 1) -> None:
    """Give units back (a project deleted), never below zero."""
    collection("users").update_one(
        {"_id": user.pk, f"usage.{counter}": {"$gte": amount}}, {"$inc": {f"usage.{counter}": -amount}}
    )


@dataclass(frozen=True)
class UsageBar:
    label: str
    used: int
    limit: int | None

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.used / self.limit))


def usage_bars(user: User) -> list[UsageBar]:
    """What the settings page shows: one bar per counter of the user's plan."""
    reset_if_new_month(user.pk)
    user.refresh_from_db(fields=["usage"])
    plan = get_plan(user.plan)
    return [
        UsageBar(label[:1].upper() + label[1:], getattr(user.usage, counter), getattr(plan, limit_attr))
        for counter, (limit_attr, label) in COUNTERS.items()
    ]


# What the plans page shows as used against each limit (a Plan attribute): the usage counter
# it is checked against, or None for a limit that is not a count of the user's (retention).
_USED_BY = {
    "max_projects": "projects_count",
    "scrapes_per_month": "scrapes_this_month",
    "api_calls_per_month": "api_calls_this_month",
}


@dataclass(frozen=True)
class LimitRow:
    """One line of the plans page: a limit, the user's use of it and every plan's value."""

    label: str
    used: int | None  # None: not a count (retention)
    limits: list[tuple[bool, int | None]]  # (the user's plan?, its limit) per plan; None = unlimited
    current: int | None  # the user's plan's limit

    @property
    def percent(self) -> int:
        return UsageBar(self.label, self.used or 0, self.current).percent


def largest_project_targets(user: User) -> int:
    """The most targets any of ``user``'s projects has: what the per-project limit is checked
    against (read from the projects' counters, which the limit itself is enforced on)."""
    docs = collection("projects").find({"user_id": user.pk}, {"stats.total_targets": 1})
    return max(((d.get("stats") or {}).get("total_targets") or 0 for d in docs), default=0)


def plan_overview(user: User) -> tuple[list[Plan], list[LimitRow]]:
    """Every plan and one row per limit with ``user``'s own usage against it (the plans page)."""
    reset_if_new_month(user.pk)
    user.refresh_from_db(fields=["usage", "plan"])
    plan = get_plan(user.plan)
    plans = list(PLANS.values())
    rows = []
    for attr, label in LIMITS:
        if attr == "max_targets_per_project":
            used = largest_project_targets(user)
        elif attr in _USED_BY:
            used = getattr(user.usage, _USED_BY[attr])
        else:
            used = None
        limits = [(p.key == plan.key, getattr(p, attr)) for p in plans]
        rows.append(LimitRow(label, used, limits, getattr(plan, attr)))
    return plans, rows
