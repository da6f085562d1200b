"""Settings that only read the environment, and the entry points that provide the rest.

Loading any settings module and calling ``django.setup()`` starts no process, writes no file,
creates no folder, registers no exit hook and changes no environment variable, whatever the
environment (debug on without keys, the variables of a pytest session, production). The
embedded database and development keys come from ``manage.py`` (``sentimatrix/startup.py``)
and, for tests, from the session plugin (``tests/session_database.py``).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sentimatrix import dev_keys, embedded_db, startup
from sentimatrix.crypto import generate_key_spec
from tests.session_database import SESSION_DATABASE
from tests.workers import ROOT, end_process

PROJECT_PACKAGES = {
    "sentimatrix",
    "accounts",
    "projects",
    "scraping",
    "analysis",
    "api",
    "notifications",
    "tests",
}

# Run in a fresh process: records exit hooks as they are registered, loads the settings and the
# apps, then reports the hooks, the child processes and the environment variables that changed.
PROBE = r"""
import atexit, json, os

hooks = []
_register = atexit.register


def _recording(func, *args, **kwargs):
    hooks.append(f"{getattr(func, '__module__', None)}.{getattr(func, '__qualname__', func)}")
    return _register(func, *args, **kwargs)


atexit.register = _recording
environ = dict(os.environ)

import django

django.setup()
from django.conf import settings

def parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as file:
            return int(file.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


children = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and parent(pid) == os.getpid()]
changed = sorted(k for k in {*environ, *os.environ} if environ.get(k) != os.environ.get(k))
print(json.dumps({"hooks": hooks, "children": children, "changed": changed, "uri": settings.MONGODB_URI}))
"""

# What each module is loaded with: the environments that made the old settings start a server,
# write keys or make folders.
SETTINGS_ENVIRONMENTS = {
    "sentimatrix.settings.dev": {"DJANGO_DEBUG": "1"},
    "sentimatrix.settings.test": {"PYTEST_VERSION": "9.2.0", "PYTEST_XDIST_WORKER": "gw0"},
    "sentimatrix.settings.production": {
        "DJANGO_SECRET_KEY": "p" * 60,
        "SENTIMATRIX_ENCRYPTION_KEYS": generate_key_spec("prod1"),
        "MONGODB_URI": "mongodb://db.invalid:27017/?directConnection=true",
        "DJANGO_ALLOWED_HOSTS": "studio.example.com",
    },
}


def bare_environment(root: Path, **extra: str) -> dict[str, str]:
    """An environment holding nothing of the test session's: no database, keys or var folder."""
    for name in ("cwd", "home", "tmp"):
        (root / name).mkdir()
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "SENTIMATRIX_VAR_DIR": str(root / "var"),
        "SENTIMATRIX_SHARED_DATA": str(settings.SHARED_DATA_DIR),
        "TZ": settings.TIME_ZONE,  # Django sets it from TIME_ZONE: the one change it makes itself
        **extra,
    }


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.mark.parametrize("module", SETTINGS_ENVIRONMENTS)
def test_loading_settings_starts_writes_and_registers_nothing(module, tmp_path):
    env = bare_environment(tmp_path, DJANGO_SETTINGS_MODULE=module, **SETTINGS_ENVIRONMENTS[module])
    before = files_under(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path / "cwd",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert files_under(tmp_path) == before == ["cwd", "home", "tmp"]  # var/ was never made
    assert report["children"] == []
    assert [hook for hook in report["hooks"] if hook.split(".")[0] in PROJECT_PACKAGES] == []
    assert report["changed"] == []
    if module != "sentimatrix.settings.production":
        # No address given and none started: a local MongoDB's, connected to only when queried.
        assert report["uri"] == "mongodb://127.0.0.1:27017/?directConnection=true"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG must be off with the production settings"),
        ({"MONGODB_URI": ""}, "MONGODB_URI must be set with the production settings"),
    ],
)
def test_production_settings_refuse_debug_and_a_missing_database(environment, message, tmp_path):
    env = bare_environment(
        tmp_path,
        DJANGO_SETTINGS_MODULE="sentimatrix.settings.production",
        **{**SETTINGS_ENVIRONMENTS["sentimatrix.settings.production"], **environment},
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=tmp_path / "cwd", env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr


def test_the_session_runs_on_its_own_throwaway_database(pytestconfig):
    session = pytestconfig.stash.get(SESSION_DATABASE, None)
    if session is None or session.server is None:
        pytest.skip("MONGODB_URI names the database of this run")
    assert session.server.uri == settings.MONGODB_URI
    assert settings.USING_EMBEDDED_DB
    assert embedded_db.ping(session.server.port)
    # Its own server and var folder, outside the checkout, one per test process.
    assert not session.path.is_relative_to(ROOT)
    assert session.path.name.startswith(f"sentimatrix-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
    assert session.server.path == session.path / "db"
    assert Path(settings.VAR_DIR) == session.path / "var"
    # Tasks go to this process's test database, on the same server.
    broker = embedded_db.with_database(session.server.uri, settings.TEST_BROKER_DB)
    assert settings.CELERY_BROKER_URL == settings.CELERY_RESULT_BACKEND == broker
    assert settings.TEST_BROKER_DB.startswith(connection.settings_dict["TEST"]["NAME"])


def test_only_commands_that_may_open_the_database_get_one():
    assert startup.needs_database(["migrate"])
    assert startup.needs_database(["runstack", "--port", "8001"])
    assert startup.needs_database(["shell", "-c", "print(1)"])
    for args in ([], ["help"], ["collectstatic", "--noinput"], ["migrate", "--help"], ["version"]):
        assert not startup.needs_database(args), args


def manage_environment(root: Path) -> dict[str, str]:
    """``make run``'s environment on a fresh clone: debug on, no database address, no keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_")
        and k
        not in {
            "MONGODB_URI",
            "MONGODB_NAME",
            embedded_db.EMBEDDED_FLAG,
            "EMBEDDED_DB_PATH",
            "DJANGO_SECRET_KEY",
            "SENTIMATRIX_ENCRYPTION_KEYS",
            "CELERY_BROKER_URL",
            "CELERY_RESULT_BACKEND",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sentimatrix.settings.dev",
        DJANGO_DEBUG="1",
        SENTIMATRIX_VAR_DIR=str(root / "var"),
        PYTHONUNBUFFERED="1",
    )
    return env


SHELL_REPORT = """
import json
from django.conf import settings
from sentimatrix.mongo import get_db
state = json.loads((settings.VAR_DIR / "db" / "server.json").read_text())
print(json.dumps({
    "uri": settings.MONGODB_URI, "embedded": settings.USING_EMBEDDED_DB, "pid": state["pid"],
    "port": state["port"], "ping": get_db().command("ping")["ok"],
    "secret_key": settings.SECRET_KEY, "encryption_keys": settings.ENCRYPTION_KEYS,
}))
"""


def test_manage_py_starts_the_embedded_database_and_the_dev_keys_and_stops_the_database(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHELL_REPORT],
        cwd=ROOT, env=manage_environment(tmp_path), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ping"] == 1.0
    assert report["embedded"] is True
    assert report["uri"] == f"mongodb://127.0.0.1:{report['port']}/?directConnection=true"

    var = tmp_path / "var"
    for name, value in (
        (dev_keys.SECRET_KEY_FILE, report["secret_key"]),
        (dev_keys.ENCRYPTION_KEYS_FILE, report["encryption_keys"]),
    ):
        assert value and (var / name).read_text() == value
        assert stat.S_IMODE((var / name).stat().st_mode) == 0o600
    # The command started the server, so it stopped it when it ended.
    assert not embedded_db.pid_alive(report["pid"])
    assert embedded_db.running_server(var / "db") is None


def test_commands_that_need_no_database_start_none(tmp_path):
    env = manage_environment(tmp_path)
    done = subprocess.run(
        [sys.executable, "manage.py", "version"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "var" / "db").exists()
    # Debug is on: the keys every process of the checkout shares are there for the next command.
    assert dev_keys.read(tmp_path / "var", dev_keys.SECRET_KEY_FILE)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(text.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


@pytest.mark.worker
def test_runstack_on_a_fresh_clone_runs_on_its_own_database_and_stops_on_ctrl_c(tmp_path):
    port = embedded_db._free_port()
    log_path = tmp_path / "runstack.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "manage.py", "runstack", "--skip-setup", "--port", str(port),
                "--web-workers", "1", "--worker-concurrency", "1",
            ],
            cwd=ROOT, env=manage_environment(tmp_path), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        health = wait_for_health(proc, port, log_path)
        assert health == {"status": "ok", "database": {"ok": True}, "broker": {"ok": True}}
        server = embedded_db.running_server(tmp_path / "var" / "db")
        assert server is not None
        assert server.pid in children_of(proc.pid)  # manage.py started it
        children = [pid for pid in children_of(proc.pid) if pid != server.pid]
        assert len(children) == 3  # web, one worker, beat
        for child in children:
            assert environment_of(child)["MONGODB_URI"] == server.uri

        # Ctrl-C in the terminal: SIGINT to the foreground process group (the children and the
        # database run in sessions of their own and are stopped by runstack).
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=90) == 0, log_path.read_text(errors="replace")[-4000:]
    finally:
        end_process(proc, signal.SIGTERM, 30, group=True)
    assert "Stopped web, workers and beat." in log_path.read_text(errors="replace")
    assert not [child for child in children if embedded_db.pid_alive(child)]
    assert not embedded_db.pid_alive(server.pid)


def wait_for_health(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"runstack exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError(f"runstack did not answer in {timeout}s:\n{log_path.read_text()[-4000:]}")
