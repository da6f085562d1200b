"""The plans page: every plan's limits beside the signed-in user's own usage, the way to change
plan (a configurable link, an admin action), and links to it from every refusal at a limit.
Limits stay enforced by the services whatever the page says."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import AuditLog, User
from accounts.plans import PLANS
from accounts.usage import PlanLimitReached
from projects import services
from projects.models import Project
from sentimatrix.mongo import collection
from tests.api_helpers import api_client, error_of, make_token, post_json
from tests.factories import make_user
from tests.page_helpers import add_target

pytestmark = pytest.mark.django_db


def _set_usage(user, **counters):
    # The monthly reset already ran this month: the counters stay as set.
    fields = {f"usage.{name}": value for name, value in counters.items()}
    collection("users").update_one(
        {"_id": user.pk}, {"$set": {**fields, "usage.last_reset_at": datetime.now(UTC)}}
    )


def _usage_cells(page) -> dict[str, str]:
    soup = BeautifulSoup(page.content, "html.parser")
    return {
        row.th.get_text(strip=True): " ".join(row.select_one("td[data-usage]").get_text().split())
        for row in soup.select("table.plans tbody tr")
    }


def test_the_plans_page_lists_every_plan_and_the_users_own_usage(client):
    ana, bob = make_user(), make_user()
    for index in range(2):
        services.create_project(ana, name=f"Ana {index}", start_from="starter")
    busy = Project.objects.get(user=ana, name="Ana 0")
    for n in range(3):
        add_target(busy, f"https://store.steampowered.com/app/{n + 10}/", f"steam:{n + 10}")
    collection("projects").update_one({"_id": busy.pk}, {"$set": {"stats.total_targets": 3}})
    _set_usage(ana, scrapes_this_month=7, api_calls_this_month=12)
    services.create_project(bob, name="Bob", start_from="starter")
    _set_usage(bob, scrapes_this_month=55, api_calls_this_month=400)

    client.force_login(ana)
    page = client.get(reverse("accounts:plans"))

    assert page.status_code == 200
    text = page.content.decode()
    for plan in PLANS.values():
        assert plan.label in text
    used = _usage_cells(page)
    assert used["Projects"].startswith("2 of 3")
    assert used["Targets per project"].startswith("3 of 5")
    assert used["Scrapes per month"].startswith("7 of 100")
    assert used["API calls and exports per month"].startswith("12 of 1000")
    assert "55" not in used["Scrapes per month"] and "400" not in used["API calls and exports per month"]
    # Every plan's value in its column; the enterprise plan has no cap.
    row = {r.label: r for r in page.context["rows"]}["Projects"]
    assert [limit for _, limit in row.limits] == [p.max_projects for p in PLANS.values()]
    assert [current for current, _ in row.limits] == [p.key == "starter" for p in PLANS.values()]
    assert "Unlimited" in text
    # The main navigation leads here.
    assert f'href="{reverse("accounts:plans")}"' in client.get(reverse("projects:list")).content.decode()


def test_the_plans_page_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:plans"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_way_to_change_plan_is_the_configured_url_else_a_mail_to_the_admin(client, settings):
    client.force_login(make_user())
    settings.PLAN_UPGRADE_URL = ""
    assert "data-upgrade-link" not in client.get(reverse("accounts:plans")).content.decode()

    User.objects.create_superuser("boss@example.com", "a-Long-pass-phrase-42")
    link = BeautifulSoup(client.get(reverse("accounts:plans")).content, "html.parser").select_one(
        "a[data-upgrade-link]"
    )
    assert link["href"].startswith("mailto:boss@example.com?subject=")

    settings.PLAN_UPGRADE_URL = "https://shop.example.com/plans"
    link = BeautifulSoup(client.get(reverse("accounts:plans")).content, "html.parser").select_one(
        "a[data-upgrade-link]"
    )
    assert link["href"] == "https://shop.example.com/plans"


def test_a_refusal_at_the_project_limit_links_to_the_plans_page_and_still_refuses(client):
    user = make_user()  # starter plan
    client.force_login(user)
    limit = user.get_plan().max_projects
    for index in range(limit):
        services.create_project(user, name=f"P{index}", start_from="starter")

    response = client.post(reverse("projects:create"), {"name": "One more", "start_from": "starter"})

    assert response.status_code == 200
    errors = BeautifulSoup(response.content, "html.parser").select_one(".form-errors")
    assert f"allows {limit} projects" in errors.get_text()
    assert errors.find("a", href=reverse("accounts:plans")).get_text() == "upgrade your plan"
    assert not Project.objects.filter(name="One more").exists()


def test_a_refusal_at_the_monthly_scrape_limit_links_to_the_plans_page(client):
    user = make_user()
    client.force_login(user)
    project = services.create_project(user, name="Collect", start_from="starter")
    add_target(project, "https://store.steampowered.com/app/570/", "steam:570")
    _set_usage(user, scrapes_this_month=user.get_plan().scrapes_per_month)

    response = client.post(reverse("jobs:run", args=[project.pk]), follow=True)

    toast = BeautifulSoup(response.content, "html.parser").select_one("#toasts .toast")
    assert "allows 100 scrape jobs this month" in toast.get_text()
    assert toast.find("a", href=reverse("accounts:plans")).get_text() == "Upgrade your plan"
    assert collection("users").find_one({"_id": user.pk})["usage"]["scrapes_this_month"] == 100


def test_an_admin_action_moves_users_to_another_plan_and_the_new_limits_apply(client):
    ana, bob = make_user(), make_user()
    for index in range(ana.get_plan().max_projects):
        services.create_project(ana, name=f"P{index}", start_from="starter")
    with pytest.raises(PlanLimitReached):
        services.create_project(ana, name="Refused", start_from="starter")
    boss = User.objects.create_superuser("boss@example.com", "a-Long-pass-phrase-42")
    client.force_login(boss)
    changelist = reverse("admin:accounts_user_changelist")
    assert "move_to_standard_plan" in client.get(changelist).content.decode()

    response = client.post(
        changelist, {"action": "move_to_standard_plan", "_selected_action": [str(ana.pk)]}, follow=True
    )

    assert response.status_code == 200
    assert "1 user(s) moved to the Standard plan." in response.content.decode()
    ana.refresh_from_db()
    bob.refresh_from_db()
    assert (ana.plan, bob.plan) == ("standard", "starter")
    entry = AuditLog.objects.get(event_type="admin.plan_change", user=ana)
    assert (entry.metadata["old"], entry.metadata["new"]) == ("starter", "standard")
    assert services.create_project(ana, name="Now allowed", start_from="starter").pk
    client.force_login(ana)
    page = BeautifulSoup(client.get(reverse("accounts:plans")).content, "html.parser")
    assert page.find("th", attrs={"aria-current": "true"}).get_text(" ", strip=True) == "Standard (yours)"


def test_api_refusals_at_a_plan_limit_name_the_plans_page():
    user = make_user()
    _set_usage(user, projects_count=user.get_plan().max_projects)
    client = api_client(make_token(user))

    refused = post_json(client, "/api/v1/projects/", {"name": "One more"})

    assert refused.status_code == 409
    error = error_of(refused)
    assert "upgrade your plan" in error["message"]
    assert error["details"]["plans_url"] == f"http://testserver{reverse('accounts:plans')}"
    assert not Project.objects.filter(user=user, name="One more").exists()

    _set_usage(user, api_calls_this_month=user.get_plan().api_calls_per_month)
    over_quota = client.get("/api/v1/projects/")
    assert over_quota.status_code == 429
    assert error_of(over_quota)["details"]["plans_url"].endswith(reverse("accounts:plans"))
    # A refusal that is not about the plan carries no such link.
    unknown = post_json(api_client(make_token(make_user())), "/api/v1/projects/", {})
    assert "plans_url" not in error_of(unknown)["details"]
