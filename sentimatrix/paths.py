"""Where a checkout keeps its runtime files. The settings and the entry points that prepare a
process before the settings load (:mod:`sentimatrix.startup`) read them from here, so both
agree on one folder."""

from pathlib import Path

from sentimatrix.env import env_str

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """Runtime files: the embedded database, generated development keys, mail, backups, static files."""
    return Path(env_str("SENTIMATRIX_VAR_DIR", str(BASE_DIR / "var")))


def embedded_db_dir() -> Path:
    """Where the embedded server keeps its data, address and log."""
    return Path(env_str("EMBEDDED_DB_PATH", str(var_dir() / "db")))


def shared_data_dir() -> Path:
    """Recorded platform responses and rated sentiment sets used by tests and benchmarks."""
    return Path(env_str("SENTIMATRIX_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")))
