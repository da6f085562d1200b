"""Every route that takes an object id answers 404 to a signed-in user who does not own the
object, for GET and POST alike. The routes come from the URLconf itself, so a new route is
checked the day it is added; an id parameter this test does not know fails it."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import vault
from analysis.models import Result
from api.tokens import create_token
from scraping import jobs
from scraping.models import WebhookDelivery
from scraping.webhooks import services as webhook_services
from tests.factories import make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db

# Routes for staff only (the admin answers anyone else with its sign-in page).
STAFF_PREFIXES = ("admin/",)
PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")
# Non-id parameters and the value they are given.
PLAIN_VALUES = {"format": "csv"}


def routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every route of the URLconf, as its full ``path()`` string."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += routes(entry, route)
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


def id_routes() -> list[str]:
    return sorted(
        {
            route
            for route in routes()
            if "<oid:" in route and not route.startswith(STAFF_PREFIXES) and not route.startswith("^")
        }
    )


@pytest.fixture
def owned(settings, fast_passwords, seed_clock) -> dict[str, str]:
    """One object of each kind an id route names, all belonging to one user."""
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_LOOPBACK = True
    owner = make_user(plan="advanced")
    data = seed(owner, 6)
    job = jobs.start_job(data.project, triggered_by=owner)
    webhook = webhook_services.create_webhook(
        owner, url="http://127.0.0.1:9/hook", events=["job.completed"], label="mine"
    ).webhook
    delivery = WebhookDelivery.objects.create(webhook=webhook, user=owner, event="job.completed")
    key = vault.store_key(owner, provider="openai", name="Mine", plaintext="sk-test-0123456789")
    token, _ = create_token(owner, name="mine", scopes=["read"], expires_in_days=30)
    return {
        "project_id": str(data.project.pk),
        "target_id": str(data.targets[0].pk),
        "result_id": str(Result.objects.filter(project=data.project).first().pk),
        "job_id": str(job.pk),
        "webhook_id": str(webhook.pk),
        "delivery_id": str(delivery.pk),
        "key_id": str(key.pk),
        "token_id": str(token.pk),
    }


def fill(route: str, owned: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match["name"]
        if match["converter"] == "oid":
            assert name in owned, f"{route}: no object of the owner for <oid:{name}>; add one to `owned`"
            return owned[name]
        assert name in PLAIN_VALUES, f"{route}: no value for <{name}>; add one to PLAIN_VALUES"
        return PLAIN_VALUES[name]

    return "/" + PARAMETER.sub(value, route)


def test_the_urlconf_has_id_routes_in_every_app():
    found = id_routes()
    for prefix in ("projects/", "jobs/", "webhooks/", "settings/", "api/"):
        assert any(route.startswith(prefix) for route in found), prefix
    assert len(found) >= 40


def test_every_id_route_is_a_404_for_another_user(client, owned):
    client.force_login(make_user(email="intruder@example.com", plan="enterprise"))
    answers = {}
    for route in id_routes():
        url = fill(route, owned)
        got = {method: getattr(client, method)(url).status_code for method in ("get", "post")}
        answers[url] = got
        assert set(got.values()) <= {404, 405} and 404 in got.values(), (route, got)
    assert len(answers) == len(id_routes())


def test_the_same_routes_answer_their_owner(client, owned):
    """The 404s above are about ownership: the owner is not refused on the same pages."""
    from projects.models import Project

    client.force_login(Project.objects.get(pk=owned["project_id"]).user)
    reachable = 0
    for route in id_routes():
        if client.get(fill(route, owned)).status_code == 200:
            reachable += 1
    assert reachable >= 20
