"""Every page carries the Content-Security-Policy and none needs inline script; private
answers are never cached; the data export is a POST."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import vault
from accounts.models import AuditLog, Role
from analysis import markers, saved_views
from analysis.models import Result
from api import tokens
from notifications import services as webhook_services
from notifications.models import WebhookDelivery
from notifications.reports import services as report_services
from notifications.reports import unsubscribe
from projects.models import Schedule
from scraping.models import JobStatus, ScrapeJob
from tests.alert_samples import make_alert, make_rule
from tests.api_helpers import api_client, make_token
from tests.factories import make_user
from tests.results_seed import seed

# Script types a browser does not run (data islands such as json_script).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """Collects what the policy (``script-src 'self'``, ``style-src 'self'``) would block:
    inline ``<script>`` and ``<style>`` bodies, ``on*=`` handlers, ``style=`` attributes and
    ``javascript:`` URLs."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._inline = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        runs = tag == "script" and "src" not in attrs and (attrs.get("type") or "") not in DATA_SCRIPT_TYPES
        if runs or tag == "style":
            self._inline = tag

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._inline = None

    def handle_data(self, data):
        if self._inline and data.strip():
            self.problems.append(f"inline <{self._inline}>: {data.strip()[:60]!r}")


TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    assert parser.rawdata == "", "unterminated markup"
    return parser.problems


def _named_patterns(resolver=None, namespace="", arguments=frozenset()):
    """Every named URL pattern as (full name, its view, its URL arguments), admin left out
    (checked apart)."""
    for entry in (resolver or get_resolver()).url_patterns:
        names = arguments | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, inner, names)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback, names


@pytest.fixture
def world(settings, fast_passwords, seed_clock):
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_LOOPBACK = True
    owner = make_user("ana@example.com", role=Role.ADMIN)
    seeded = seed(owner, 6)
    job = ScrapeJob.objects.create(project=seeded.project, user=owner, status=JobStatus.COMPLETED)
    webhook = webhook_services.create_webhook(
        owner, url="http://127.0.0.1:9/hook", events=["job.completed"], label="ci"
    ).webhook
    delivery = WebhookDelivery.objects.create(webhook=webhook, user=owner, event="job.completed")
    Schedule.objects.create(project=seeded.project, user=owner)
    key = vault.store_key(owner, provider="openai", name="Team", plaintext="sk-test-1234567890")
    token, _ = tokens.create_token(owner, name="ci", scopes=["read"], expires_in_days=None)
    view = saved_views.create_view(seeded.project, owner, "Negative", {"sentiment": "negative"})
    report = report_services.create_schedule(
        owner, seeded.project, name="Weekly", recipients=["b@example.com"]
    )
    marker = markers.create_marker(seeded.project, owner, {"day": "2030-07-01", "label": "v1.2 patch"})
    rule = make_rule(seeded.project)
    ids = {
        "project_id": seeded.project.pk,
        "target_id": seeded.targets[0].pk,
        "result_id": Result.objects.filter(project_id=seeded.project.pk).first().pk,
        "job_id": job.pk,
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "key_id": key.pk,
        "token_id": token.pk,
        "view_id": view.pk,
        "report_id": report.pk,
        "token": unsubscribe.make_token(report.pk, "b@example.com"),
        "marker_id": marker.pk,
        "rule_id": rule.pk,
        "alert_id": make_alert(rule).pk,
        "table": "topics",
        "format": "csv",
        "key": "no-such-key",
        "uidb36": "0",
    }
    return owner, ids


def _visit_every_page(client, ids) -> dict[str, object]:
    responses = {}
    for name, view, arguments in _named_patterns():
        if view.__module__.startswith("allauth.socialaccount.providers"):
            continue  # hands over to Google or GitHub, not configured here
        wanted = {k: str(v) for k, v in ids.items() if k in arguments}
        url = reverse(name, kwargs=wanted)
        responses[url] = client.get(url)
    return responses


@pytest.mark.django_db
def test_every_page_has_the_policy_and_no_inline_script_or_style(client, world):
    owner, ids = world
    client.force_login(owner)
    responses = _visit_every_page(client, ids)
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[owner.pk]),
        reverse("admin:projects_project_change", args=[ids["project_id"]]),
        "/no-such-page/",
    ]
    for url in admin_pages:
        responses[url] = client.get(url)
    assert len(responses) > 60
    rendered, problems = 0, {}
    for url, response in responses.items():
        assert response.status_code < 500, url
        assert response.headers.get("Content-Security-Policy") == settings_policy(), url
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            rendered += 1
            if found := inline_code(response.content.decode()):
                problems[url] = found
    assert problems == {}
    assert rendered > 30

    client.logout()
    for name in ("home", "account_login", "account_signup", "account_reset_password"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response.headers.get("Content-Security-Policy") == settings_policy(), name
        assert inline_code(response.content.decode()) == [], name


def settings_policy() -> str:
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in settings.CONTENT_SECURITY_POLICY.items()
    )


def test_the_policy_allows_scripts_from_this_site_only():
    policy = dict(settings.CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert not any("'unsafe-inline'" in values or "'unsafe-eval'" in values for values in policy.values())


def test_no_template_has_inline_script_or_style():
    folders = [Path(settings.BASE_DIR) / "templates"]
    folders += [
        Path(settings.BASE_DIR) / app / "templates"
        for app in ("accounts", "projects", "scraping", "analysis")
    ]
    checked = 0
    for folder in folders:
        for path in folder.rglob("*.html"):
            checked += 1
            assert inline_code(TEMPLATE_COMMENT.sub("", path.read_text())) == [], path
    assert checked > 40


def test_the_checker_finds_inline_code():
    assert inline_code('<script>alert(1)</script><script src="/a.js"></script>') == [
        "inline <script>: 'alert(1)'"
    ]
    assert inline_code('<input onfocus="this.select()"><a href="javascript:go()">x</a>') == [
        "<input onfocus=...>",
        "<a href='javascript:go()'>",
    ]
    assert inline_code('<span style="color: red">x</span><style>p { color: red }</style>') == [
        "<span style=...>",
        "inline <style>: 'p { color: red }'",
    ]
    assert inline_code('<script type="application/json">{"a": 1}</script>') == []


@pytest.mark.django_db
def test_private_answers_are_not_cached_and_public_ones_may_be(client):
    owner = make_user("ana@example.com")
    home = client.get(reverse("home"))
    assert "no-store" not in home.headers.get("Cache-Control", "")
    client.force_login(owner)
    for url in (reverse("projects:list"), reverse("accounts:settings"), reverse("home")):
        cache_control = client.get(url).headers.get("Cache-Control", "")
        assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}, url
    static = client.get(settings.STATIC_URL.rstrip("/") + "/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")

    api = api_client(make_token(owner, scopes=("read",)))
    for response in (api.get(reverse("api:projects")), Client().get(reverse("api:projects"))):
        cache_control = response.headers.get("Cache-Control", "")
        assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}


@pytest.mark.django_db
def test_the_data_export_is_a_post(client):
    owner = make_user("ana@example.com")
    client.force_login(owner)
    url = reverse("accounts:export_data")
    assert client.get(url).status_code == 405
    assert not AuditLog.objects.filter(event_type="data.export").exists()

    page = client.get(reverse("accounts:data")).content.decode()
    assert f'<form method="post" action="{url}"' in page
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    assert csrf_client.post(url).status_code == 403

    response = client.post(url)
    assert response.status_code == 200
    archive = json.loads(b"".join(response.streaming_content))
    assert archive["user"]["email"] == "ana@example.com"
    assert AuditLog.objects.filter(user=owner, event_type="data.export").count() == 1
