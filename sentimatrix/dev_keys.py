"""Development keys, kept under the var folder: generated once by :mod:`sentimatrix.startup`
(which ``manage.py`` runs) when debug is on and the environment holds none, and read by the
development settings, so every process of a checkout (web, workers, a shell) shares them."""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from sentimatrix.crypto import generate_key_spec
from sentimatrix.env import env_str

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a key
ENCRYPTION_KEYS_FILE = "encryption_keys"

# file -> (the variable that makes it unnecessary, how a new key is made)
KEYS = {
    SECRET_KEY_FILE: ("DJANGO_SECRET_KEY", lambda: secrets.token_urlsafe(50)),
    ENCRYPTION_KEYS_FILE: ("SENTIMATRIX_ENCRYPTION_KEYS", lambda: generate_key_spec("dev1")),
}


def read(var_dir: Path, name: str) -> str:
    """The key kept in ``var_dir/name``, or "" when none was generated yet."""
    try:
        return (var_dir / name).read_text().strip()
    except FileNotFoundError:
        return ""


def ensure(var_dir: Path) -> None:
    """Generate each key the environment does not set and the var folder does not hold yet."""
    for name, (variable, make) in KEYS.items():
        path = var_dir / name
        if env_str(variable) or path.exists():
            continue
        var_dir.mkdir(parents=True, exist_ok=True)
        # Written whole and readable by the owner only before it appears under its name; of two
        # processes generating at once, the first one's key stays.
        fd, draft = tempfile.mkstemp(dir=var_dir, prefix=f".{name}-")
        try:
            with os.fdopen(fd, "w") as file:
                file.write(make())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
