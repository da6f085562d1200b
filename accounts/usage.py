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
from accounts.plans import get_plan
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
            "Upgrade your plan or wait for the monthly reset."
            if counter in MONTHLY
            else "Archive or delete one, or upgrade your plan."
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
