"""The embedded MongoDB-wire server used when ``MONGODB_URI`` is not set.

One SecantusDB server serves every process of a checkout. Its address is kept in
``<path>/server.json``; a process that finds a live server there reuses it, otherwise it
starts one on a free port. A file lock makes concurrent starters agree on a single server.

Settings never start it: ``manage.py`` does, through :mod:`sentimatrix.startup`, and puts
its address in the environment (:func:`export`), where the settings read it and where the
processes ``runstack`` starts (web, workers, beat) inherit it. The test session starts one
throw-away server per test process the same way (``tests/session_database.py``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pymongo import MongoClient
from pymongo.errors import PyMongoError

STATE_FILE = "server.json"
# Set beside MONGODB_URI when that address is the embedded server's (reported by /health/).
EMBEDDED_FLAG = "SENTIMATRIX_EMBEDDED_DB"
LOCK_FILE = "server.lock"
START_TIMEOUT = 60.0


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be started or reached."""


@dataclass(frozen=True)
class EmbeddedServer:
    pid: int
    port: int
    path: Path
    owned: bool  # started by this process, which must stop it

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def ping(port: int, timeout: float = 2.0) -> bool:
    """True when a MongoDB-wire server answers ``ping`` on the port."""
    client = MongoClient(
        f"mongodb://127.0.0.1:{port}/?directConnection=true",
        serverSelectionTimeoutMS=int(timeout * 1000),
        connectTimeoutMS=int(timeout * 1000),
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _read_state(path: Path) -> dict | None:
    try:
        return json.loads((path / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def running_server(path: Path) -> EmbeddedServer | None:
    """The live server recorded for ``path``, or None."""
    state = _read_state(path)
    if not state:
        return None
    pid, port = int(state.get("pid", 0)), int(state.get("port", 0))
    if pid and port and pid_alive(pid) and ping(port):
        return EmbeddedServer(pid=pid, port=port, path=path, owned=False)
    return None


def _spawn(path: Path, log_level: str = "WARNING") -> EmbeddedServer:
    data_dir = path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = open(path / "server.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(data_dir),
            "--log-level",
            log_level,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # Own session: Ctrl-C in the terminal reaches the run command, which
        # then stops the database last, after web and workers have exited.
        start_new_session=True,
        cwd=str(path),
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (path / "server.log").read_text(errors="replace")[-2000:]
            raise EmbeddedDatabaseError(f"the embedded database exited with code {proc.returncode}:\n{tail}")
        if ping(port, timeout=0.5):
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise EmbeddedDatabaseError(
            f"the embedded database did not answer on port {port} within {START_TIMEOUT:.0f}s"
        )
    (path / STATE_FILE).write_text(json.dumps({"pid": proc.pid, "port": port}))
    return EmbeddedServer(pid=proc.pid, port=port, path=path, owned=True)


def ensure_running(path: str | os.PathLike) -> EmbeddedServer:
    """Reuse the server recorded under ``path`` or start a new one."""
    path = Path(path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    with open(path / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return running_server(path) or _spawn(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def stop(server: EmbeddedServer, timeout: float = 30.0) -> None:
    """Stop the server cleanly (SIGTERM lets WiredTiger checkpoint and close)."""
    if not pid_alive(server.pid):
        return
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(server.pid):
            break
        time.sleep(0.1)
    else:
        os.kill(server.pid, signal.SIGKILL)
    state = _read_state(server.path)
    if state and state.get("pid") == server.pid:
        with contextlib.suppress(OSError):
            (server.path / STATE_FILE).unlink()


def stop_at_exit(server: EmbeddedServer, remove_dir: bool = False) -> None:
    """Stop an owned server when this process exits (and delete a throw-away one)."""
    if not server.owned:
        return
    owner = os.getpid()

    def _stop() -> None:
        # Forked children (worker pools) inherit atexit hooks; only the owner stops.
        if os.getpid() != owner:
            return
        stop(server)
        if remove_dir:
            shutil.rmtree(server.path, ignore_errors=True)

    atexit.register(_stop)


def export(server: EmbeddedServer) -> None:
    """Point this process's environment at the server: the settings, once loaded, and every
    process started from here on use it."""
    os.environ["MONGODB_URI"] = server.uri
    os.environ[EMBEDDED_FLAG] = "1"


def with_database(uri: str, name: str) -> str:
    """The URI with ``name`` as its database path (kombu and Celery read it there)."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
