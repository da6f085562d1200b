"""Shared set-up of the benchmark scripts: Django on a throw-away embedded server."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def embedded_django(name: str, migrate: bool = True):
    """Start an embedded server in a temp dir, point Django at it, migrate; yield the server."""
    sys.path.insert(0, str(ROOT))
    from sentimatrix import embedded_db

    workdir = Path(tempfile.mkdtemp(prefix=f"sentimatrix-bench-{name}-"))
    server = embedded_db.ensure_running(workdir / "db")
    try:
        os.environ.update(
            MONGODB_URI=server.uri,
            MONGODB_NAME=f"bench_{name}",
            SENTIMATRIX_VAR_DIR=str(workdir / "var"),
            DJANGO_DEBUG="1",
            DJANGO_SETTINGS_MODULE="sentimatrix.settings.dev",
            SCRAPING_ALLOW_LOOPBACK="1",
        )
        import logging

        import django

        from sentimatrix.startup import prepare_environment

        prepare_environment()  # development keys under the throw-away var dir
        django.setup()
        # The playback server's access log would drown the figures.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if migrate:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        yield server
    finally:
        embedded_db.stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def local_server():
    """A local HTTP server (pytest-httpserver's) that serves a bench's recorded or constructed
    answers, stopped when the bench ends."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()
