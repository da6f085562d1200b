"""Personal access tokens: the settings page (shown once, hash only, revoke, audit), bearer
authentication (expired, revoked, wrong, inactive account), scopes, and session requests
with CSRF."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Status
from api import tokens
from api.models import ApiToken
from sentimatrix.mongo import collection
from tests.api_helpers import api_client, error_of, make_token, post_json
from tests.factories import make_project, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

PROJECTS = "/api/v1/projects/"


def _created_value(response) -> str:
    match = re.search(r'id="new-token-value"[^>]*value="([^"]+)"', response.content.decode())
    assert match, "the new token is shown on the page"
    return match.group(1)


# --- the settings page ------------------------------------------------------------------------


def test_settings_page_links_to_the_token_page(client, owner):
    response = client.get(reverse("accounts:settings"))
    assert reverse("api:tokens") in response.content.decode()


def test_token_page_needs_sign_in(client):
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_empty_state_says_what_to_do(client, owner):
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 200
    assert "No tokens yet" in response.content.decode()


def test_created_token_is_shown_once_and_stored_only_as_a_hash(client, owner):
    response = client.post(
        reverse("api:tokens"), {"name": "nightly export", "scopes": ["read", "jobs"], "expires_in": "30"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    value = _created_value(response)
    token = ApiToken.objects.get(user=owner)
    assert token.name == "nightly export" and token.scopes == ["read", "jobs"]
    assert token.prefix == value[: tokens.PREFIX_LENGTH]
    assert token.token_hash == hashlib.sha256(value.encode()).hexdigest()
    expected_expiry = timezone.now() + timedelta(days=30)
    assert abs((token.expires_at - expected_expiry).total_seconds()) < 60
    # Nothing stored holds the plaintext, and the page never shows it again.
    stored = collection("api_tokens").find_one({"_id": token.pk})
    assert value not in repr(stored)
    again = client.get(reverse("api:tokens")).content.decode()
    assert value not in again and f"{token.prefix}…" in again
    entry = AuditLog.objects.get(event_type="api_token.create")
    assert entry.user_id == owner.pk and entry.metadata["token"] == token.prefix
    assert entry.metadata["scopes"] == ["read", "jobs"]
    # The shown value works.
    assert api_client(value).get(PROJECTS).status_code == 200


def test_a_token_without_expiry_and_the_form_errors(client, owner):
    client.post(reverse("api:tokens"), {"name": "forever", "scopes": ["read"], "expires_in": "never"})
    assert ApiToken.objects.get(user=owner).expires_at is None
    response = client.post(reverse("api:tokens"), {"name": "none", "expires_in": "30"})
    assert response.status_code == 400
    assert "Choose at least one scope." in response.content.decode()
    assert ApiToken.objects.filter(user=owner).count() == 1


def test_revoking_stops_the_token_at_once_and_is_audited(client, owner):
    raw = make_token(owner)
    token = ApiToken.objects.get(user=owner)
    assert api_client(raw).get(PROJECTS).status_code == 200
    response = client.post(reverse("api:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = AuditLog.objects.get(event_type="api_token.revoke")
    assert entry.user_id == owner.pk and entry.metadata["token"] == token.prefix
    refused = api_client(raw).get(PROJECTS)
    assert refused.status_code == 401
    assert error_of(refused)["message"] == "This token was revoked."
    # Revoking twice changes nothing and logs nothing more.
    client.post(reverse("api:token-revoke", args=[token.pk]))
    assert AuditLog.objects.filter(event_type="api_token.revoke").count() == 1
    assert "revoked" in client.get(reverse("api:tokens")).content.decode()


def test_another_users_token_cannot_be_revoked(client, owner):
    other = make_user()
    make_token(other)
    theirs = ApiToken.objects.get(user=other)
    response = client.post(reverse("api:token-revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert theirs.prefix not in client.get(reverse("api:tokens")).content.decode()


def test_active_tokens_are_limited(owner):
    for i in range(tokens.MAX_ACTIVE_TOKENS):
        make_token(owner, name=f"t{i}")
    with pytest.raises(tokens.TokenRefused, match="revoke one"):
        make_token(owner)
    tokens.revoke_token(ApiToken.objects.filter(user=owner).first())
    assert make_token(owner)


def test_unknown_scopes_and_lifetimes_are_refused(owner):
    with pytest.raises(tokens.TokenRefused):
        tokens.create_token(owner, name="x", scopes=["read", "admin"], expires_in_days=None)
    with pytest.raises(tokens.TokenRefused):
        tokens.create_token(owner, name="x", scopes=["read"], expires_in_days=0)


# --- bearer authentication ----------------------------------------------------------------


def test_valid_token_authenticates_and_records_its_last_use():
    user = make_user()
    make_project(user, name="Mine")
    raw = make_token(user)
    response = api_client(raw).get(PROJECTS)
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["Mine"]
    token = ApiToken.objects.get(user=user)
    assert token.last_used_at is not None
    first_use = token.last_used_at
    api_client(raw).get(PROJECTS)
    token.refresh_from_db()
    assert token.last_used_at == first_use  # written at most once a minute


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer a b", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 43],
)
def test_missing_or_invalid_tokens_get_401_with_a_bearer_challenge(header):
    make_token(make_user())
    client = Client(headers={"Authorization": header} if header else {})
    response = client.get(PROJECTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] in {"not_authenticated", "authentication_failed"}


def test_a_token_with_the_right_prefix_but_wrong_secret_is_refused():
    raw = make_token(make_user())
    forged = raw[: tokens.PREFIX_LENGTH] + ("A" if raw[-1] != "A" else "B") * (
        len(raw) - tokens.PREFIX_LENGTH
    )
    response = api_client(forged).get(PROJECTS)
    assert response.status_code == 401 and error_of(response)["message"] == "Invalid token."


def test_expired_token_is_refused():
    user = make_user()
    raw = make_token(user, expires_in_days=1)
    collection("api_tokens").update_one(
        {"user_id": user.pk}, {"$set": {"expires_at": timezone.now() - timedelta(seconds=1)}}
    )
    response = api_client(raw).get(PROJECTS)
    assert response.status_code == 401
    assert error_of(response)["message"] == "This token has expired."


def test_token_of_a_suspended_account_is_refused():
    user = make_user()
    raw = make_token(user)
    user.status = Status.SUSPENDED
    user.save()
    response = api_client(raw).get(PROJECTS)
    assert response.status_code == 401
    assert error_of(response)["message"] == "This account is not active."


def test_token_without_the_scope_gets_403():
    user = make_user()
    project = make_project(user)
    read_only = api_client(make_token(user, scopes=["read"]))
    assert read_only.get(f"{PROJECTS}{project.pk}/").status_code == 200
    response = post_json(read_only, f"{PROJECTS}{project.pk}/", {"name": "Changed"}, method="patch")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "insufficient_scope" and "write" in error["message"]
    project.refresh_from_db()
    assert project.name != "Changed"
    # Starting a job needs "jobs", not "write".
    writer = api_client(make_token(user, scopes=["read", "write"]))
    response = post_json(writer, f"{PROJECTS}{project.pk}/jobs/", {})
    assert response.status_code == 403 and "jobs" in error_of(response)["message"]


# --- the session (the pages' own calls) ------------------------------------------------------


def test_session_requests_work_and_keep_the_csrf_check():
    user = make_user()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(PROJECTS).status_code == 200
    refused = post_json(browser, PROJECTS, {"name": "From the page"})
    assert refused.status_code == 403
    assert "CSRF" in error_of(refused)["message"]
    browser.get(reverse("api:tokens"))  # any page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = post_json(browser, PROJECTS, {"name": "From the page"}, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201, accepted.content
    # Session calls are the user at the keyboard: they do not count as API calls.
    user.refresh_from_db()
    assert user.usage.api_calls_this_month == 0


def test_admin_lists_and_revokes_tokens_without_showing_their_hash():
    admin = make_user(role="admin")
    raw = make_token(make_user())
    token = ApiToken.objects.get()
    staff = Client()
    staff.force_login(admin)
    assert token.prefix.encode() in staff.get("/admin/api/apitoken/").content
    page = staff.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert page.status_code == 200 and token.token_hash.encode() not in page.content
    staff.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [str(token.pk)]})
    assert api_client(raw).get(PROJECTS).status_code == 401
    assert AuditLog.objects.filter(event_type="api_token.revoke").count() == 1
