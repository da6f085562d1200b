"""A project's alert rules: create, change, delete, switch on and off, mute and unmute.

Pages and the API validate what they are given with :class:`notifications.alerts.forms.AlertRuleForm`
and call these; the model's ``clean()`` holds the invariants whoever saves. Edits write only the
fields a person sets, never ``last_triggered_at``/``last_evaluated_at``, which detection writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit
from accounts.models import User
from notifications.models import MUTED_FOR_GOOD, AlertRule
from projects.models import Project

# The fields a person sets (the form's), written by an edit.
EDIT_FIELDS = [
    "name",
    "kind",
    "period",
    "target_ids",
    "platforms",
    "query",
    "only_negative",
    "min_count",
    "significance",
    "cooldown_hours",
    "email",
    "chat_webhook_urls",
    "enabled",
]


# Each rule is evaluated after every analysis batch of its project: a bound keeps that cost known.
MAX_RULES_PER_PROJECT = 50


@dataclass(frozen=True)
class MuteChoice:
    key: str
    label: str
    duration: timedelta | None  # None: until someone unmutes


MUTE_CHOICES = (
    MuteChoice("1h", "for 1 hour", timedelta(hours=1)),
    MuteChoice("1d", "for 1 day", timedelta(days=1)),
    MuteChoice("1w", "for 1 week", timedelta(weeks=1)),
    MuteChoice("forever", "until I unmute", None),
)
MUTE_BY_KEY = {choice.key: choice for choice in MUTE_CHOICES}


class UnknownMute(ValueError):
    """A mute duration that is none of :data:`MUTE_CHOICES`."""


def rules_of(project: Project) -> QuerySet[AlertRule]:
    """The project's rules, by name."""
    return AlertRule.objects.filter(project_id=project.pk).order_by("name", "pk")


def rule_for(project: Project, rule_id) -> AlertRule:
    """One rule of ``project`` (``AlertRule.DoesNotExist`` for any other id)."""
    rule = AlertRule.objects.get(pk=rule_id, project_id=project.pk)
    rule.project = project
    return rule


def _audit(event: str, rule: AlertRule, request: HttpRequest | None, **extra) -> None:
    audit.record(
        event,
        request=request,
        user=rule.user if request is None else None,
        rule_id=str(rule.pk),
        project_id=str(rule.project_id),
        kind=rule.kind,
        **extra,
    )


def create_rule(
    project: Project, user: User, fields: dict, *, request: HttpRequest | None = None
) -> AlertRule:
    """Save a new rule of ``project`` from a valid form's ``fields`` (at most
    :data:`MAX_RULES_PER_PROJECT` per project). Audit-logged."""
    if AlertRule.objects.filter(project_id=project.pk).count() >= MAX_RULES_PER_PROJECT:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: f"A project has at most {MAX_RULES_PER_PROJECT} alert rules; delete one first."
            }
        )
    rule = AlertRule(project=project, user=user)
    for name in EDIT_FIELDS:
        if name in fields:
            setattr(rule, name, fields[name])
    rule.full_clean(exclude=["user", "project"])
    rule.save(force_insert=True)
    _audit("alert_rule.create", rule, request)
    return rule


def update_rule(rule: AlertRule, fields: dict, *, request: HttpRequest | None = None) -> AlertRule:
    """Change a rule from a valid form's ``fields``. Audit-logged."""
    for name in EDIT_FIELDS:
        if name in fields:
            setattr(rule, name, fields[name])
    rule.full_clean(exclude=["user", "project"])
    rule.save(update_fields=[*EDIT_FIELDS, "updated_at"])
    _audit("alert_rule.update", rule, request)
    return rule


def delete_rule(rule: AlertRule, *, request: HttpRequest | None = None) -> None:
    """Delete a rule and the alerts it raised. Audit-logged."""
    _audit("alert_rule.delete", rule, request, name=rule.name)
    rule.delete()


def set_enabled(rule: AlertRule, enabled: bool) -> AlertRule:
    """Switch a rule on or off (a rule that is off is never evaluated)."""
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    return rule


def mute(rule: AlertRule, choice: str, *, now: datetime | None = None) -> AlertRule:
    """Mute a rule for one of :data:`MUTE_CHOICES` (its key): it is evaluated and stays quiet.

    Muting again replaces the previous mute, shorter or longer.
    """
    try:
        duration = MUTE_BY_KEY[choice].duration
    except KeyError as exc:
        raise UnknownMute(f"Mute for one of: {', '.join(MUTE_BY_KEY)}.") from exc
    rule.muted_until = MUTED_FOR_GOOD if duration is None else (now or timezone.now()) + duration
    rule.save(update_fields=["muted_until", "updated_at"])
    return rule


def unmute(rule: AlertRule) -> AlertRule:
    """End a rule's mute now."""
    rule.muted_until = None
    rule.save(update_fields=["muted_until", "updated_at"])
    return rule


def is_muted(rule: AlertRule, *, now: datetime | None = None) -> bool:
    """Whether the rule is muted at ``now``."""
    return rule.muted_until is not None and rule.muted_until > (now or timezone.now())
