"""Every route that takes an object id answers 404 to a signed-in user who does not own the
object, whatever the method. The routes come from the URLconf itself, so a new route is checked
the day it is added: every parameter of every route must be an object id this test can fill
(``<oid:...>``) or a plain value it knows, else the test fails and says which."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path, re_path

from accounts import vault
from analysis import markers, saved_views
from analysis.models import Result
from api.tokens import create_token
from notifications import services as webhook_services
from notifications.models import WebhookDelivery
from notifications.reports import services as report_services
from projects.models import Project
from scraping import jobs
from sentimatrix import urls as root_urls
from tests.alert_samples import make_alert, make_rule
from tests.factories import make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db

# Routes left out, with why: the admin is for staff only (it answers anyone else with its
# sign-in page); allauth's routes take emailed keys it checks itself, never object ids.
EXEMPT_PREFIXES = ("admin/", "accounts/")
PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>")
# Parameters that are not object ids, and the value they are given.
PLAIN_VALUES = {"format": "csv", "table": "topics", "token": "not-a-signed-token"}
# Every method a view may answer: an API route's PUT, PATCH or DELETE is refused too.
METHODS = ("get", "post", "put", "patch", "delete")


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


def takes_parameters(route: str) -> bool:
    return bool(PARAMETER.search(route) or REGEX_GROUP.search(route))


def id_routes(resolver: URLResolver | None = None) -> list[str]:
    """Every route with a parameter, outside the exempt prefixes."""
    return sorted(
        {
            route
            for route in routes(resolver)
            if takes_parameters(route) and not route.startswith(EXEMPT_PREFIXES)
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
    view = saved_views.create_view(data.project, owner, "Negative", {"sentiment": "negative"})
    report = report_services.create_schedule(owner, data.project, name="Weekly", recipients=["a@example.com"])
    marker = markers.create_marker(data.project, owner, {"day": "2030-07-01", "label": "v1.2 patch"})
    rule = make_rule(data.project)
    alert = make_alert(rule)
    return {
        "project_id": str(data.project.pk),
        "target_id": str(data.targets[0].pk),
        "result_id": str(Result.objects.filter(project=data.project).first().pk),
        "job_id": str(job.pk),
        "webhook_id": str(webhook.pk),
        "delivery_id": str(delivery.pk),
        "key_id": str(key.pk),
        "token_id": str(token.pk),
        "view_id": str(view.pk),
        "report_id": str(report.pk),
        "marker_id": str(marker.pk),
        "rule_id": str(rule.pk),
        "alert_id": str(alert.pk),
    }


def fill(route: str, owned: dict[str, str]) -> str:
    """The route's URL with the owner's objects in it; fails for a parameter it cannot fill."""
    assert not REGEX_GROUP.search(route), f"{route}: an id route is a path() with <oid:...>, not a regex"

    def value(match: re.Match) -> str:
        name, converter = match["name"], match["converter"]
        if converter != "oid" and name in PLAIN_VALUES:
            return PLAIN_VALUES[name]
        assert converter == "oid", (
            f"{route}: <{match[0][1:-1]}> is no object id (oid) and no known plain value"
        )
        assert name in owned, f"{route}: no object of the owner for <oid:{name}>; add one to `owned`"
        return owned[name]

    return "/" + PARAMETER.sub(value, route)


def answers_to(client, owned: dict[str, str]) -> dict[str, dict[str, int]]:
    """The status of every method on every id route, by route."""
    return {
        route: {method: getattr(client, method)(fill(route, owned)).status_code for method in METHODS}
        for route in id_routes()
    }


def leaks(answers: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Routes that did not refuse: each method a 404 or a 405 (method not allowed), and at
    least one 404, or the route tells another user something about the object."""
    return {
        route: got
        for route, got in answers.items()
        if not (set(got.values()) <= {404, 405} and 404 in got.values())
    }


def test_the_urlconf_has_id_routes_in_every_app():
    found = id_routes()
    for prefix in ("projects/", "jobs/", "webhooks/", "settings/", "schedules/", "api/v1/", "api/tokens/"):
        assert any(route.startswith(prefix) for route in found), prefix
    assert len(found) >= 50
    # Routes named here on purpose, so that their isolation is known to be checked.
    assert "api/v1/projects/<oid:project_id>/periods/" in found


def test_every_id_route_is_a_404_for_another_user(client, owned):
    client.force_login(make_user(email="intruder@example.com", plan="enterprise"))
    answers = answers_to(client, owned)
    assert len(answers) == len(id_routes())
    assert leaks(answers) == {}


def test_the_same_routes_answer_their_owner(client, owned):
    """The 404s above are about ownership: the owner is not refused on the same pages."""

    client.force_login(Project.objects.get(pk=owned["project_id"]).user)
    reachable = 0
    for route in id_routes():
        if client.get(fill(route, owned)).status_code == 200:
            reachable += 1
    assert reachable >= 20


# --- a route added tomorrow --------------------------------------------------------------------


def _forgets_the_owner(request, project_id):
    return HttpResponse(f"project {project_id}, whoever asks")


# The product's routes and one new route whose view does not check the owner (used by the
# test below through pytest.mark.urls).
urlpatterns = [*root_urls.urlpatterns, path("gadgets/<oid:project_id>/", _forgets_the_owner)]


@pytest.mark.urls(__name__)
def test_a_new_route_that_forgets_the_owner_is_caught(client, owned):
    assert "gadgets/<oid:project_id>/" in id_routes()
    client.force_login(make_user(email="intruder@example.com"))
    assert list(leaks(answers_to(client, owned))) == ["gadgets/<oid:project_id>/"]


@pytest.mark.parametrize(
    ("route", "complaint"),
    [
        ("gadgets/<str:gadget_id>/", "is no object id"),
        ("gadgets/<oid:gadget_id>/", "no object of the owner"),
        ("gadgets/<int:pk>/", "is no object id"),
        (r"^gadgets/(?P<project_id>[0-9a-f]{24})/$", "not a regex"),
    ],
)
def test_a_new_route_with_a_parameter_this_test_cannot_fill_fails_it(route, complaint):
    pattern = re_path(route, _forgets_the_owner) if route.startswith("^") else path(route, _forgets_the_owner)
    resolver = URLResolver(get_resolver().pattern, [pattern])
    assert id_routes(resolver) == [route]
    with pytest.raises(AssertionError, match=complaint):
        fill(route, {"project_id": "0" * 24})
