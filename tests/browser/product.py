"""The running product for browser tests: ``manage.py runstack`` (web, worker and beat) on its
own embedded database, with every collector sent to a local playback server.

The product runs as a user would start it (``make run`` does the same), not as a test session:
the child environment drops pytest's variables and the test session's database and names the
development settings, so ``manage.py`` starts the product's own database (and generates its
keys) under a throw-away ``SENTIMATRIX_VAR_DIR``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import playback_env
from tests.workers import end_process

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Product:
    """``runstack`` in a subprocess; ``url(path)`` addresses it, ``stop()`` ends it."""

    def __init__(self, var_dir: Path, playback_server, log_path: Path):
        self.var_dir = var_dir
        self.mail_dir = var_dir / "mail"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        # The product runs wholly on its own embedded database: data, broker, results and cache
        # (a Redis cache of the environment would still hold the unit tests' rate-limit hits).
        own = (
            "MONGODB_URI", "MONGODB_NAME", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL",
            "SENTIMATRIX_EMBEDDED_DB",
        )  # fmt: skip
        for name in own:
            env.pop(name, None)
        env.update(
            playback_env(playback_server),
            DJANGO_SETTINGS_MODULE="sentimatrix.settings.dev",
            SENTIMATRIX_VAR_DIR=str(var_dir),
            EMAIL_FILE_PATH=str(self.mail_dir),
            DJANGO_DEBUG="1",
            WEB_PORT=str(self.port),
            WEB_CONCURRENCY="2",
            CELERY_WORKER_CONCURRENCY="2",
            WEBHOOKS_ALLOW_HTTP="1",
            WEBHOOKS_ALLOW_LOOPBACK="1",
            PYTHONUNBUFFERED="1",
        )
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.log_path = log_path
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def wait_ready(self, timeout: float = 180) -> None:
        """Wait until the web process answers ``/health/`` (database and broker up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runstack exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("/health/"), timeout=5) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"the product did not become ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self, timeout: float = 30) -> None:
        end_process(self.proc, signal.SIGTERM, timeout, group=True)
        self._log.close()
