"""A project's alert rules, alerts and scheduled reports go with the project and with the
account, and are part of the account's data export."""

import json

import pytest

from accounts import data
from notifications.models import Alert, AlertRule, ReportSchedule
from notifications.reports import services as reports
from projects.services.lifecycle import delete_project
from tests.alert_samples import make_alert, make_rule
from tests.factories import make_project, make_user


def alerting(project):
    rule = make_rule(project)
    make_alert(rule)
    reports.create_schedule(project.user, project, name="Weekly", recipients=["team@example.com"])
    return rule


@pytest.mark.django_db
def test_deleting_a_project_takes_its_rules_alerts_and_reports_and_nothing_else():
    owner = make_user("owner@example.com")
    doomed, kept = make_project(owner, name="Doomed"), make_project(owner, name="Kept")
    alerting(doomed)
    kept_rule = alerting(kept)
    removed = delete_project(doomed)
    assert (removed["alerts"], removed["alert_rules"], removed["report_schedules"]) == (1, 1, 1)
    assert list(AlertRule.objects.values_list("pk", flat=True)) == [kept_rule.pk]
    assert list(Alert.objects.values_list("rule_id", flat=True)) == [kept_rule.pk]
    assert list(ReportSchedule.objects.values_list("project_id", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_erasing_an_account_takes_its_rules_alerts_and_reports_and_the_export_lists_them():
    me, other = make_user("me@example.com"), make_user("other@example.com")
    mine = alerting(make_project(me))
    theirs = alerting(make_project(other))
    exported = json.loads("".join(data.export_user_data(me)))
    assert [doc["_id"]["$oid"] for doc in exported["alert_rules"]] == [str(mine.pk)]
    assert [doc["rule_id"]["$oid"] for doc in exported["alerts"]] == [str(mine.pk)]
    assert [doc["recipients"] for doc in exported["report_schedules"]] == [["team@example.com"]]
    data.erase_user(me)
    assert list(AlertRule.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert list(Alert.objects.values_list("rule_id", flat=True)) == [theirs.pk]
    assert ReportSchedule.objects.get().user_id == other.pk
