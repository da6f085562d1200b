"""pytest plugin (``-p tests.session_database`` in pyproject): each test process gets its own
throw-away embedded database and var folder, set up before Django loads the test settings.

The settings only read ``MONGODB_URI`` and ``SENTIMATRIX_VAR_DIR``; this plugin puts a fresh
server's address and a fresh folder there when the environment names none, so a test run never
touches the checkout's ``var/``. pytest-xdist's controller runs no test and gets neither; each
of its workers gets its own. The server is stopped and both are deleted when the process ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from sentimatrix import embedded_db
from sentimatrix.embedded_db import EmbeddedServer


@dataclass(frozen=True)
class SessionDatabase:
    """What this plugin set up for the process: a folder holding ``db/`` and ``var/``, and the
    server on ``db/`` (None when the environment named a database)."""

    path: Path
    server: EmbeddedServer | None


SESSION_DATABASE = pytest.StashKey[SessionDatabase]()


def is_xdist_controller(config: pytest.Config) -> bool:
    """Whether this process only hands tests to pytest-xdist workers and runs none itself."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return False
    options = config.known_args_namespace
    if getattr(options, "usepdb", False):  # xdist runs the tests in-process under --pdb
        return False
    return bool(getattr(options, "numprocesses", None) or getattr(options, "tx", None))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Runs before pytest-django's implementation of this hook, which loads the settings.
    needs_db = not os.environ.get("MONGODB_URI")
    needs_var = not os.environ.get("SENTIMATRIX_VAR_DIR")
    if is_xdist_controller(early_config) or not (needs_db or needs_var):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = Path(tempfile.mkdtemp(prefix=f"sentimatrix-test-{worker}-"))
    if needs_var:
        os.environ["SENTIMATRIX_VAR_DIR"] = str(path / "var")
    server = None
    if needs_db:
        server = embedded_db.ensure_running(path / "db")
        embedded_db.export(server)
    early_config.stash[SESSION_DATABASE] = SessionDatabase(path, server)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_DATABASE, None)
    if session is None:
        return
    if session.server is not None:
        embedded_db.stop(session.server)
    shutil.rmtree(session.path, ignore_errors=True)
