"""Webhooks: Standard Webhooks signatures, URL safety, secrets at rest, pages, TTL index."""

import base64
import io
import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from standardwebhooks.webhooks import Webhook as Receiver
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import AuditLog
from notifications import delivery, payloads, services, signing, vault
from notifications.models import Webhook, WebhookDelivery, WebhookEvent
from notifications.services import SecretMode
from sentimatrix import crypto
from sentimatrix.dbindexes import WEBHOOK_DELIVERIES_TTL
from sentimatrix.mongo import collection
from tests.factories import make_user

# A public address literal: passes the address checks without a DNS lookup.
PUBLIC_URL = "https://93.184.215.14/hooks/sentimatrix"
EVENTS = [WebhookEvent.JOB_COMPLETED, WebhookEvent.RESULTS_NEW]

# The Standard Webhooks specification's published test vector.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": '{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


# --- signatures ---------------------------------------------------------------------------------


def test_signature_matches_the_specification_test_vector():
    assert (
        signing.sign(VECTOR["secret"], VECTOR["id"], VECTOR["timestamp"], VECTOR["body"])
        == VECTOR["signature"]
    )


def test_a_standard_webhooks_receiver_verifies_our_headers_and_rejects_tampering():
    secret = signing.generate_secret()
    body = payloads.dumps({"type": "test", "timestamp": "2025-01-01T00:00:00Z", "data": {"n": "é"}})
    headers = signing.headers(secret, signing.new_message_id(), int(time.time()), body)

    assert Receiver(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Receiver(secret).verify(body.replace('"n"', '"m"'), headers)
    with pytest.raises(WebhookVerificationError):
        Receiver(signing.generate_secret()).verify(body, headers)
    stale = signing.headers(secret, headers["webhook-id"], int(time.time()) - 3600, body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Receiver(secret).verify(body, stale)
    # Unsigned deliveries still carry the id and timestamp.
    assert set(signing.headers(None, "msg_1", 1, body)) == {"webhook-id", "webhook-timestamp"}


def test_generated_secrets_have_the_standard_form_and_bad_ones_are_refused():
    secret = signing.generate_secret()
    assert secret.startswith("whsec_") and len(signing.secret_key(secret)) == signing.SECRET_BYTES
    assert secret != signing.generate_secret()
    short = "whsec_" + base64.b64encode(b"x" * 8).decode()
    for bad in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", short):
        with pytest.raises(signing.InvalidSecret):
            signing.secret_key(bad)


# --- URL safety ----------------------------------------------------------------------------------

REFUSED = {
    "https://127.0.0.1/hook": "loopback",
    "https://10.0.0.1/hook": "private",
    "https://169.254.169.254/latest/meta-data/": "metadata",
    "https://localhost:8443/hook": "resolves to",  # a name whose addresses are loopback
    "https://[::1]/hook": "loopback",
    "https://[::ffff:10.0.0.1]/hook": "private",
}


@pytest.mark.parametrize("url", REFUSED)
def test_webhook_urls_into_private_networks_are_refused(settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError) as excinfo:
        services.validate_url(url)
    assert REFUSED[url] in str(excinfo.value)


def test_https_is_required_unless_debug_or_allowed(settings):
    settings.DEBUG, settings.WEBHOOKS_ALLOW_HTTP = False, False
    with pytest.raises(ValidationError, match="https"):
        services.validate_url(PUBLIC_URL.replace("https", "http"))
    assert services.validate_url(f"  {PUBLIC_URL} ") == PUBLIC_URL
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert services.validate_url(PUBLIC_URL.replace("https", "http"))
    settings.WEBHOOKS_ALLOW_HTTP, settings.DEBUG = False, True
    assert services.validate_url(PUBLIC_URL.replace("https", "http"))
    with pytest.raises(ValidationError, match="credentials"):
        services.validate_url("https://user:pw@93.184.215.14/hook")
    with pytest.raises(ValidationError, match="https"):
        services.validate_url("ftp://93.184.215.14/hook")


def test_the_form_refuses_a_metadata_address_and_saves_nothing(client, user, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    client.force_login(user)
    response = client.post(
        reverse("webhooks:create"),
        {"url": "https://169.254.169.254/latest/", "events": ["job.completed"], "secret_mode": "none"},
    )
    assert response.status_code == 200
    assert b"cannot receive webhooks" in response.content
    assert not Webhook.objects.exists()


# --- secrets at rest -----------------------------------------------------------------------------


def test_a_generated_secret_is_stored_encrypted_and_bound_to_its_webhook(user):
    saved = services.create_webhook(user, url=PUBLIC_URL, events=EVENTS, secret_mode=SecretMode.GENERATE)
    raw = collection("webhooks").find_one({"_id": saved.webhook.pk})

    assert saved.new_secret.startswith("whsec_")
    assert "secret" not in raw and saved.new_secret.encode() not in bytes(raw["secret_encrypted"])
    assert raw["secret_key_id"] == crypto.current_key_id()
    stored = Webhook.objects.get(pk=saved.webhook.pk)
    assert vault.reveal(stored) == saved.new_secret
    stored.user_id = make_user().pk  # a ciphertext moved to another owner's record
    with pytest.raises(crypto.DecryptionError):
        vault.reveal(stored)


def test_secret_modes_keep_custom_and_none(user):
    custom = "whsec_" + base64.b64encode(b"k" * 32).decode()
    saved = services.create_webhook(
        user, url=PUBLIC_URL, events=EVENTS, secret_mode=SecretMode.CUSTOM, custom_secret=custom
    )
    assert saved.new_secret == custom and vault.reveal(saved.webhook) == custom
    kept = services.update_webhook(saved.webhook, url=PUBLIC_URL, events=EVENTS, secret_mode=SecretMode.KEEP)
    assert kept.new_secret is None and vault.reveal(Webhook.objects.get(pk=saved.webhook.pk)) == custom
    services.update_webhook(saved.webhook, url=PUBLIC_URL, events=EVENTS, secret_mode=SecretMode.NONE)
    assert vault.reveal(Webhook.objects.get(pk=saved.webhook.pk)) is None
    with pytest.raises(ValidationError):
        services.update_webhook(
            saved.webhook, url=PUBLIC_URL, events=EVENTS, secret_mode=SecretMode.CUSTOM, custom_secret="nope"
        )
    with pytest.raises(ValidationError):
        services.update_webhook(saved.webhook, url=PUBLIC_URL, events=["test"])


def test_key_rotation_reencrypts_webhook_secrets(user, settings):
    signed = services.create_webhook(user, url=PUBLIC_URL, events=EVENTS).webhook
    unsigned = services.create_webhook(
        user, url=PUBLIC_URL, events=EVENTS, secret_mode=SecretMode.NONE
    ).webhook
    secret = vault.reveal(signed)
    settings.ENCRYPTION_KEYS = f"{crypto.generate_key_spec('rot2')},{settings.ENCRYPTION_KEYS}"

    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)

    assert "Webhook secrets: 1 re-encrypted under 'rot2', 1 already current or unsigned." in out.getvalue()
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[0]  # the old key is gone
    rotated = Webhook.objects.get(pk=signed.pk)
    assert rotated.secret_key_id == "rot2" and vault.reveal(rotated) == secret
    assert vault.reveal(Webhook.objects.get(pk=unsigned.pk)) is None


# --- pages -------------------------------------------------------------------------------------


def test_create_shows_the_secret_once_then_never_again(client, user, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    client.force_login(user)
    response = client.post(
        reverse("webhooks:create"),
        {"url": PUBLIC_URL, "label": "CI", "events": ["job.completed", "job.failed"], "enabled": "on",
         "secret_mode": "generate"},
    )  # fmt: skip
    assert response.status_code == 200
    webhook = Webhook.objects.get(user=user)
    secret = vault.reveal(webhook)
    assert secret in response.content.decode()
    assert (webhook.label, webhook.events, webhook.enabled) == ("CI", ["job.completed", "job.failed"], True)
    assert AuditLog.objects.filter(user=user, event_type="webhook.create").exists()
    for page in (reverse("webhooks:list"), reverse("webhooks:edit", args=[webhook.pk])):
        html = client.get(page).content.decode()
        assert secret not in html and "CI" in html


def test_edit_reenables_a_disabled_webhook_and_clears_its_failures(client, user):
    webhook = services.create_webhook(user, url=PUBLIC_URL, events=EVENTS).webhook
    collection("webhooks").update_one(
        {"_id": webhook.pk},
        {"$set": {"enabled": False, "disabled_reason": "5 deliveries in a row failed", "consecutive_failures": 5,
                  "stats.failed_deliveries": 5}},
    )  # fmt: skip
    client.force_login(user)
    listing = client.get(reverse("webhooks:list")).content.decode()
    assert "was disabled: 5 deliveries in a row failed" in listing

    response = client.post(
        reverse("webhooks:edit", args=[webhook.pk]),
        {"url": PUBLIC_URL, "events": ["results.new"], "enabled": "on", "secret_mode": "keep"},
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.enabled and webhook.consecutive_failures == 0 and webhook.disabled_reason == ""
    assert webhook.events == ["results.new"]
    assert webhook.stats.failed_deliveries == 5  # an edit never rewrites the counters
    assert vault.has_secret(webhook)


def test_delete_removes_the_webhook_and_its_deliveries(client, user):
    webhook = services.create_webhook(user, url=PUBLIC_URL, events=EVENTS).webhook
    delivery.prepare(webhook, WebhookEvent.TEST, "{}")
    client.force_login(user)
    assert client.post(reverse("webhooks:delete", args=[webhook.pk])).status_code == 302
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditLog.objects.filter(user=user, event_type="webhook.delete").exists()


def test_webhook_pages_belong_to_their_owner(client, user, eager):
    webhook = services.create_webhook(user, url=PUBLIC_URL, events=EVENTS).webhook
    logged = delivery.prepare(webhook, WebhookEvent.TEST, "{}")
    client.force_login(make_user())
    assert PUBLIC_URL not in client.get(reverse("webhooks:list")).content.decode()
    assert b"No webhooks yet" in client.get(reverse("webhooks:list")).content
    assert client.get(reverse("webhooks:edit", args=[webhook.pk])).status_code == 404
    assert client.get(reverse("webhooks:deliveries", args=[webhook.pk])).status_code == 404
    assert client.post(reverse("webhooks:test", args=[webhook.pk])).status_code == 404
    assert client.post(reverse("webhooks:delete", args=[webhook.pk])).status_code == 404
    assert client.post(reverse("webhooks:redeliver", args=[logged.pk])).status_code == 404
    assert Webhook.objects.filter(pk=webhook.pk).exists() and WebhookDelivery.objects.count() == 1

    client.logout()
    for name in ("webhooks:list", "webhooks:create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_deliveries_page_shows_the_log_and_an_empty_state(client, user):
    webhook = services.create_webhook(user, url=PUBLIC_URL, events=EVENTS).webhook
    client.force_login(user)
    assert (
        b"No deliveries in the last 7 days"
        in client.get(reverse("webhooks:deliveries", args=[webhook.pk])).content
    )
    logged = delivery.prepare(
        webhook, WebhookEvent.JOB_COMPLETED, '{"type":"job.completed","name":"<b>x</b>"}'
    )
    WebhookDelivery.objects.filter(pk=logged.pk).update(
        status="failed", attempts=1, error="HTTP 500: only a 2xx"
    )
    page = client.get(reverse("webhooks:deliveries", args=[webhook.pk])).content.decode()
    assert "HTTP 500: only a 2xx" in page and "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert reverse("webhooks:redeliver", args=[logged.pk]) in page


# --- storage -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deliveries_expire_after_seven_days_through_a_ttl_index():
    indexes = collection("webhook_deliveries").index_information().values()
    ttl = [index for index in indexes if "expireAfterSeconds" in index]
    assert [(list(index["key"]), index["expireAfterSeconds"]) for index in ttl] == [
        ([("created_at", 1)], WEBHOOK_DELIVERIES_TTL)
    ]
    assert WEBHOOK_DELIVERIES_TTL == 7 * 24 * 3600
