"""The client's address behind reverse proxies: one setting (the number of trusted proxies),
one function, used by allauth's sign-in limits, the audit log and the API throttles."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.urls import reverse

from accounts.models import AuditLog
from api.throttling import UserRateThrottle
from sentimatrix.security import client_ip
from tests.factories import PASSWORD, make_user

PROXY = "127.0.0.1"  # the test client's REMOTE_ADDR: the proxy's own address


def _sign_in(client, email, password, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def _exhaust_ip_limit(client, forwarded_for):
    """The per-IP failed sign-in limit (10 per 5 minutes), spent on unknown addresses so the
    per-account limit plays no part; ``forwarded_for(i)`` gives each attempt's header."""
    for attempt in range(10):
        response = _sign_in(client, f"nobody{attempt}@example.com", "wrong", forwarded_for(attempt))
        assert b"Too many failed" not in response.content


@pytest.fixture
def frozen_now():
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="192.0.2.1")
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0
    assert client_ip(request) == "192.0.2.1"
    # DRF's own guess would take the client's header: the API throttles use the product's.
    assert UserRateThrottle().get_ident(request) == "192.0.2.1"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        # The client wrote the first entry itself; the proxy appended the address it saw.
        (1, "10.0.0.1, 203.0.113.7", "203.0.113.7"),
        (2, "10.0.0.1, 203.0.113.7, 198.51.100.2", "203.0.113.7"),
        # Fewer entries than proxies: the request skipped the outer one, whose entry is missing.
        (2, "203.0.113.7", "203.0.113.7"),
        (1, "[2001:db8::1]:4711", "2001:db8::1"),
        (1, "203.0.113.7:4711", "203.0.113.7"),
        # Reached the app without the proxy, or a header that is not an address.
        (1, "", "192.0.2.1"),
        (1, "not-an-address", "192.0.2.1"),
    ],
)
def test_trusted_proxies_give_the_rightmost_untrusted_address(count, forwarded, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="192.0.2.1")
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=count):
        assert client_ip(request) == expected
        assert UserRateThrottle().get_ident(request) == expected


@pytest.mark.django_db
def test_without_trusted_proxies_the_header_neither_escapes_the_limit_nor_forges_the_log(client, frozen_now):
    user = make_user("ana@example.com")
    _exhaust_ip_limit(client, lambda attempt: f"203.0.113.{attempt + 1}")
    assert set(
        AuditLog.objects.filter(event_type="auth.login_failed").values_list("ip_address", flat=True)
    ) == {PROXY}
    # A fresh forwarded address does not open a new allowance.
    response = _sign_in(client, user.email, PASSWORD, "198.51.100.99")
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


@pytest.mark.django_db
@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_users_behind_the_proxy_are_limited_separately(client, frozen_now):
    ana, ben = make_user("ana@example.com"), make_user("ben@example.com")
    # Ana's browser sends its own header; the proxy appends the address it saw.
    _exhaust_ip_limit(client, lambda attempt: f"10.{attempt}.0.1, 198.51.100.1")
    failed = AuditLog.objects.filter(event_type="auth.login_failed")
    assert set(failed.values_list("ip_address", flat=True)) == {"198.51.100.1"}

    response = _sign_in(client, ana.email, PASSWORD, "198.51.100.1")
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content

    response = _sign_in(client, ben.email, PASSWORD, "198.51.100.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ben.pk)
    assert AuditLog.objects.get(event_type="auth.login", user=ben).ip_address == "198.51.100.2"


@pytest.mark.django_db
def test_the_sign_in_lockout_says_when_to_retry(client, frozen_now):
    user = make_user("ana@example.com")
    for _ in range(5):
        _sign_in(client, user.email, "wrong")
    response = _sign_in(client, user.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    # The account's limit is 5 failures per 5 minutes, all made at this instant.
    assert b"Too many failed login attempts. Try again in 5 minutes." in response.content

    frozen_now.move_to(datetime.now(UTC) + timedelta(minutes=3, seconds=30))
    response = _sign_in(client, user.email, PASSWORD)
    assert b"Try again in 2 minutes." in response.content

    frozen_now.move_to(datetime.now(UTC) + timedelta(minutes=1, seconds=31))
    assert _sign_in(client, user.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_rate_limit_page_says_when_to_retry(client, frozen_now):
    make_user("ana@example.com")
    url = reverse("account_reset_password")
    # Five reset requests a minute per address: the sixth is refused.
    for _ in range(5):
        assert client.post(url, {"email": "ana@example.com"}).status_code == 302
    response = client.post(url, {"email": "ana@example.com"})
    assert response.status_code == 429
    assert b"Try again in 1 minute." in response.content


@pytest.mark.django_db
@override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, "signup": "1/10m/ip"})
def test_the_sign_up_limit_page_says_when_to_retry(client, frozen_now):
    url = reverse("account_signup")
    client.post(url, {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD})
    client.logout()
    response = client.post(url, {"email": "other@example.com", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 429
    assert b"Try again in 10 minutes." in response.content
