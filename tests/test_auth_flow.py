import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount import signals
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.urls import reverse

from accounts.models import AuditLog, Status, User
from accounts.services import mark_email_verified

PASSWORD = "a-Long-pass-phrase-42"


def _verified_user(email="ana@example.com", **extra):
    user = User.objects.create_user(email, PASSWORD, **extra)
    mark_email_verified(user)
    return user


@pytest.mark.django_db
def test_sign_up_verify_then_sign_in(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {"email": "New.User@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.user@example.com")
    assert not user.email_verified
    # Verification is mandatory: signing in before confirming does not open a session.
    client.logout()
    client.post(reverse("account_login"), {"login": "new.user@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    assert len(mailoutbox) >= 1
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/([^/\s]+)/", mailoutbox[-1].body)
    assert link, mailoutbox[-1].body
    # The product names itself, not the host it was reached on.
    assert mailoutbox[-1].subject.startswith("[Sentimatrix Studio] ")
    assert "— Sentimatrix Studio" in mailoutbox[-1].body
    confirm_url = reverse("account_confirm_email", args=[link.group(1)])
    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified and user.email_verified_at is not None
    assert EmailAddress.objects.get(user=user).verified

    client.logout()
    response = client.post(reverse("account_login"), {"login": "new.user@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_failed_sign_ins_are_rate_limited_per_account(client):
    _verified_user()
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": "ana@example.com", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("account_login"), {"login": "ana@example.com", "password": PASSWORD})
    # Even the right password is refused while the lockout lasts, with a clear message.
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


@pytest.mark.django_db
def test_suspended_user_cannot_sign_in(client):
    _verified_user(status=Status.SUSPENDED)
    response = client.post(reverse("account_login"), {"login": "ana@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.url == reverse("account_inactive")


@pytest.mark.django_db
def test_password_change_and_sign_out(client):
    _verified_user()
    client.post(reverse("account_login"), {"login": "ana@example.com", "password": PASSWORD})
    assert "_auth_user_id" in client.session
    new = "another-Long-pass-phrase-7"
    response = client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    assert User.objects.get(email="ana@example.com").check_password(new)
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_email_change_is_audited_and_mirrored_on_the_user(client, mailoutbox):
    user = _verified_user()
    client.force_login(user)
    client.post(reverse("account_email"), {"action_add": "", "email": "ana.new@example.com"})
    address = EmailAddress.objects.get(email="ana.new@example.com")
    address.verified = True
    address.save()
    client.post(reverse("account_email"), {"action_primary": "", "email": "ana.new@example.com"})
    user.refresh_from_db()
    assert user.email == "ana.new@example.com"
    entry = AuditLog.objects.get(user=user, event_type="auth.email_change")
    assert entry.metadata == {"old": "ana@example.com", "new": "ana.new@example.com"}


@pytest.mark.django_db
def test_connected_social_account_id_is_kept_in_users_oauth(rf):
    user = _verified_user()
    account = SocialAccount.objects.create(user=user, provider="github", uid="583231")
    signals.social_account_added.send(
        sender=SocialLogin, request=rf.get("/"), sociallogin=SocialLogin(user=user, account=account)
    )
    user.refresh_from_db()
    assert user.oauth.github_id == "583231" and user.oauth.google_id is None


@pytest.mark.django_db
def test_the_confirmation_email_names_the_product_not_the_host(client, mailoutbox, settings):
    client.post(
        reverse("account_signup"),
        {"email": "first@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    body = mailoutbox[-1].body
    # The defaults: the product's name, the domain of SITE_URL; never the request's host.
    assert f"register an account on Sentimatrix Studio ({settings.SITE_DOMAIN})." in body
    assert "account on testserver" not in body

    settings.SITE_NAME, settings.SITE_DOMAIN = "Acme Insights", "insights.acme.test"
    client.post(
        reverse("account_signup"),
        {"email": "second@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    body = mailoutbox[-1].body
    assert "register an account on Acme Insights (insights.acme.test)." in body
    assert body.rstrip().endswith("— Acme Insights\ninsights.acme.test")
