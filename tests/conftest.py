import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.management import create_contenttypes
from django.core.cache import cache
from django.db.models.signals import post_migrate

from tests.clock import SEED_NOW
from tests.factories import make_project, make_user
from tests.workers import WorkerProcess, eager_tasks


def shared_redis_stores() -> list[str]:
    """The settings that put this run's broker or cache on Redis."""
    stores = []
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        stores.append("CELERY_BROKER_URL")
    if settings.CACHES["default"]["BACKEND"].endswith(".RedisCache"):
        stores.append("CACHE_URL")
    return stores


def pytest_configure(config):
    """Test processes keep apart by database (each has its own, named after its xdist worker),
    but a Redis broker or cache is one store for all of them: one process's Celery worker would
    take the other's tasks, and the cache cleared before each test would empty the other's. So
    with Redis the suite runs in one process."""
    if hasattr(config, "workerinput"):
        return  # a worker of the session checked below
    processes = config.getoption("numprocesses", None) or 0
    stores = shared_redis_stores()
    if isinstance(processes, int) and processes > 1 and stores:
        raise pytest.UsageError(
            f"{' and '.join(stores)} point at Redis, which every test process would share: "
            "run the suite in one test process (TEST_PROCESSES=1, or pytest -n 1)."
        )


@pytest.fixture(scope="session")
def output_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("output")


PLATFORM_URL_VARIABLES = (
    "STEAM_BASE_URL", "REDDIT_BASE_URL", "REDDIT_OAUTH_BASE_URL", "REDDIT_AUTH_BASE_URL", "YOUTUBE_BASE_URL",
    "GOOGLE_PLACES_BASE_URL", "SCRAPERAPI_BASE_URL", "APIFY_BASE_URL", "APPSTORE_BASE_URL",
    "HACKERNEWS_BASE_URL", "TRUSTPILOT_BASE_URL",
    "GOOGLE_PLAY_BASE_URL",
)  # fmt: skip


def playback_env(server) -> dict[str, str]:
    """Worker environment that sends every collector to the local playback server."""
    base = server.url_for("").rstrip("/")
    return {
        **dict.fromkeys(PLATFORM_URL_VARIABLES, base),
        "AMAZON_BASE_URL": base,
        "SCRAPING_ALLOW_LOOPBACK": "1",
        "SCRAPING_MAX_RETRIES": "1",
    }


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, django_db_blocker, output_dir, make_httpserver, request):
    """A real worker for the module, consuming every queue of the test database and
    collecting from the local playback server."""
    with django_db_blocker.unblock():
        log = output_dir / f"worker-{request.module.__name__}.log"
        worker = WorkerProcess(log, **playback_env(make_httpserver))
        try:
            worker.wait_ready()
            yield worker
        finally:
            worker.kill()


@pytest.fixture
def seed_clock():
    """This process's clock moved to the seeded data's instant and ticking from there, so pages
    that default to "today" see the same calendar as the seed on any day the suite runs."""
    with time_machine.travel(SEED_NOW, tick=True):
        yield SEED_NOW


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """The cache lives in a collection no model owns, so test flushes keep it; clear it."""
    marker = request.node.get_closest_marker("django_db")
    if marker:
        request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
        cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _no_post_flush_rebuild():
    """Flushing the test database after each test re-creates every content type and
    permission through post_migrate (about 0.6 s a test on the embedded server). Accounts
    use roles, not permissions, and content types are created on first use, so skip it."""
    post_migrate.disconnect(dispatch_uid="django.contrib.auth.management.create_permissions")
    post_migrate.disconnect(create_contenttypes)


# --- shared fixtures of the test modules --------------------------------------------------------


@pytest.fixture
def unpaced_reddit(monkeypatch):
    """No six seconds between public Reddit requests: a local server stands in for Reddit and
    the other search platforms at once, so Reddit's spacing would space all of them."""
    monkeypatch.setattr("scraping.collectors.reddit.PUBLIC_DELAY", 0.0)


@pytest.fixture
def fast_passwords(settings):
    """A fast password hasher, for tests that sign users in without measuring passwords (the
    product's Argon2 takes a noticeable time per user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    """A user with a verified address."""
    return make_user()


@pytest.fixture
def owner(client, user):
    """``user``, signed in on ``client``."""
    client.force_login(user)
    return user


@pytest.fixture
def project(owner):
    """A project of ``owner`` (so ``client`` is signed in as its owner)."""
    return make_project(owner, name="Launch")


@pytest.fixture
def eager():
    """Run queued tasks inline (no worker): what they would do happens in the test."""
    with eager_tasks():
        yield


@pytest.fixture
def loopback(settings):
    """Collectors may fetch from this machine (the tests' local servers)."""
    settings.SCRAPING_ALLOW_LOOPBACK = True
