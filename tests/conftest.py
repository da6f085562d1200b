import pytest

from tests.workers import WorkerProcess


@pytest.fixture(scope="session")
def output_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("output")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, output_dir):
    """One real worker for the session, consuming every queue of the test database."""
    with django_db_blocker.unblock():
        worker = WorkerProcess(output_dir / "worker.log")
        try:
            worker.wait_ready()
            yield worker
        finally:
            worker.stop()


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """The cache lives in a collection no model owns, so test flushes keep it; clear it."""
    marker = request.node.get_closest_marker("django_db")
    if marker:
        request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
        from django.core.cache import cache

        cache.clear()
    yield
