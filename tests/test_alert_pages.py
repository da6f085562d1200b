"""Alert rule pages (create, validate, edit, delete, on/off, mute), the alerts page, one alert
with its evidence, acknowledging, the bell, and another user's rules and alerts (404)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from notifications.alerts import inbox, rules
from notifications.models import MUTED_FOR_GOOD, Alert, AlertKind, AlertRule
from sentimatrix.mongo import collection
from tests.alert_samples import make_alert, make_rule
from tests.clock import SEED_NOW
from tests.factories import make_project, make_user
from tests.results_seed import XSS, seed

pytestmark = pytest.mark.django_db

PUBLIC_HOOK = "https://93.184.215.14/chat/hook"


def _form(**changes) -> dict:
    data = {
        "name": "Refunds",
        "kind": "keyword",
        "period": "day",
        "query": 'refund "money back"',
        "only_negative": "on",
        "min_count": "3",
        "significance": "0.01",
        "cooldown_hours": "12",
        "email": "on",
        "chat_webhook_urls": "",
        "enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def seeded(owner):
    return seed(owner, 6, extra=[XSS])


def _rules_url(project, name="list", *args):
    return reverse(f"alert_rules:{name}", args=[project.pk, *args])


# --- rule pages -------------------------------------------------------------------------------


def test_a_rule_is_created_with_its_scope_and_listed(client, seeded):
    project, target = seeded.project, seeded.targets[1]
    page = client.get(_rules_url(project, "create"))
    assert page.status_code == 200 and "Our game" in page.content.decode()
    response = client.post(
        _rules_url(project, "create"),
        _form(target_ids=[str(target.pk)], platforms=["steam"], chat_webhook_urls=f"{PUBLIC_HOOK}\n\n"),
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get(project_id=project.pk)
    assert (rule.name, rule.kind, rule.query, rule.only_negative) == (
        "Refunds",
        "keyword",
        'refund "money back"',
        True,
    )
    assert rule.target_ids == [target.pk] and rule.platforms == ["steam"]
    assert (rule.min_count, rule.significance, rule.cooldown_hours) == (3, 0.01, 12)
    assert rule.chat_webhook_urls == [PUBLIC_HOOK] and rule.email and rule.enabled
    assert rule.user_id == project.user_id
    logged = AuditLog.objects.filter(event_type="alert_rule.create")
    assert [entry.metadata["rule_id"] for entry in logged] == [str(rule.pk)]
    listing = client.get(_rules_url(project)).content.decode()
    assert "Refunds" in listing and "watching" in listing and 'class="outline danger"' in listing
    assert "1 target · Steam · at least 3 · cooldown 12 h" in listing


def test_a_project_has_a_bounded_number_of_rules(client, seeded):
    for i in range(rules.MAX_RULES_PER_PROJECT):
        make_rule(seeded.project, name=f"Rule {i}")
    response = client.post(_rules_url(seeded.project, "create"), _form())
    assert response.status_code == 200
    assert f"at most {rules.MAX_RULES_PER_PROJECT} alert rules" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert AlertRule.objects.filter(project_id=seeded.project.pk).count() == rules.MAX_RULES_PER_PROJECT


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"query": ""}, "query", "needs at least one word"),
        ({"query": "-refund -shipping"}, "query", "exclusions alone match nothing"),
        ({"kind": "sentiment_drop", "period": "hour"}, "period", "Only volume spikes"),
        ({"min_count": "0"}, "min_count", "greater than or equal to 1"),
        ({"significance": "0.5"}, "significance", "less than or equal to 0.1"),
        ({"cooldown_hours": "-1"}, "cooldown_hours", "greater than or equal to 0"),
        ({"kind": "loudness"}, "kind", "Select a valid choice"),
        ({"platforms": ["myspace"]}, "platforms", "Select a valid choice"),
        ({"chat_webhook_urls": "http://93.184.215.14/hook"}, "chat_webhook_urls", "must use https"),
        ({"chat_webhook_urls": "https://127.0.0.1/hook"}, "chat_webhook_urls", "cannot receive webhooks"),
        (
            {"chat_webhook_urls": "\n".join(f"{PUBLIC_HOOK}/{i}" for i in range(6))},
            "chat_webhook_urls",
            "at most 5",
        ),
    ],
)
def test_the_rule_form_explains_what_is_wrong(client, seeded, changes, field, message):
    response = client.post(_rules_url(seeded.project, "create"), _form(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert message in response.content.decode().replace("&quot;", '"')
    assert not AlertRule.objects.filter(project_id=seeded.project.pk).exists()


def test_a_target_of_another_project_is_refused(client, seeded, owner):
    other = seed(owner, 3, name="Other project")
    response = client.post(_rules_url(seeded.project, "create"), _form(target_ids=[str(other.targets[0].pk)]))
    assert response.status_code == 200 and "target_ids" in response.context["form"].errors


def test_hourly_periods_are_for_volume_spikes_and_other_kinds_drop_the_query(client, seeded):
    response = client.post(
        _rules_url(seeded.project, "create"), _form(kind="volume_spike", period="hour", name="Hourly")
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get(name="Hourly")
    assert (rule.period, rule.query, rule.only_negative) == ("hour", "", False)


def test_the_model_keeps_its_invariants_whoever_saves(seeded, owner):
    other = seed(owner, 3, name="Other project")
    rule = AlertRule(
        project=seeded.project,
        kind=AlertKind.KEYWORD,
        query="-refund",
        period="hour",
        significance=0.9,
        min_count=0,
        target_ids=[seeded.targets[0].pk, other.targets[0].pk],
        platforms=["steam", "myspace"],
        chat_webhook_urls=["ftp://example.com/hook"],
    )
    with pytest.raises(ValidationError) as caught:
        rule.clean()
    assert set(caught.value.message_dict) == {
        "query",
        "significance",
        "min_count",
        "target_ids",
        "platforms",
        "chat_webhook_urls",
    }
    hourly_share = AlertRule(project=seeded.project, kind=AlertKind.NEGATIVE_SHARE, period="hour")
    with pytest.raises(ValidationError) as caught:
        hourly_share.clean()
    assert set(caught.value.message_dict) == {"period"}  # keyword and volume rules may be hourly
    rule.query, rule.period, rule.significance, rule.min_count = "refund", "day", 0.01, 1
    rule.target_ids, rule.platforms = [seeded.targets[0].pk], ["steam"]
    rule.chat_webhook_urls = [PUBLIC_HOOK]
    rule.clean()


def test_editing_a_rule_keeps_what_detection_wrote(client, seeded):
    rule = make_rule(seeded.project, name="Volume", min_count=10)
    AlertRule.objects.filter(pk=rule.pk).update(last_triggered_at=SEED_NOW, last_evaluated_at=SEED_NOW)
    page = client.get(_rules_url(seeded.project, "edit", rule.pk)).content.decode()
    assert 'value="Volume"' in page
    response = client.post(
        _rules_url(seeded.project, "edit", rule.pk),
        _form(name="Volume, louder", kind="volume_spike", query="", min_count="25", significance="0.001"),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.min_count, rule.significance) == ("Volume, louder", 25, 0.001)
    assert rule.last_triggered_at == SEED_NOW and rule.last_evaluated_at == SEED_NOW


def test_a_level_set_elsewhere_stays_on_the_edit_page(client, seeded):
    rule = make_rule(seeded.project, significance=0.02)
    page = client.get(_rules_url(seeded.project, "edit", rule.pk)).content.decode()
    assert '<option value="0.02" selected>Custom: 0.02</option>' in page


def test_deleting_a_rule_deletes_its_alerts(client, seeded):
    rule = make_rule(seeded.project)
    make_alert(rule)
    assert client.get(_rules_url(seeded.project, "delete", rule.pk)).status_code == 405
    assert client.post(_rules_url(seeded.project, "delete", rule.pk)).status_code == 302
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    assert not Alert.objects.filter(rule_id=rule.pk).exists()


def test_a_rule_is_switched_off_and_on(client, seeded):
    rule = make_rule(seeded.project)
    client.post(_rules_url(seeded.project, "enabled", rule.pk), {"enabled": "0"})
    rule.refresh_from_db()
    assert rule.enabled is False
    assert "disabled" in client.get(_rules_url(seeded.project)).content.decode()
    client.post(_rules_url(seeded.project, "enabled", rule.pk), {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.enabled is True


def test_mute_for_a_time_until_unmuted_and_unmute(client, seeded):
    rule = make_rule(seeded.project)
    before = timezone.now()
    client.post(_rules_url(seeded.project, "mute", rule.pk), {"duration": "1d"})
    rule.refresh_from_db()
    assert before + timedelta(days=1) <= rule.muted_until <= timezone.now() + timedelta(days=1)
    assert rules.is_muted(rule) and not rules.is_muted(rule, now=rule.muted_until)
    assert "muted until" in client.get(_rules_url(seeded.project)).content.decode()

    client.post(_rules_url(seeded.project, "mute", rule.pk), {"duration": "forever"})
    rule.refresh_from_db()
    assert rule.muted_until == MUTED_FOR_GOOD and rule.muted_for_good
    assert "muted until you unmute it" in client.get(_rules_url(seeded.project)).content.decode()

    client.post(_rules_url(seeded.project, "unmute", rule.pk))
    rule.refresh_from_db()
    assert rule.muted_until is None and not rules.is_muted(rule)

    response = client.post(_rules_url(seeded.project, "mute", rule.pk), {"duration": "1y"}, follow=True)
    rule.refresh_from_db()
    assert rule.muted_until is None and "Mute for one of" in response.content.decode()


def test_mute_durations_count_from_now():
    rule = AlertRule(muted_until=None)
    rule.save = lambda **kwargs: None  # the arithmetic only; saving is covered above
    for key, hours in (("1h", 1), ("1d", 24), ("1w", 168)):
        rules.mute(rule, key, now=SEED_NOW)
        assert rule.muted_until == SEED_NOW + timedelta(hours=hours)


def test_the_project_page_links_its_rules(client, seeded):
    page = client.get(reverse("projects:detail", args=[seeded.project.pk])).content.decode()
    assert _rules_url(seeded.project) in page


def test_another_users_rules_are_404(client, seeded):
    rule = make_rule(seeded.project)
    client.force_login(make_user(email="intruder@example.com"))
    for name in ("edit",):
        assert client.get(_rules_url(seeded.project, name, rule.pk)).status_code == 404
    assert client.get(_rules_url(seeded.project)).status_code == 404
    for name in ("delete", "enabled", "mute", "unmute"):
        assert client.post(_rules_url(seeded.project, name, rule.pk), {"duration": "1h"}).status_code == 404
    # Their own project with the rule's id finds nothing either.
    theirs = make_project(make_user(email="third@example.com"))
    client.force_login(theirs.user)
    assert client.get(_rules_url(theirs, "edit", rule.pk)).status_code == 404
    rule.refresh_from_db()
    assert rule.enabled and rule.muted_until is None


# --- the alerts page, one alert, acknowledging --------------------------------------------------


def test_the_alerts_page_lists_newest_first_and_filters(client, seeded, owner):
    rule = make_rule(seeded.project, name="Volume")
    other = make_rule(make_project(owner, name="Second"), name="Elsewhere")
    old = make_alert(rule, created_at=SEED_NOW - timedelta(days=2), title="Older spike")
    new = make_alert(rule, created_at=SEED_NOW, title="Newer spike")
    elsewhere = make_alert(other, created_at=SEED_NOW - timedelta(days=1), title="Second project spike")
    inbox.mark_read(old)

    page = client.get(reverse("alerts:list"))
    titles = [a.title for a in page.context["page"]]
    assert titles == [new.title, elsewhere.title, old.title]
    html = page.content.decode()
    assert "p = 0" in html and "19 / 4" in html and "<time" in html

    by_project = client.get(reverse("alerts:list"), {"project": str(seeded.project.pk)})
    assert [a.title for a in by_project.context["page"]] == [new.title, old.title]
    unread = client.get(reverse("alerts:list"), {"unread": "1"})
    assert [a.title for a in unread.context["page"]] == [new.title, elsewhere.title]
    both = client.get(reverse("alerts:list"), {"unread": "1", "project": str(seeded.project.pk)})
    assert [a.title for a in both.context["page"]] == [new.title]
    # A project id that is nobody's, or not an id, filters nothing.
    assert len(client.get(reverse("alerts:list"), {"project": "nonsense"}).context["page"]) == 3


def test_the_alerts_page_is_paginated(client, seeded):
    rule = make_rule(seeded.project)
    for i in range(27):
        make_alert(rule, created_at=SEED_NOW - timedelta(hours=i), title=f"Spike {i}")
    first = client.get(reverse("alerts:list"))
    assert len(first.context["page"]) == 25 and first.context["page"].paginator.num_pages == 2
    second = client.get(reverse("alerts:list"), {"page": "2"})
    assert [a.title for a in second.context["page"]] == ["Spike 25", "Spike 26"]


def test_opening_an_alert_marks_it_read_and_shows_escaped_evidence(client, seeded):
    rule = make_rule(
        seeded.project, kind=AlertKind.KEYWORD, name="Scripts", query="script", only_negative=True
    )
    hostile = next(d for d in seeded.docs if d["content"]["text"] == XSS)
    stranger = seed(make_user(email="stranger@example.com"), 2, name="Not theirs")
    alert = make_alert(rule, result_ids=[hostile["_id"], stranger.docs[0]["_id"]])
    response = client.get(reverse("alerts:detail", args=[alert.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert [r.pk for r in response.context["results"]] == [hostile["_id"]]  # another project's id left out
    assert stranger.docs[0]["content"]["text"][:40] not in html
    explorer = response.context["explorer_url"]
    assert explorer.startswith(reverse("analysis:explorer", args=[seeded.project.pk]))
    assert "q=script" in explorer and "sentiment=negative" in explorer and "date_from=2030-07-16" in explorer
    assert client.get(explorer).status_code == 200
    alert.refresh_from_db()
    assert alert.read_at is not None and alert.acknowledged_at is None
    first_read = alert.read_at
    client.get(reverse("alerts:detail", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.read_at == first_read


def test_acknowledge_one_and_all(client, seeded, owner):
    rule = make_rule(seeded.project)
    other = make_rule(make_project(owner, name="Second"))
    one, two = make_alert(rule), make_alert(rule)
    elsewhere = make_alert(other)
    assert client.get(reverse("alerts:acknowledge", args=[one.pk])).status_code == 405
    client.post(reverse("alerts:acknowledge", args=[one.pk]))
    one.refresh_from_db()
    assert one.acknowledged_at is not None and one.read_at is not None

    response = client.post(
        reverse("alerts:acknowledge_all"), {"project": str(seeded.project.pk)}, follow=True
    )
    assert "1 alert acknowledged" in response.content.decode()
    two.refresh_from_db()
    elsewhere.refresh_from_db()
    assert two.acknowledged_at is not None and elsewhere.acknowledged_at is None
    client.post(reverse("alerts:acknowledge_all"))
    elsewhere.refresh_from_db()
    assert elsewhere.acknowledged_at is not None and elsewhere.read_at is not None


def test_mute_the_rule_from_its_alert(client, seeded):
    rule = make_rule(seeded.project)
    alert = make_alert(rule)
    client.post(reverse("alerts:mute_rule", args=[alert.pk]), {"duration": "1w"})
    rule.refresh_from_db()
    assert rules.is_muted(rule)
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert (
        "The rule is muted until" in page
        and reverse("alert_rules:unmute", args=[seeded.project.pk, rule.pk]) in page
    )


def test_another_users_alerts_are_404_and_never_listed(client, seeded):
    alert = make_alert(make_rule(seeded.project))
    client.force_login(make_user(email="intruder@example.com"))
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 404
    for name in ("acknowledge", "mute_rule"):
        assert client.post(reverse(f"alerts:{name}", args=[alert.pk]), {"duration": "1h"}).status_code == 404
    client.post(reverse("alerts:acknowledge_all"), {"project": str(seeded.project.pk)})
    listing = client.get(reverse("alerts:list"), {"project": str(seeded.project.pk)})
    assert len(listing.context["page"]) == 0 and alert.title not in listing.content.decode()
    alert.refresh_from_db()
    assert alert.read_at is None and alert.acknowledged_at is None


# --- the bell -----------------------------------------------------------------------------------


def test_the_bell_counts_unread_alerts(client, seeded):
    rule = make_rule(seeded.project)
    first, _ = make_alert(rule), make_alert(rule)
    make_alert(make_rule(make_project(make_user(email="other@example.com"))))  # someone else's
    page = client.get(reverse("projects:list")).content.decode()
    assert 'aria-label="Alerts, 2 unread"' in page and 'class="bell-count" aria-hidden="true">2<' in page
    client.get(reverse("alerts:detail", args=[first.pk]))
    assert 'aria-label="Alerts, 1 unread"' in client.get(reverse("projects:list")).content.decode()
    client.post(reverse("alerts:acknowledge_all"))
    page = client.get(reverse("projects:list")).content.decode()
    assert 'aria-label="Alerts, 0 unread"' in page and "bell-count" not in page


def test_the_bell_is_one_count_and_absent_when_signed_out(client, seeded, django_assert_max_num_queries):
    make_alert(make_rule(seeded.project))
    user = seeded.project.user
    with django_assert_max_num_queries(0):  # one count command straight to the server
        assert inbox.unread_count(user) == 1
    plan = collection("alerts").find({"user_id": user.pk, "read_at": None}).explain()
    assert "alerts_user_unread" in str(plan["queryPlanner"]["winningPlan"])
    client.logout()
    page = client.get(reverse("home")).content.decode()
    assert 'class="bell"' not in page and reverse("alerts:list") not in page
    assert client.get(reverse("alerts:list")).status_code == 302  # to sign in


def test_alert_email_setting_is_on_the_settings_page(client, owner):
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'name="alert_email"' in page and "One daily digest" in page


def test_an_alert_whose_rule_is_gone_is_left_out(client, seeded):
    rule = make_rule(seeded.project)
    kept, orphan = make_alert(make_rule(seeded.project, name="Kept")), make_alert(rule)
    collection("alert_rules").delete_one({"_id": rule.pk})  # as if a delete were half-way through
    assert [a.pk for a in client.get(reverse("alerts:list")).context["page"]] == [kept.pk]
    assert client.get(reverse("alerts:detail", args=[orphan.pk])).status_code == 404
