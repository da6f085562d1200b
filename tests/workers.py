"""Real Celery worker (and beat) processes for tests, on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from sentimatrix.celery import app
from sentimatrix.tasks import worker_ping

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout=90, interval=0.3):
    """``predicate()``'s first truthy value, asked every ``interval`` seconds; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def end_process(proc: subprocess.Popen, sig: int, timeout: float, *, group: bool = False) -> None:
    """Send ``sig`` (to the process group with ``group``), then SIGKILL the group after ``timeout``."""

    if proc.poll() is not None:
        return
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def child_env(**extra: str) -> dict[str, str]:
    """Environment that points a child process at this test run's database."""
    env = os.environ.copy()
    env.update(
        # The child is not a test session: development settings, as runstack's children run.
        DJANGO_SETTINGS_MODULE="sentimatrix.settings.dev",
        MONGODB_URI=settings.MONGODB_URI,
        MONGODB_NAME=connection.settings_dict["NAME"],
        DJANGO_DEBUG="1",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        SENTIMATRIX_ENCRYPTION_KEYS=settings.ENCRYPTION_KEYS,
        PYTHONUNBUFFERED="1",
    )
    env.pop("PYTEST_VERSION", None)
    env.update(extra)
    return env


class WorkerProcess:
    """Celery worker subprocesses as ``manage.py runstack`` starts them: ``concurrency``
    single-process workers on the solo pool (the MongoDB broker's), or one prefork worker with
    that many pool processes. ``kill()`` ends them all."""

    def __init__(self, log_path: Path, concurrency: int = 2, queues: str | None = None, **env: str):
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in kill()
        solo = settings.CELERY_WORKER_POOL == "solo"
        self.procs = []
        for _ in range(concurrency if solo else 1):
            cmd = [
                sys.executable, "-m", "celery", "-A", "sentimatrix", "worker",
                "-l", "info", "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
                "-Q", queues or settings.CELERY_WORKER_QUEUES, "--pool", settings.CELERY_WORKER_POOL,
                *([] if solo else ["--concurrency", str(concurrency)]),
                "--without-gossip", "--without-mingle",
            ]  # fmt: skip
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=child_env(**env), stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            self.procs.append(proc)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        result = worker_ping.delay(f"ready-{uuid.uuid4().hex}")
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"worker exited with {proc.returncode}:\n{self.log()}")
            if result.ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL the whole process group, as an out-of-memory killer would. Tests end their
        workers this way too: a cold shutdown of the solo pool takes about five seconds, and
        the suite has nothing left for a worker to finish."""

        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._log.close()


class WorkerKilled(BaseException):
    """A process ending in the middle of a send: no ``except Exception`` handler runs, nothing
    is recorded (what the OOM killer leaves, played in the test's own process)."""


def die(*_args, **_kwargs):
    """Stands in for a send that never returns because its worker was killed."""
    raise WorkerKilled


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Tasks queued inside the block run inline, in the test (the ``eager`` fixture, for a part of a test)."""
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager = app.conf.task_eager_propagates = False


def loopback_webhooks_worker(log_path: Path) -> WorkerProcess:
    """One worker on the ``webhooks`` queue that may post to this machine's receivers, ready."""
    worker = WorkerProcess(
        log_path, concurrency=1, queues="webhooks", WEBHOOKS_ALLOW_LOOPBACK="1", WEBHOOKS_ALLOW_HTTP="1"
    )
    try:
        ping = worker_ping.apply_async((f"ready-{uuid.uuid4().hex}",), queue="webhooks")
        wait_for(ping.ready, timeout=90)
    except BaseException:
        worker.kill()
        raise
    return worker
