"""What an analyst can do about a failed target: the one map from a failure to its remedy.

A target's failure is stored as the text its collector or the HTTP client raised (``error`` of
the job's target entry, ``error_message`` of the target). The job page, the project page, the
dashboard and explorer empty states and the failure email all show it through :func:`remedy_for`,
so every place that names a failure says the same next step and links to the same page.

Kinds are recognised from that text (the collectors' messages are written for people and name
what went wrong; see ``scraping.collectors`` and ``sentimatrix.http``), first match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import reverse

#: What the "retry failed targets" action of a job is called wherever it is offered.
RETRY_LABEL = "Retry failed targets"


@dataclass(frozen=True)
class Action:
    """A link (or, with ``post``, a button posting to ``url``) that fixes the failure."""

    label: str
    url: str
    post: bool = False


@dataclass(frozen=True)
class Remedy:
    """A failure explained: its ``kind``, what it means and what to do (``advice``), and the
    pages that do it (``actions``, most useful first)."""

    kind: str
    advice: str
    actions: list[Action] = field(default_factory=list)

    @property
    def links(self) -> list[Action]:
        """The actions that are plain links (what an email or a GET-only place can offer)."""
        return [action for action in self.actions if not action.post]


# (kind, pattern of the stored message, advice). Order matters: the first match wins.
_KINDS: list[tuple[str, re.Pattern, str]] = [
    (
        "missing_key",
        re.compile(
            r"needs an? .*(key|token)|no \w+ (key|token) is stored|add one (to the vault|on the API keys page)",
            re.I,
        ),
        "This platform needs an API key that is not stored yet: add it on the API keys page, "
        "then retry the failed targets.",
    ),
    (
        "key_rejected",
        re.compile(r"refused the (stored )?(api )?(key|token)|key .*(expired|invalid)|api key stored", re.I),
        "The platform refused the stored API key (wrong, expired or without access): replace it "
        "on the API keys page, then retry the failed targets.",
    ),
    (
        "quota",
        re.compile(r"quota|billing", re.I),
        "The API key has used up its quota: wait until it resets (usually the next day) or use "
        "another key on the API keys page, then retry the failed targets.",
    ),
    (
        "daily_limit",
        re.compile(r"requests per day", re.I),
        "The project reached its own limit of requests per day: it resets at midnight UTC. "
        "Raise the limit in the project's settings to collect more today.",
    ),
    (
        "rate_limited",
        re.compile(r"rate limiting", re.I),
        "The site is slowing down automated visits: retry the failed targets later, or raise the "
        "delay between requests in the project's settings.",
    ),
    (
        "unreachable",
        re.compile(r"could not be reached|timed out|could not be resolved", re.I),
        "The site did not answer: it may be down, blocking automated visits, or unreachable from "
        "this server's network. Retry the failed targets in a while; if it keeps failing, check "
        "the target's address.",
    ),
    (
        "blocked_address",
        re.compile(r"only http and https|is not a valid URL|has no host name|addresses are allowed", re.I),
        "The target's address cannot be collected (not a public web address): correct the target's address.",
    ),
    (
        "not_found",
        re.compile(r"answered 404|answered 410|has no (video|place|item)|not found|deleted|private", re.I),
        "The platform no longer has this item (deleted, private or a wrong address): check the "
        "target's address, or remove the target.",
    ),
    (
        "forbidden",
        re.compile(r"answered 40[13]|refused access|turned off", re.I),
        "The platform refused access to this target: check that it is public, then retry.",
    ),
    (
        "layout",
        re.compile(r"layout may have changed|is not a valid CSS selector|item selector|not an RSS", re.I),
        "What the page returned does not have the expected shape: check the target's address "
        "and, for a web page, its CSS selectors.",
    ),
    (
        "file",
        re.compile(r"line \d+|column \d+|the file", re.I),
        "The uploaded file cannot be read: fix it and upload it again as a new target.",
    ),
    (
        "worker",
        re.compile(r"worker stopped responding", re.I),
        "The worker running this target stopped (restarted or out of memory): retry the failed "
        "targets; what was collected is kept.",
    ),
    (
        "removed",
        re.compile(r"target was removed", re.I),
        "The target was removed before it ran: nothing to do.",
    ),
    (
        "language",
        re.compile(r"no review in “[^”]*” although", re.I),
        "Google Play keeps reviews per language and gave none in this one: add the app again "
        "with a language its users write in (hl= in the store link); if it surely has reviews "
        "in this one, retry later.",
    ),
    (
        "nothing_collected",
        re.compile(r"0 collected of", re.I),
        "The platform reports reviews but none came back (a temporary block or a changed page): "
        "retry the failed targets later.",
    ),
]
_DEFAULT = (
    "other",
    "The target could not be collected: retry the failed targets; if it fails again, check the "
    "target's address and settings.",
)

#: Which pages each kind's actions point to (see :func:`remedy_for`).
_KEY_PAGE = frozenset({"missing_key", "key_rejected", "quota"})
_PROJECT_SETTINGS = frozenset({"daily_limit", "rate_limited"})
_TARGET_PAGE = frozenset({"unreachable", "blocked_address", "not_found", "forbidden", "layout", "other"})
_NO_RETRY = frozenset({"removed", "blocked_address", "file"})


def failure_kind(error: str) -> tuple[str, str]:
    """``(kind, advice)`` of a stored failure message."""
    for kind, pattern, advice in _KINDS:
        if pattern.search(error or ""):
            return kind, advice
    return _DEFAULT


def target_url(project_id: object, target_id: object | None) -> str:
    """Where a target is changed: its edit page (the project page when no target is named)."""
    if target_id is None:
        return reverse("projects:detail", args=[project_id])
    return reverse("projects:target_edit", args=[project_id, target_id])


def remedy_for(
    error: str,
    *,
    project_id: object,
    target_id: object | None = None,
    job_id: object | None = None,
    retry: bool = True,
) -> Remedy | None:
    """What to do about ``error`` (None for no error): advice and the pages that fix it.

    ``job_id`` with ``retry`` adds the job's "retry failed targets" action (a POST) where a
    retry can help; without a job the project page is offered for a new run instead.
    """
    if not error:
        return None
    kind, advice = failure_kind(error)
    actions: list[Action] = []
    if kind in _KEY_PAGE:
        actions.append(Action("Open API keys", reverse("accounts:api_keys")))
    if kind in _PROJECT_SETTINGS:
        actions.append(Action("Edit the project's limits", reverse("projects:edit", args=[project_id])))
    if kind not in _NO_RETRY and retry:
        if job_id is not None:
            actions.append(Action(RETRY_LABEL, reverse("jobs:retry", args=[job_id]), post=True))
        else:
            actions.append(
                Action("Run again from the project page", reverse("projects:detail", args=[project_id]))
            )
    if kind in _TARGET_PAGE:
        actions.append(Action("Check the target", target_url(project_id, target_id)))
    if kind == "file":
        actions.append(Action("Upload the file again", reverse("projects:add_target", args=[project_id])))
    if kind == "language":
        actions.append(
            Action("Add it in another language", reverse("projects:add_target", args=[project_id]))
        )
    return Remedy(kind, advice, actions)
