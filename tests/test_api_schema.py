"""The OpenAPI schema: generated from the code, valid OpenAPI 3, documented on a page whose
assets are served locally, and honoured by the API (schemathesis, in-process over WSGI)."""

import re

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from analysis import markers, saved_views
from analysis.models import Result
from notifications import services as webhook_services
from notifications.models import WebhookDelivery
from notifications.reports import services as report_services
from scraping import jobs
from tests.alert_samples import make_alert, make_rule
from tests.api_helpers import api_client, make_token
from tests.factories import make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/?format=json"
EXAMPLES_PER_OPERATION = 12
SEED = 20261123
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def test_schema_is_valid_openapi_and_covers_every_endpoint(client):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    schema = response.json()
    validate(schema)  # raises on any violation of the OpenAPI 3 specification
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    expected = {
        "/api/v1/projects/": {"get", "post"},
        "/api/v1/projects/{project_id}/": {"get", "patch"},
        "/api/v1/projects/{project_id}/archive/": {"post"},
        "/api/v1/projects/{project_id}/targets/": {"get", "post"},
        "/api/v1/projects/{project_id}/targets/bulk/": {"post"},
        "/api/v1/projects/{project_id}/targets/{target_id}/": {"get", "patch", "delete"},
        "/api/v1/projects/{project_id}/jobs/": {"get", "post"},
        "/api/v1/projects/{project_id}/alert-rules/": {"get", "post"},
        "/api/v1/projects/{project_id}/alert-rules/{rule_id}/": {"get", "patch", "delete"},
        "/api/v1/projects/{project_id}/alert-rules/{rule_id}/mute/": {"post"},
        "/api/v1/projects/{project_id}/alert-rules/{rule_id}/unmute/": {"post"},
        "/api/v1/alerts/": {"get"},
        "/api/v1/alerts/{alert_id}/": {"get"},
        "/api/v1/alerts/{alert_id}/acknowledge/": {"post"},
        "/api/v1/jobs/{job_id}/": {"get"},
        "/api/v1/jobs/{job_id}/cancel/": {"post"},
        "/api/v1/projects/{project_id}/results/": {"get"},
        "/api/v1/projects/{project_id}/results/{result_id}/": {"get"},
        "/api/v1/projects/{project_id}/views/": {"get", "post"},
        "/api/v1/projects/{project_id}/views/{view_id}/": {"get", "patch", "delete"},
        "/api/v1/projects/{project_id}/reports/": {"get", "post"},
        "/api/v1/projects/{project_id}/reports/{report_id}/": {"get", "patch", "delete"},
        "/api/v1/projects/{project_id}/markers/": {"get", "post"},
        "/api/v1/projects/{project_id}/markers/{marker_id}/": {"get", "patch", "delete"},
        "/api/v1/projects/{project_id}/periods/": {"get"},
        "/api/v1/projects/{project_id}/stats/": {"get"},
        "/api/v1/projects/{project_id}/insights/": {"get"},
        "/api/v1/webhooks/": {"get", "post"},
        "/api/v1/webhooks/{webhook_id}/": {"get", "patch", "delete"},
        "/api/v1/webhooks/{webhook_id}/deliveries/": {"get"},
    }
    assert {path: set(operations) for path, operations in paths.items()} == expected
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    # Every error is documented with the one error shape.
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    for operations in paths.values():
        for operation in operations.values():
            for code in ("401", "403", "429"):
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error"
    # The specification's nested field names survive.
    project = schema["components"]["schemas"]["Project"]["properties"]
    assert "config" in project and "stats" in project
    results = paths["/api/v1/projects/{project_id}/results/"]["get"]
    names = {p["name"] for p in results["parameters"]}
    assert {"q", "target", "platform", "sentiment", "date_from", "date_to", "sort", "cursor"} <= names


def test_docs_page_loads_its_assets_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in a for a in assets)
    assert all(a.startswith("/") for a in assets), assets  # no CDN
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


@pytest.fixture
def world(settings, seed_clock):
    """An owner with one of everything, unlimited plan and rate limits (schemathesis sends
    hundreds of requests), and a token with every scope."""
    settings.API_RATE_LIMITS = {"token": 0, "user": 0}
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_LOOPBACK = True
    owner = make_user(plan="enterprise")
    seeded = seed(owner, 12)
    project, target = seeded.project, seeded.targets[0]
    job = jobs.start_job(project, triggered_by=owner)
    webhook = webhook_services.create_webhook(
        owner, url="http://127.0.0.1:9/hook", events=["job.completed"], label="ci"
    ).webhook
    WebhookDelivery.objects.create(webhook=webhook, user=owner, event="job.completed")
    rule = make_rule(project)
    return {
        "token": make_token(owner),
        "ids": {
            "project_id": str(project.pk),
            "target_id": str(target.pk),
            "result_id": str(Result.objects.filter(project=project).first().pk),
            "job_id": str(job.pk),
            "webhook_id": str(webhook.pk),
            "view_id": str(saved_views.create_view(project, owner, "Negative", "sentiment=negative").pk),
            "report_id": str(
                report_services.create_schedule(
                    owner, project, name="Weekly", recipients=["a@example.com"]
                ).pk
            ),
            "marker_id": str(
                markers.create_marker(project, owner, {"day": "2030-07-01", "label": "v1.2"}).pk
            ),
            "rule_id": str(rule.pk),
            "alert_id": str(make_alert(rule).pk),
        },
    }


def _destructive(operation) -> int:
    if operation.path.endswith("/archive/"):
        return 2
    return 1 if operation.method.upper() == "DELETE" else 0


def test_schemathesis_finds_no_server_error_and_no_schema_violation(world):
    """Every operation, a bounded number of generated requests each (fixed seed), against the
    Django application in this process; path ids are the owner's real objects."""
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    headers = {"Authorization": f"Bearer {world['token']}"}
    operations, calls = 0, []
    # Operations that remove or freeze what the others need run last.
    ordered = sorted((r.ok() for r in schema.get_all_operations()), key=_destructive)
    for operation in ordered:
        wanted = {name: world["ids"][name] for name in re.findall(r"{(\w+)}", operation.path)}
        strategy = operation.as_strategy(path_parameters=wanted or None)

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.seed(SEED)
        @given(case=strategy)
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)
            calls.append(response.status_code)

        run()
        operations += 1
    # 24, the target's PATCH, the saved views, the scheduled reports and the release markers (list,
    # create, read, change, delete each), and alerts: rules (list, create, read, change, delete,
    # mute, unmute) and alerts (list, read, acknowledge), and the period comparison.
    assert operations == 51
    # The run reached the code behind the checks, not only the authentication in front.
    assert sum(200 <= code < 300 for code in calls) >= operations


def test_schema_is_public_but_the_api_is_not(client):
    assert client.get("/api/v1/projects/").status_code == 401
    owner = make_user()
    assert api_client(make_token(owner)).get("/api/v1/projects/").status_code == 200
