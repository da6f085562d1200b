import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import vault
from accounts.models import ApiKey, AuditLog, User
from accounts.services import mark_email_verified
from sentimatrix import crypto
from sentimatrix.mongo import collection

PLAINTEXT = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def _user(email):
    user = User.objects.create_user(email, "a-Long-pass-phrase-42")
    mark_email_verified(user)
    return user


@pytest.fixture
def ana(db):
    return _user("ana@example.com")


@pytest.fixture
def ben(db):
    return _user("ben@example.com")


def test_stored_bytes_differ_from_plaintext_and_decrypt_back(ana):
    key = vault.store_key(ana, provider="openai", name="Team", plaintext=PLAINTEXT)
    raw = collection("api_keys").find_one({"_id": key.pk})
    assert PLAINTEXT.encode() not in bytes(raw["encrypted_key"])
    assert len(bytes(raw["key_nonce"])) == 12 and len(bytes(raw["key_tag"])) == 16
    assert raw["masked_key"] == "sk-…b1a0"
    assert vault.reveal(ApiKey.objects.get(pk=key.pk)) == PLAINTEXT


@pytest.mark.parametrize("part", ["encrypted_key", "key_tag", "key_nonce"])
def test_tampering_fails_loudly(ana, part):
    key = vault.store_key(ana, provider="openai", name="Team", plaintext=PLAINTEXT)
    value = bytearray(getattr(key, part))
    value[0] ^= 0x01
    setattr(key, part, bytes(value))
    with pytest.raises(crypto.DecryptionError):
        vault.reveal(key)


def test_ciphertext_copied_to_another_user_does_not_decrypt(ana, ben):
    key = vault.store_key(ana, provider="openai", name="Team", plaintext=PLAINTEXT)
    key.user = ben
    with pytest.raises(crypto.DecryptionError):
        vault.reveal(key)


def test_rotation_reencrypts_everything_and_old_keys_work_until_then(ana, ben, settings):
    old_spec = settings.ENCRYPTION_KEYS
    old_id = crypto.current_key_id()
    keys = [
        vault.store_key(ana, provider="openai", name="A", plaintext=PLAINTEXT),
        vault.store_key(ben, provider="youtube", name="B", plaintext="AIzaSy-youtube-key-123456"),
    ]
    settings.ENCRYPTION_KEYS = f"{crypto.generate_key_spec('new1')},{old_spec}"
    # Before rotation the records still decrypt with the old key.
    assert vault.reveal(ApiKey.objects.get(pk=keys[0].pk)) == PLAINTEXT
    # New keys are sealed with the new current key.
    fresh = vault.store_key(ana, provider="groq", name="C", plaintext="gsk_fresh_key_value_1")
    assert fresh.key_id == "new1"

    call_command("rotate_encryption_key")
    assert set(ApiKey.objects.values_list("key_id", flat=True)) == {"new1"}
    # The old key can now be removed from the setting.
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[0]
    assert old_id not in crypto.keyring()
    assert vault.reveal(ApiKey.objects.get(pk=keys[0].pk)) == PLAINTEXT
    assert vault.reveal(ApiKey.objects.get(pk=keys[1].pk)) == "AIzaSy-youtube-key-123456"


def test_key_pages_never_show_the_plaintext_and_other_users_get_404(ana, ben, client, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(ana)
    response = client.post(
        reverse("accounts:api_keys"),
        {"name": "Team", "provider": "openai", "key": PLAINTEXT, "base_url": ""},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "sk-…b1a0" in page and PLAINTEXT not in page
    assert PLAINTEXT not in caplog.text
    key = ApiKey.objects.get(user=ana)
    assert AuditLog.objects.filter(user=ana, event_type="api_key.create").exists()

    client.force_login(ben)
    assert PLAINTEXT not in client.get(reverse("accounts:api_keys")).content.decode()
    assert client.post(reverse("accounts:api_key_delete", args=[key.pk])).status_code == 404
    assert client.post(reverse("accounts:api_key_test", args=[key.pk])).status_code == 404
    assert ApiKey.objects.filter(pk=key.pk).exists()

    client.force_login(ana)
    client.post(reverse("accounts:api_key_delete", args=[key.pk]))
    assert not ApiKey.objects.filter(pk=key.pk).exists()
    assert AuditLog.objects.filter(user=ana, event_type="api_key.delete").exists()


def test_test_key_marks_valid_or_rejected(ana, client, httpserver, settings):
    settings.PROVIDER_BASE_URLS = {**settings.PROVIDER_BASE_URLS, "openai": httpserver.url_for("/v1")}
    good = vault.store_key(ana, provider="openai", name="Good", plaintext="sk-good-000000000001")
    bad = vault.store_key(ana, provider="openai", name="Bad", plaintext="sk-bad-0000000000002")
    httpserver.expect_request(
        "/v1/models", headers={"Authorization": "Bearer sk-good-000000000001"}
    ).respond_with_json({"data": []})
    httpserver.expect_request("/v1/models").respond_with_json({"error": "invalid key"}, status=401)
    client.force_login(ana)
    client.post(reverse("accounts:api_key_test", args=[good.pk]))
    client.post(reverse("accounts:api_key_test", args=[bad.pk]))
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.is_valid is True and good.last_validated_at is not None
    assert bad.is_valid is False
    assert AuditLog.objects.filter(event_type="api_key.use_failed", success=False).count() == 1
