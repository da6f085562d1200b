"""A production web process (production settings, gunicorn) and the static files it serves.

Static files are collected into SENTIMATRIX_VAR_DIR/staticfiles by `make run` (debug) and by
`runstack` or the image build (production). A production process started on what a debug run
collected must serve its pages, and one started on files without a manifest, or with a manifest
that lacks what the templates use, must refuse to start and say to run collectstatic.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sentimatrix.crypto import generate_key_spec
from sentimatrix.embedded_db import _free_port
from tests.workers import ROOT, child_env, end_process

# Assets every page's base template links; a manifest without them cannot serve a page.
BASE_ASSETS = ("css/app.css", "js/app.js", "vendor/pico/pico.min.css", "vendor/htmx/htmx.min.js")


def environment(var_dir: Path, debug: bool) -> dict[str, str]:
    return child_env(
        # Production processes run the production settings, as the image sets them.
        DJANGO_SETTINGS_MODULE="sentimatrix.settings.dev" if debug else "sentimatrix.settings.production",
        DJANGO_DEBUG="1" if debug else "0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SENTIMATRIX_ENCRYPTION_KEYS=generate_key_spec("p1"),
        SENTIMATRIX_VAR_DIR=str(var_dir),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
    )


def collectstatic(var_dir: Path, debug: bool) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=environment(var_dir, debug), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


class Gunicorn:
    """``gunicorn sentimatrix.wsgi`` in production mode, as the image and runstack start it."""

    def __init__(self, var_dir: Path, log: Path):
        self.port = _free_port()
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "sentimatrix.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--graceful-timeout", "5",
            ],
            cwd=ROOT, env=environment(var_dir, debug=False), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, bytes, dict]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=20) as response:  # noqa: S310 - loopback
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def wait(self, timeout: float = 90) -> bool:
        """True once the server answers, False if it exited first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                self.get("/health/")
                return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise AssertionError(f"gunicorn neither answered nor exited in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        end_process(self.proc, signal.SIGTERM, 15, group=True)
        self._log.close()


@pytest.fixture(scope="module")
def debug_collected(tmp_path_factory) -> Path:
    """A var directory whose static files a debug run collected, as `make run` does."""
    var_dir = tmp_path_factory.mktemp("var")
    collectstatic(var_dir, debug=True)
    return var_dir


@pytest.fixture
def gunicorn(db, tmp_path):
    servers = []

    def start(var_dir: Path) -> Gunicorn:
        server = Gunicorn(var_dir, tmp_path / f"gunicorn-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_production_serves_pages_after_a_debug_collectstatic(gunicorn, debug_collected):
    server = gunicorn(debug_collected)
    assert server.wait(), server.log()
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/admin/login/"):
        status, _, _ = server.get(path)
        assert status == 200, (path, status, server.log())

    page = server.get("/")[1].decode()
    linked = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    for asset in BASE_ASSETS:
        stem, _, ext = asset.rpartition(".")
        # The hashed name from the manifest, served for a year without revalidation.
        url = next(u for u in linked if re.fullmatch(rf"/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{ext}", u))
        status, _, headers = server.get(url)
        assert status == 200, url
        assert "immutable" in headers.get("Cache-Control", ""), (url, headers)


def test_production_refuses_to_start_without_a_complete_manifest(gunicorn, debug_collected):
    manifest_path = debug_collected / "staticfiles" / "staticfiles.json"
    saved = manifest_path.read_text()
    manifest = json.loads(saved)
    try:
        # A manifest that lacks an asset the templates link (files collected before it was added).
        paths = {k: v for k, v in manifest["paths"].items() if k != "css/app.css"}
        manifest_path.write_text(json.dumps({**manifest, "paths": paths}))
        server = gunicorn(debug_collected)
        assert not server.wait(), "started on a manifest without css/app.css"
        assert "the manifest lacks css/app.css" in server.log(), server.log()
        assert "Run `manage.py collectstatic --noinput`" in server.log()

        # A hashed file the manifest names is gone.
        hashed = debug_collected / "staticfiles" / manifest["paths"]["js/app.js"]
        hashed.rename(hashed.with_suffix(".moved"))
        manifest_path.write_text(saved)
        try:
            server = gunicorn(debug_collected)
            assert not server.wait(), "started without js/app.js on disk"
            assert f"{manifest['paths']['js/app.js']} is in the manifest but not on disk" in server.log()
        finally:
            hashed.with_suffix(".moved").rename(hashed)

        # No manifest at all: files collected without one (a debug run of an earlier version).
        manifest_path.unlink()
        server = gunicorn(debug_collected)
        assert not server.wait(), "started without a manifest"
        assert "holds no staticfiles.json" in server.log(), server.log()
        assert "Run `manage.py collectstatic --noinput`" in server.log()
    finally:
        manifest_path.write_text(saved)
