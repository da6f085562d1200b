"""Alert rules and alerts in the API: rules created, read, changed, muted and deleted by token and
refused with the pages' messages; alerts listed (by project, unread), read and acknowledged;
another user's rules and alerts are 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.models import MUTED_FOR_GOOD, Alert, AlertRule
from tests.alert_samples import make_alert, make_rule
from tests.api_helpers import all_ids, api_client, error_of, make_token, post_json
from tests.clock import SEED_NOW
from tests.factories import make_project, make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db

PUBLIC_HOOK = "https://93.184.215.14/chat/hook"


@pytest.fixture
def seeded(seed_clock, fast_passwords):
    return seed(make_user(plan="advanced"), 6)


@pytest.fixture
def api(seeded):
    return api_client(make_token(seeded.project.user))


def rules_url(seeded, rule_id=None, action="") -> str:
    base = f"/api/v1/projects/{seeded.project.pk}/alert-rules/"
    return f"{base}{rule_id}/{action + '/' if action else ''}" if rule_id else base


def test_create_read_list_change_and_delete_a_rule(seeded, api):
    target = str(seeded.targets[0].pk)
    created = post_json(
        api,
        rules_url(seeded),
        {
            "name": "Crashes",
            "kind": "keyword",
            "query": "crash -fixed",
            "only_negative": True,
            "target_ids": [target],
            "platforms": ["steam"],
            "chat_webhook_urls": [PUBLIC_HOOK],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["project_id"] == str(seeded.project.pk) and body["target_ids"] == [target]
    assert (body["kind"], body["query"], body["only_negative"], body["chat_webhook_urls"]) == (
        "keyword",
        "crash -fixed",
        True,
        [PUBLIC_HOOK],
    )
    # Defaults for what was left out.
    assert (body["period"], body["min_count"], body["significance"], body["cooldown_hours"]) == (
        "day",
        10,
        0.001,
        24,
    )
    assert body["muted"] is False and body["muted_until"] is None and body["enabled"] is True
    rule_id = body["id"]
    read = api.get(rules_url(seeded, rule_id)).json()
    # The database keeps milliseconds; the answer to the create has the instant as made.
    stamps = ("created_at", "updated_at")
    assert {k: v for k, v in read.items() if k not in stamps} == {
        k: v for k, v in body.items() if k not in stamps
    }
    assert all(read[k][:23] == body[k][:23] for k in stamps)
    assert all_ids(api, rules_url(seeded)) == [rule_id]

    changed = post_json(
        api, rules_url(seeded, rule_id), {"min_count": 3, "significance": 0.05}, method="patch"
    )
    assert changed.status_code == 200, changed.content
    after = changed.json()
    assert (after["min_count"], after["significance"], after["query"], after["target_ids"]) == (
        3,
        0.05,
        "crash -fixed",
        [target],
    )
    assert after["chat_webhook_urls"] == [PUBLIC_HOOK]

    make_alert(AlertRule.objects.get(pk=rule_id))
    assert api.delete(rules_url(seeded, rule_id)).status_code == 204
    assert (
        not AlertRule.objects.filter(pk=rule_id).exists()
        and not Alert.objects.filter(rule_id=rule_id).exists()
    )
    assert api.get(rules_url(seeded, rule_id)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "K", "kind": "keyword"}, "query", "needs at least one word"),
        ({"name": "K", "kind": "keyword", "query": "-refund"}, "query", "exclusions alone"),
        ({"name": "S", "kind": "sentiment_drop", "period": "hour"}, "period", "Only volume spikes"),
        ({"name": "V", "kind": "volume_spike", "min_count": 0}, "min_count", "greater than or equal to 1"),
        (
            {"name": "V", "kind": "volume_spike", "significance": 0.3},
            "significance",
            "less than or equal to 0.1",
        ),
        ({"name": "V", "kind": "volume_spike", "target_ids": ["0" * 24]}, "target_ids", "valid choice"),
        (
            {"name": "V", "kind": "volume_spike", "chat_webhook_urls": ["https://10.0.0.1/x"]},
            "chat_webhook_urls",
            "cannot receive",
        ),
        ({"name": "V", "kind": "volume_spike", "platforms": ["myspace"]}, "platforms.0", "valid choice"),
        ({"kind": "volume_spike"}, "name", "required"),
    ],
)
def test_invalid_rules_are_refused_with_the_pages_messages(seeded, api, body, field, message):
    response = post_json(api, rules_url(seeded), body)
    assert response.status_code == 400
    details = error_of(response)["details"]
    assert field in details and message in " ".join(details[field]), details
    assert not AlertRule.objects.filter(project_id=seeded.project.pk).exists()


def test_a_patch_is_validated_against_what_the_rule_keeps(seeded, api):
    rule = make_rule(seeded.project, name="Volume")
    response = post_json(api, rules_url(seeded, rule.pk), {"period": "hour"}, method="patch")
    assert response.status_code == 200 and response.json()["period"] == "hour"
    refused = post_json(api, rules_url(seeded, rule.pk), {"kind": "rating_drop"}, method="patch")
    assert refused.status_code == 400 and "period" in error_of(refused)["details"]
    rule.refresh_from_db()
    assert (rule.kind, rule.period) == ("volume_spike", "hour")


def test_mute_and_unmute(seeded, api):
    rule = make_rule(seeded.project)
    muted = post_json(api, rules_url(seeded, rule.pk, "mute"), {"duration": "1h"})
    assert muted.status_code == 200 and muted.json()["muted"] is True
    rule.refresh_from_db()
    assert rule.muted_until is not None
    forever = post_json(api, rules_url(seeded, rule.pk, "mute"), {"duration": "forever"}).json()
    assert (
        forever["muted_until"].startswith("9999-")
        and rule.__class__.objects.get(pk=rule.pk).muted_until == MUTED_FOR_GOOD
    )
    bad = post_json(api, rules_url(seeded, rule.pk, "mute"), {"duration": "1y"})
    assert bad.status_code == 400 and "duration" in error_of(bad)["details"]
    unmuted = post_json(api, rules_url(seeded, rule.pk, "unmute"))
    assert unmuted.status_code == 200 and unmuted.json()["muted"] is False
    assert AlertRule.objects.get(pk=rule.pk).muted_until is None


def test_alerts_are_listed_filtered_read_and_acknowledged(seeded, api):
    rule = make_rule(seeded.project)
    other = make_rule(make_project(seeded.project.user, name="Second"))
    old = make_alert(rule, created_at=SEED_NOW - timedelta(days=2), result_ids=[seeded.docs[0]["_id"]])
    new = make_alert(rule)
    elsewhere = make_alert(other, created_at=SEED_NOW - timedelta(days=1))
    Alert.objects.filter(pk=old.pk).update(read_at=SEED_NOW)

    assert all_ids(api, "/api/v1/alerts/") == [str(new.pk), str(elsewhere.pk), str(old.pk)]
    assert all_ids(api, f"/api/v1/alerts/?project={seeded.project.pk}") == [str(new.pk), str(old.pk)]
    assert all_ids(api, "/api/v1/alerts/?unread=true") == [str(new.pk), str(elsewhere.pk)]
    assert api.get("/api/v1/alerts/?project=nope").status_code == 400
    assert api.get("/api/v1/alerts/?unread=maybe").status_code == 400

    body = api.get(f"/api/v1/alerts/{old.pk}/").json()
    assert body["result_ids"] == [str(seeded.docs[0]["_id"])] and body["rule_name"] == rule.name
    assert (body["observed"], body["baseline"], body["p_value"], body["statistic"]) == (
        19.0,
        4.0,
        0.00002,
        5.1,
    )
    assert body["window_start"].endswith("Z") and body["details"] == {"test": "poisson"}

    acknowledged = post_json(api, f"/api/v1/alerts/{new.pk}/acknowledge/")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_at"] and acknowledged.json()["read_at"]
    assert all_ids(api, "/api/v1/alerts/?unread=true") == [str(elsewhere.pk)]


def test_another_users_rules_and_alerts_are_404(seeded):
    rule = make_rule(seeded.project)
    alert = make_alert(rule)
    intruder = api_client(make_token(make_user(email="intruder@example.com", plan="enterprise")))
    assert intruder.get(rules_url(seeded)).status_code == 404
    assert post_json(intruder, rules_url(seeded), {"name": "x", "kind": "volume_spike"}).status_code == 404
    assert intruder.get(rules_url(seeded, rule.pk)).status_code == 404
    assert (
        post_json(intruder, rules_url(seeded, rule.pk), {"min_count": 1}, method="patch").status_code == 404
    )
    assert intruder.delete(rules_url(seeded, rule.pk)).status_code == 404
    assert post_json(intruder, rules_url(seeded, rule.pk, "mute"), {"duration": "1h"}).status_code == 404
    assert post_json(intruder, rules_url(seeded, rule.pk, "unmute")).status_code == 404
    assert intruder.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    assert post_json(intruder, f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert intruder.get(f"/api/v1/alerts/?project={seeded.project.pk}").status_code == 400
    assert intruder.get("/api/v1/alerts/").json()["results"] == []
    rule.refresh_from_db()
    alert.refresh_from_db()
    assert rule.muted_until is None and alert.acknowledged_at is None


@pytest.mark.parametrize(
    "query", ["", "unread=true&", "project={project}&", "unread=true&project={project}&"]
)
def test_pages_of_alerts_follow_their_cursor_through_ties(seeded, api, query):
    """Alerts raised in the same instant still page through once each, whichever index range
    the filter reads."""
    rule = make_rule(seeded.project)
    other = make_rule(make_project(seeded.project.user, name="Second"))
    made = [
        make_alert(rule if i % 3 else other, created_at=SEED_NOW - timedelta(hours=i // 2)) for i in range(9)
    ]
    Alert.objects.filter(pk=made[4].pk).update(read_at=SEED_NOW)
    query = query.format(project=seeded.project.pk)
    wanted = [
        a
        for a in made
        if ("unread" not in query or a.pk != made[4].pk) and ("project" not in query or a.rule_id == rule.pk)
    ]
    expected = [str(a.pk) for a in sorted(wanted, key=lambda a: (a.created_at, a.pk), reverse=True)]
    assert all_ids(api, f"/api/v1/alerts/?{query}page_size=2") == expected
