"""Every admin page of the data model renders for an admin; admins manage plans, roles and status."""

import io

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditLog, Role, Status, User
from sentimatrix.mongo import collection
from tests import datamodel_samples as samples

APPS = {"accounts", "projects", "scraping", "analysis", "notifications"}
MODEL_ADMINS = [m for m in admin.site._registry if m._meta.app_label in APPS]


@pytest.fixture
def data(db):
    return samples.everything()


@pytest.fixture
def admin_client(client, data):
    boss = User.objects.create_superuser("boss@example.com", samples.PASSWORD)
    client.force_login(boss)
    return client


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_specification_is_registered():
    tables = {m._meta.db_table for m in MODEL_ADMINS}
    assert tables == {
        "users",
        "api_keys",
        "audit_logs",
        "projects",
        "targets",
        "schedules",
        "presets",
        "scrape_jobs",
        "webhooks",
        "webhook_deliveries",
        "report_schedules",
        "results",
        "alert_rules",
        "alerts",
        "release_markers",
    }


def test_changelist_add_and_change_pages_render(admin_client):
    # One test for all models: building the data set once keeps the suite fast.
    failures = []
    for model in MODEL_ADMINS:
        name = model._meta.db_table
        obj = model.objects.order_by("pk").first()
        changelist = admin_client.get(_url(model, "changelist"))
        if changelist.status_code != 200 or str(obj.pk) not in changelist.content.decode():
            failures.append(f"{name} changelist: {changelist.status_code}")
        change = admin_client.get(_url(model, "change", obj.pk))
        if change.status_code != 200:
            failures.append(f"{name} change page: {change.status_code}")
        add = admin_client.get(_url(model, "add"))
        expected = 200 if admin.site._registry[model].has_add_permission(add.wsgi_request) else 403
        if add.status_code != expected:
            failures.append(f"{name} add page: {add.status_code}, expected {expected}")
    assert not failures


def submitted_values(html: str) -> dict:
    """What a browser would post for the page's change form, left as it was rendered."""
    form = BeautifulSoup(html, "lxml").find("form", id=lambda v: v and v.endswith("_form"))
    values = {}
    for element in form.find_all(["input", "select", "textarea"]):
        name, kind = element.get("name"), element.get("type")
        if (
            not name
            or kind in ("submit", "button")
            or (kind == "checkbox" and not element.has_attr("checked"))
        ):
            continue
        if element.name == "select":
            chosen = [o.get("value", o.text) for o in element.find_all("option", selected=True)]
            values[name] = chosen if element.has_attr("multiple") else (chosen or [""])[0]
        elif element.name == "textarea":
            values[name] = element.text.removeprefix("\n")
        else:
            values[name] = element.get("value", "on" if kind == "checkbox" else "")
    return values


def test_change_forms_save_documents_unchanged(admin_client):
    """Saving a change page untouched keeps every stored field, embedded documents included."""
    changed = []
    for model, model_admin in admin.site._registry.items():
        if model not in MODEL_ADMINS:
            continue
        obj = model.objects.order_by("pk").first()
        url = _url(model, "change", obj.pk)
        page = admin_client.get(url)
        if not model_admin.has_change_permission(page.wsgi_request, obj):
            continue
        before = collection(model._meta.db_table).find_one({"_id": obj.pk})
        response = admin_client.post(url, {**submitted_values(page.content.decode()), "_save": "Save"})
        if response.status_code != 302:
            changed.append(f"{model._meta.db_table}: {response.status_code}")
            continue
        after = collection(model._meta.db_table).find_one({"_id": obj.pk})
        diff = sorted(
            k for k in set(before) | set(after) if before.get(k) != after.get(k) and k != "updated_at"
        )
        if diff:
            changed.append(f"{model._meta.db_table}: {diff}")
    assert not changed


@pytest.mark.parametrize(
    "params",
    [{"q": "puzzles"}, {"sentiment": "positive"}, {"sentiment": "none"}, {"platform": "steam"}],
)
def test_result_changelist_search_and_filters(admin_client, data, params):
    response = admin_client.get(_url(type(data.result), "changelist"), params)
    assert response.status_code == 200
    body = response.content.decode()
    shown = {r.pk for r in response.context["cl"].result_list}
    if params.get("sentiment") == "none":
        assert shown == {data.reply.pk}
    elif "q" in params:
        assert shown == {data.result.pk}
        assert "A classic" in body
    else:
        assert data.result.pk in shown


def test_user_change_page_has_no_password_field_and_links_the_password_form(admin_client, data):
    response = admin_client.get(_url(User, "change", data.user.pk))
    form = response.context["adminform"].form
    assert "password" not in form.fields
    assert 'href="../password/"' in response.content.decode()
    password_page = admin_client.get(reverse("admin:auth_user_password_change", args=[data.user.pk]))
    assert password_page.status_code == 200 and "password1" in password_page.context["form"].fields


def test_admin_changes_plan_role_and_status_and_it_is_audited(admin_client, data):
    target = data.user
    response = admin_client.post(
        _url(User, "change", target.pk),
        {
            "email": target.email,
            "name": target.name,
            "company": "",
            "avatar_url": "",
            "plan": "advanced",
            "role": Role.ADMIN,
            "status": Status.SUSPENDED,
            "email_verified": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert (target.plan, target.role, target.status) == ("advanced", Role.ADMIN, Status.SUSPENDED)
    assert target.check_password(samples.PASSWORD)  # untouched
    events = dict(AuditLog.objects.filter(user=target).values_list("event_type", "metadata"))
    assert events["admin.plan_change"]["old"] == "starter"
    assert events["admin.plan_change"]["new"] == "advanced"
    assert events["admin.role_change"]["new"] == Role.ADMIN
    assert events["admin.status_change"]["new"] == Status.SUSPENDED


def test_admin_adds_a_user_with_a_password(admin_client):
    response = admin_client.post(
        _url(User, "add"),
        {
            "email": "New.Person@Example.com",
            "name": "New Person",
            "plan": "standard",
            "role": Role.USER,
            "usable_password": "true",
            "password1": samples.PASSWORD,
            "password2": samples.PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(email="new.person@example.com")
    assert created.check_password(samples.PASSWORD) and created.plan == "standard"


def test_audit_logs_are_read_only(admin_client, data):
    log = data.audit_log
    assert admin_client.get(_url(AuditLog, "add")).status_code == 403
    page = admin_client.get(_url(AuditLog, "change", log.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(_url(AuditLog, "change", log.pk), {"event_type": "x"}).status_code == 403
    assert admin_client.post(_url(AuditLog, "delete", log.pk), {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=log.pk, event_type="auth.login").exists()


def test_non_admin_cannot_open_the_admin(client, data):
    client.force_login(data.user)
    response = client.get(_url(User, "changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_the_first_admin_is_created_once_with_its_generated_password_shown(monkeypatch):
    # runstack calls this command before starting the stack.
    monkeypatch.setenv("ADMIN_EMAIL", "Root@Example.com")
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("ensure_first_admin", stdout=out)
    first, shown = out.getvalue().splitlines()
    assert first == "First admin account: root@example.com"
    password = shown.removeprefix("Generated password (shown once): ")
    admin_user = User.objects.get(email="root@example.com")
    assert admin_user.role == Role.ADMIN and admin_user.check_password(password) and admin_user.email_verified

    again = io.StringIO()
    call_command("ensure_first_admin", stdout=again)
    assert again.getvalue() == "" and User.objects.filter(role=Role.ADMIN).count() == 1


def test_release_markers_are_listed_searched_by_label_and_filtered_by_project(admin_client, data):
    other = samples.everything("ben@example.com")
    url = _url(type(data.marker), "changelist")

    def shown(params) -> set:
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return {m.pk for m in response.context["cl"].result_list}

    assert shown({}) == {data.marker.pk, other.marker.pk}
    assert shown({"q": "patch"}) == {data.marker.pk, other.marker.pk}
    assert shown({"q": "price change"}) == set()
    assert shown({"project__id__exact": str(other.project.pk)}) == {other.marker.pk}
    page = admin_client.get(url).content.decode()
    # The project, day, label and owner columns; only projects with markers to filter on.
    assert "v1.2 patch" in page and "14 Mar 2026" in page and data.user.email in page
    filter_links = admin_client.get(url).context["cl"].filter_specs[0].lookup_choices
    assert {str(pk) for pk, _ in filter_links} == {str(data.project.pk), str(other.project.pk)}
