"""Limits: requests per minute per token and per user (shared across processes through the
cache), the plan's monthly API calls, and the request body size."""

import io
import json
import subprocess
import sys
import textwrap
import time

import pytest

from accounts.usage import PlanLimitReached, consume
from api.exceptions import PayloadTooLarge
from api.parsers import LimitedJSONParser
from api.throttling import WINDOW_SECONDS
from projects.models import Project
from sentimatrix.mongo import collection
from tests.api_helpers import api_client, error_of, make_token, post_json
from tests.factories import make_user
from tests.workers import ROOT, child_env

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

PROJECTS = "/api/v1/projects/"


def _same_window(margin: float = 8.0) -> None:
    """Start at least ``margin`` seconds before the current minute's window closes, so a test's
    requests fall in one window."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < margin:
        time.sleep(left + 0.05)


def _assert_rate_limited(response):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= WINDOW_SECONDS
    error = error_of(response)
    assert error["code"] == "rate_limited" and error["details"] == {"retry_after": retry_after}
    return error


def test_requests_per_minute_per_token(settings):
    settings.API_RATE_LIMITS = {"token": 3, "user": 100}
    user = make_user()
    first, second = api_client(make_token(user)), api_client(make_token(user))
    _same_window()
    assert [first.get(PROJECTS).status_code for _ in range(3)] == [200, 200, 200]
    error = _assert_rate_limited(first.get(PROJECTS))
    assert "3 requests per minute per token" in error["message"]
    assert second.get(PROJECTS).status_code == 200  # each token has its own budget


def test_requests_per_minute_per_user_across_tokens(settings):
    settings.API_RATE_LIMITS = {"token": 100, "user": 4}
    user = make_user()
    clients = [api_client(make_token(user)) for _ in range(2)]
    _same_window()
    assert [clients[i % 2].get(PROJECTS).status_code for i in range(4)] == [200] * 4
    error = _assert_rate_limited(clients[0].get(PROJECTS))
    assert "per user" in error["message"]
    # Another user is not held back.
    assert api_client(make_token(make_user())).get(PROJECTS).status_code == 200


def test_rate_limits_hold_across_processes(settings):
    """Another web process (a real child process on the same database and cache) spends
    part of the budget; this one sees it."""
    settings.API_RATE_LIMITS = {"token": 3, "user": 100}
    raw = make_token(make_user())
    _same_window(margin=12)
    script = textwrap.dedent(
        f"""
        import django, os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentimatrix.settings.dev")
        django.setup()
        from django.test import Client
        client = Client(HTTP_HOST="localhost", headers={{"Authorization": "Bearer {raw}"}})
        print([client.get("{PROJECTS}").status_code for _ in range(2)])
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=child_env(API_RATE_LIMIT_PER_TOKEN="3"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip().splitlines()[-1] == "[200, 200]"
    client = api_client(raw)
    assert client.get(PROJECTS).status_code == 200
    _assert_rate_limited(client.get(PROJECTS))


def test_monthly_quota_counts_token_calls_and_refuses_past_the_plan(settings):
    user = make_user(plan="starter")
    allowed = user.get_plan().api_calls_per_month
    client = api_client(make_token(user))
    assert client.get(PROJECTS).status_code == 200
    user.refresh_from_db()
    assert user.usage.api_calls_this_month == 1
    collection("users").update_one({"_id": user.pk}, {"$set": {"usage.api_calls_this_month": allowed - 1}})
    assert client.get(PROJECTS).status_code == 200
    refused = post_json(client, PROJECTS, {"name": "over quota"})
    assert refused.status_code == 429
    error = error_of(refused)
    assert error["code"] == "quota_exceeded"
    with pytest.raises(PlanLimitReached) as expected:
        consume(user, "api_calls_this_month")
    assert error["message"] == str(expected.value)  # the plan's own clear message
    assert int(refused["Retry-After"]) > 0  # until the monthly reset
    assert not Project.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.usage.api_calls_this_month == allowed  # refused calls are not counted


def test_rate_limited_calls_do_not_spend_the_quota(settings):
    settings.API_RATE_LIMITS = {"token": 2, "user": 100}
    user = make_user()
    client = api_client(make_token(user))
    _same_window()
    codes = [client.get(PROJECTS).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    user.refresh_from_db()
    assert user.usage.api_calls_this_month == 2


def test_bodies_over_the_limit_get_413(settings):
    settings.API_MAX_BODY_BYTES = 2000
    client = api_client(make_token(make_user()))
    big = {"name": "x", "description": "y" * 3000}
    response = post_json(client, PROJECTS, big)
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large" and "2,000 bytes" in error["message"]
    assert not Project.objects.exists()
    assert post_json(client, PROJECTS, {"name": "x", "description": "y" * 1500}).status_code == 201


def test_the_parser_counts_the_bytes_it_reads_whatever_the_headers_say(settings):
    settings.API_MAX_BODY_BYTES = 100
    parser = LimitedJSONParser()
    assert parser.parse(io.BytesIO(json.dumps({"a": "b" * 50}).encode())) == {"a": "b" * 50}
    with pytest.raises(PayloadTooLarge):
        parser.parse(io.BytesIO(json.dumps({"a": "b" * 200}).encode()))
