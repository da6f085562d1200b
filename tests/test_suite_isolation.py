"""What keeps the suite's test processes apart, on the embedded server and on a real MongoDB.

Each test process (a pytest-xdist worker) gets a database of its own, named after the worker
(pytest-django adds the suffix); the settings name the same database for the Celery broker and
results on MongoDB, and the worker processes the tests start are pointed at it. A Redis broker or
cache cannot be split that way, so with Redis the suite refuses to run in several processes.
"""

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import shared_redis_stores
from tests.workers import ROOT, child_env


@pytest.mark.django_db
def test_each_test_process_has_a_database_of_its_own(worker_id):
    name = connection.settings_dict["NAME"]
    assert name == connection.settings_dict["TEST"]["NAME"]
    if worker_id != "master":
        assert name.endswith(f"_{worker_id}")
    for url in (settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND):
        if url.startswith("mongodb"):
            assert urlsplit(url).path == f"/{name}", url
    env = child_env()
    assert (env["MONGODB_URI"], env["MONGODB_NAME"]) == (settings.MONGODB_URI, name)


def test_redis_stores_are_recognised(settings):
    settings.CELERY_BROKER_URL = "redis://localhost:6379/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert shared_redis_stores() == ["CELERY_BROKER_URL", "CACHE_URL"]
    settings.CELERY_BROKER_URL = "mongodb://localhost:27017/test"
    settings.CACHES = {"default": {"BACKEND": "sentimatrix.cache.MongoCache"}}
    assert shared_redis_stores() == []


def _collect(processes: str, **env: str) -> subprocess.CompletedProcess:
    """``pytest --collect-only`` of one small module in a fresh session with ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # An address nothing listens on: collecting touches no database, so no server is started.
    clean.update(MONGODB_URI="mongodb://127.0.0.1:9/unused", **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-n", processes, "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/test_embedded_db.py"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_redis_cache_or_broker_asks_for_one_test_process():
    refused = _collect("2", CACHE_URL="redis://127.0.0.1:9/1")
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    assert "CACHE_URL point at Redis" in refused.stderr and "TEST_PROCESSES=1" in refused.stderr
    alone = _collect("0", CACHE_URL="redis://127.0.0.1:9/1")
    assert alone.returncode == pytest.ExitCode.OK, alone.stdout + alone.stderr
