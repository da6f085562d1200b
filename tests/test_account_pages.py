import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounts import data, usage
from accounts.models import AuditLog, Status, User
from accounts.services import mark_email_verified
from analysis.models import Content, Result
from projects import schedules
from projects.models import Project, Schedule, Target
from tests.factories import make_project

PASSWORD = "a-Long-pass-phrase-42"


def _user(email, **extra):
    user = User.objects.create_user(email, PASSWORD, **extra)
    mark_email_verified(user)
    return user


def _project_with_result(user, text):
    project = Project.objects.create(user=user, name=f"{user.email} project")
    target = Target.objects.create(
        project=project, user=user, url="https://store.steampowered.com/app/570/", platform="steam"
    )
    Result.objects.create(
        project=project,
        target=target,
        user=user,
        platform="steam",
        content=Content(text=text, platform_id="r1"),
    )
    return project


@pytest.mark.django_db
def test_settings_page_saves_profile_and_settings_and_shows_usage(client):
    user = _user("ana@example.com")
    client.force_login(user)
    page = client.get(reverse("accounts:settings"))
    assert page.status_code == 200 and b"Usage" in page.content
    response = client.post(
        reverse("accounts:settings"),
        {
            "name": "Ana Analyst",
            "company": "Acme",
            "avatar_url": "",
            "timezone": "Europe/Berlin",
            "email_notifications": "on",
            "default_preset": "standard",
            "results_per_page": "50",
            "dashboard_layout": "list",
            "alert_email": "digest",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.settings.timezone, user.settings.results_per_page) == (
        "Ana Analyst",
        "Europe/Berlin",
        50,
    )
    assert user.settings.weekly_digest is False and user.settings.dashboard_layout == "list"
    assert user.settings.alert_email == "digest"


@pytest.mark.django_db
def test_settings_page_rejects_invalid_values(client):
    user = _user("ana@example.com")
    client.force_login(user)
    response = client.post(
        reverse("accounts:settings"),
        {"timezone": "Mars/Olympus", "default_preset": "standard", "results_per_page": "5000",
         "dashboard_layout": "grid", "avatar_url": "http://insecure.example/a.png"},
    )  # fmt: skip
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"timezone", "results_per_page", "avatar_url"}
    user.refresh_from_db()
    assert user.settings.timezone == "UTC"


@pytest.mark.django_db
def test_plan_limits_are_enforced_atomically_and_reset_monthly():
    user = _user("ana@example.com", plan="starter")
    limit = user.get_plan().scrapes_per_month
    for _ in range(limit):
        usage.consume(user, "scrapes_this_month")
    with pytest.raises(usage.PlanLimitReached, match="Starter plan allows"):
        usage.consume(user, "scrapes_this_month")
    user.refresh_from_db()
    assert user.usage.scrapes_this_month == limit

    next_month = (datetime.now(UTC).replace(day=1) + timedelta(days=32)).replace(day=2)
    assert usage.reset_if_new_month(user.pk, now=next_month)
    user.refresh_from_db()
    assert user.usage.scrapes_this_month == 0
    assert not usage.reset_if_new_month(user.pk, now=next_month)


@pytest.mark.django_db
def test_export_contains_own_data_only_and_no_secrets(client):
    ana, ben = _user("ana@example.com"), _user("ben@example.com")
    _project_with_result(ana, "ana's <b>review</b>")
    _project_with_result(ben, "ben's review")
    client.force_login(ana)
    response = client.post(reverse("accounts:export_data"))
    body = b"".join(response.streaming_content).decode()
    archive = json.loads(body)
    assert archive["user"]["email"] == "ana@example.com"
    assert "password_hash" not in archive["user"]
    assert [r["content"]["text"] for r in archive["results"]] == ["ana's <b>review</b>"]
    assert "ben" not in body
    assert AuditLog.objects.filter(user=ana, event_type="data.export").exists()


@pytest.mark.django_db
def test_delete_account_needs_password_and_removes_only_own_data(client):
    ana, ben = _user("ana@example.com"), _user("ben@example.com")
    _project_with_result(ana, "ana")
    _project_with_result(ben, "ben")
    client.force_login(ana)
    response = client.post(reverse("accounts:delete_account"), {"password": "wrong", "confirm": "on"})
    assert response.status_code == 400 and Project.objects.filter(user=ana).exists()
    response = client.post(reverse("accounts:delete_account"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.status == Status.DELETED and ana.deleted_at is not None
    assert not Project.objects.filter(user=ana).exists() and not Result.objects.filter(user=ana).exists()
    assert Project.objects.filter(user=ben).count() == 1 and Result.objects.filter(user=ben).count() == 1
    assert AuditLog.objects.filter(user=ana, event_type="account.delete").exists()
    # The deleted account can no longer sign in.
    client.logout()
    client.post(reverse("account_login"), {"login": "ana@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_erasing_an_account_takes_its_schedules_out_of_beat():
    # Beat's tables are not among the collections the erasure empties: the projects app hears
    # that an account is being erased and removes its schedules' periodic tasks.
    ana, ben = _user("ana@example.com"), _user("ben@example.com")
    daily = {"frequency": "daily", "time": "05:00", "timezone": "UTC", "enabled": True}
    mine = schedules.save_schedule(make_project(ana), daily)
    theirs = schedules.save_schedule(make_project(ben), daily)
    data.erase_user(ana)
    assert not PeriodicTask.objects.filter(name=schedules.periodic_task_name(mine.pk)).exists()
    assert PeriodicTask.objects.filter(name=schedules.periodic_task_name(theirs.pk)).exists()
    assert not Schedule.objects.filter(user_id=ana.pk).exists()


@pytest.mark.django_db
def test_sign_in_events_are_audited(client):
    user = _user("ana@example.com")
    client.post(reverse("account_login"), {"login": "ana@example.com", "password": "nope"})
    client.post(reverse("account_login"), {"login": "ana@example.com", "password": PASSWORD})
    new = "another-Long-pass-phrase-7"
    client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    client.post(reverse("account_logout"))
    events = list(
        AuditLog.objects.filter(user=user).order_by("created_at").values_list("event_type", "success")
    )
    assert events == [
        ("auth.login_failed", False),
        ("auth.login", True),
        ("auth.password_change", True),
        ("auth.logout", True),
    ]
    user.refresh_from_db()  # the session hash follows the new password
    client.force_login(user)
    response = client.get(reverse("accounts:security"))
    assert response.status_code == 200, response
    page = response.content.decode()
    assert "Sign-in failed" in page and "Password changed" in page
