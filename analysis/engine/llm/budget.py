"""A project's monthly LLM token budget, kept on the project document.

The counters are the project's ``stats.llm_tokens_this_month`` and
``stats.llm_cost_this_month``; ``stats.llm_month`` ("YYYY-MM", UTC) says which month they
count. Every change is one single-document update, so concurrent workers never lose an
increment:

- recording usage is an ``$inc`` on both counters;
- a new month resets them with an update conditional on the stored month being an earlier
  one, so of two workers crossing midnight on the 1st only the first resets. A project
  without ``stats.llm_month`` (created before it existed, or rewritten by a full save of the
  model) adopts the current month *without* a reset: losing the marker must never hand a
  project a fresh budget.

The limit comes from the project's ``config.limits.llm_monthly_token_budget``
(:data:`DEFAULT_MONTHLY_TOKENS` when the field is absent). Before each request the engine asks
:meth:`TokenBudget.check` with the request's estimated tokens; it raises
:class:`BudgetExceeded` when they do not fit in what is left. Usage is recorded after each
answer, so a run stopped half-way has counted exactly what it spent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.collection import Collection

from analysis.engine.base import ItemAnalysis
from sentimatrix.mongo import collection
from sentimatrix.when import format_day

if TYPE_CHECKING:
    from projects.models import Project

DEFAULT_MONTHLY_TOKENS = 2_000_000


class BudgetExceeded(Exception):
    """The project's monthly token budget does not cover the next request.

    ``results`` holds the analyses finished before the stop (keyed by item id, to be written
    like any other) and ``usage`` what the run spent; items not in ``results`` stay
    un-analysed for a later run.
    """

    def __init__(self, message: str, *, limit: int = 0, used: int = 0, resets_on: date | None = None):
        super().__init__(message)
        self.limit = limit
        self.used = used
        self.resets_on = resets_on
        self.results: dict[str, ItemAnalysis] = {}
        self.usage: Any = None


def month_of(moment: datetime) -> str:
    """The "YYYY-MM" of an aware datetime, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def next_month_start(moment: datetime) -> date:
    """The first day of the month after ``moment`` (UTC)."""
    moment = moment.astimezone(UTC)
    return date(moment.year + (moment.month == 12), moment.month % 12 + 1, 1)


class TokenBudget:
    """Checks and records one project's LLM usage against its monthly token limit.

    ``clock`` returns the current aware datetime (injectable so tests can cross a month)."""

    def __init__(
        self,
        project_id: ObjectId,
        monthly_limit: int = DEFAULT_MONTHLY_TOKENS,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.project_id = project_id
        self.monthly_limit = int(monthly_limit)
        self.clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def for_project(cls, project: Project) -> TokenBudget:
        """The budget of a ``projects.models.Project`` (limit from ``config.limits``)."""
        limits = getattr(getattr(project, "config", None), "limits", None)
        limit = getattr(limits, "llm_monthly_token_budget", None)
        return cls(project.pk, DEFAULT_MONTHLY_TOKENS if limit is None else limit)

    @property
    def _projects(self) -> Collection:
        return collection("projects")

    def _roll_month(self) -> str:
        month = month_of(self.clock())
        projects = self._projects
        unmarked = [
            {"stats.llm_month": {"$exists": False}},
            {"stats.llm_month": None},
            {"stats.llm_month": ""},
        ]
        projects.update_one({"_id": self.project_id, "$or": unmarked}, {"$set": {"stats.llm_month": month}})
        projects.update_one(
            {"_id": self.project_id, "stats.llm_month": {"$lt": month}},
            {
                "$set": {
                    "stats.llm_month": month,
                    "stats.llm_tokens_this_month": 0,
                    "stats.llm_cost_this_month": 0.0,
                }
            },
        )
        return month

    def used(self) -> tuple[int, float]:
        """Tokens and USD used this month (after the month's reset, if one is due)."""
        self._roll_month()
        doc = self._projects.find_one({"_id": self.project_id}, {"stats": 1}) or {}
        stats = doc.get("stats") or {}
        return int(stats.get("llm_tokens_this_month") or 0), float(stats.get("llm_cost_this_month") or 0.0)

    def check(self, tokens: int = 0) -> int:
        """Tokens left this month; :class:`BudgetExceeded` when ``tokens`` more do not fit."""
        used, _cost = self.used()
        left = self.monthly_limit - used
        if left <= 0 or tokens > left:
            resets_on = next_month_start(self.clock())
            raise BudgetExceeded(
                f"The project's monthly LLM budget of {self.monthly_limit:,} tokens is used up "
                f"({used:,} used this month); analysis paused until {format_day(resets_on)} (UTC) "
                "or raise the budget",
                limit=self.monthly_limit,
                used=used,
                resets_on=resets_on,
            )
        return left

    def record(self, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        """Add one request's usage to this month's counters."""
        # A writer whose clock is behind (usage of March arriving in April) adds to the
        # current counters rather than taking the month back: the budget errs on the safe side.
        self._roll_month()
        self._projects.update_one(
            {"_id": self.project_id},
            {
                "$inc": {
                    "stats.llm_tokens_this_month": int(prompt_tokens) + int(completion_tokens),
                    "stats.llm_cost_this_month": float(cost_usd),
                }
            },
        )
