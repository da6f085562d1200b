import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from accounts.models import User
from sentimatrix.crypto import generate_key_spec
from sentimatrix.mongo import collection
from sentimatrix.settings import base as base_settings
from sentimatrix.tasks import HEARTBEAT_COLLECTION, worker_ping
from tests.workers import ROOT, child_env


@pytest.mark.django_db
def test_home_admin_and_health_answer(client):
    assert client.get("/").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]


@pytest.mark.django_db
def test_user_round_trip_with_embedded_documents(settings):
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS  # what every other environment stores
    user = User.objects.create_user("Ana@Example.com", "s3cret-pass-word", name="Ana")
    user.settings.timezone = "Europe/Berlin"
    user.usage.scrapes_this_month = 3
    user.save()
    loaded = User.objects.get(pk=user.pk)
    assert loaded.email == "ana@example.com"
    assert loaded.settings.timezone == "Europe/Berlin"
    assert loaded.settings.results_per_page == 20
    assert loaded.usage.scrapes_this_month == 3
    assert loaded.check_password("s3cret-pass-word")
    raw = collection("users").find_one({"_id": user.pk})
    # Field names of the specification, nested documents stored as documents.
    assert raw["password_hash"].startswith("argon2")
    assert raw["settings"]["timezone"] == "Europe/Berlin"
    assert raw["usage"]["scrapes_this_month"] == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_runs_on_a_real_worker_through_the_mongo_broker(celery_worker_process):
    assert settings.CELERY_BROKER_URL.startswith("mongodb://")
    token = f"t-{uuid.uuid4().hex}"
    result = worker_ping.delay(token)
    assert result.get(timeout=60) == token
    doc = collection(HEARTBEAT_COLLECTION).find_one({"_id": token})
    assert doc is not None and doc["seen_at"] is not None


# The production settings, and the development ones with debug off, are equally strict.
STRICT_SETTINGS = ("sentimatrix.settings.production", "sentimatrix.settings.dev")


@pytest.mark.django_db
@pytest.mark.parametrize("settings_module", STRICT_SETTINGS)
def test_check_deploy_is_clean_with_production_env(settings_module):
    env = child_env(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 20 + uuid.uuid4().hex + "Q9!zW$" * 5,
        DJANGO_ALLOWED_HOSTS="sentimatrix.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://sentimatrix.example.com",
        SENTIMATRIX_ENCRYPTION_KEYS=generate_key_spec("prod1"),
    )
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set"),
        ({"SENTIMATRIX_ENCRYPTION_KEYS": ""}, "SENTIMATRIX_ENCRYPTION_KEYS must be set"),
        ({"SENTIMATRIX_ENCRYPTION_KEYS": "k1:c2hvcnQ"}, "must be 32 bytes"),
    ],
)
@pytest.mark.parametrize("settings_module", STRICT_SETTINGS)
def test_production_settings_refuse_to_start_without_secrets(settings_module, missing, message):
    keys = generate_key_spec()
    env = child_env(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="y" * 60,
        SENTIMATRIX_ENCRYPTION_KEYS=keys,
    )
    env.update(missing)
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert message in proc.stderr
