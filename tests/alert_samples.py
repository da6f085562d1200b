"""Alert rules and alerts for tests, written straight through the ORM (detection is not under
test where these are used)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from notifications.models import Alert, AlertKind, AlertRule
from tests.clock import SEED_NOW

_keys = itertools.count(1)


def make_rule(project, **fields) -> AlertRule:
    """A valid rule of ``project`` (a daily volume spike unless ``fields`` say otherwise)."""
    values = {"name": "Volume", "kind": AlertKind.VOLUME_SPIKE, **fields}
    rule = AlertRule(project=project, user_id=project.user_id, **values)
    rule.full_clean(exclude=["user", "project"])
    rule.save()
    return rule


def make_alert(rule: AlertRule, *, created_at=SEED_NOW, **fields) -> Alert:
    """An alert of ``rule`` over the day before ``created_at``."""
    values = {
        "title": f"{rule.name}: more results than usual",
        "window_start": created_at - timedelta(days=1),
        "window_end": created_at,
        "baseline": 4.0,
        "observed": 19.0,
        "statistic": 5.1,
        "p_value": 0.00002,
        "details": {"test": "poisson"},
        **fields,
    }
    return Alert.objects.create(
        user_id=rule.user_id,
        project_id=rule.project_id,
        rule=rule,
        kind=rule.kind,
        key=f"{rule.pk}:test:{next(_keys)}",
        created_at=created_at,
        **values,
    )
