"""What ``manage.py`` prepares before Django loads the settings, which only read the environment
and never start, write or register anything themselves.

* The embedded database: when ``MONGODB_URI`` is unset and the command may touch the database,
  the checkout's embedded server is reused or started, and its address put in the environment
  for the settings and for every process the command starts (``runstack``'s web, workers and
  beat). A server this process started is stopped when it exits.
* Development keys: with ``DJANGO_DEBUG`` on, the secret key and the encryption keys the
  environment does not set are generated once under the var folder (:mod:`sentimatrix.dev_keys`),
  where the development settings read them.

Processes started without ``manage.py`` (gunicorn, celery, a script calling ``django.setup()``)
get both from the environment only: ``runstack`` and the Docker image set it for them.
"""

from __future__ import annotations

from sentimatrix import dev_keys, embedded_db, paths
from sentimatrix.env import env_bool, env_str

# Commands that never open the database: no server is started for them.
NO_DATABASE_COMMANDS = frozenset(
    {
        "help",
        "version",
        "collectstatic",
        "findstatic",
        "diffsettings",
        "makemessages",
        "compilemessages",
        "startapp",
        "startproject",
    }
)
HELP_OPTIONS = frozenset({"-h", "--help", "--version"})


def needs_database(args: list[str]) -> bool:
    """Whether the management command in ``args`` (``sys.argv[1:]``) may open the database."""
    if not args or args[0] in NO_DATABASE_COMMANDS:
        return False
    return not HELP_OPTIONS.intersection(args)


def prepare_environment(args: list[str] | None = None) -> None:
    """Generate development keys and provide the embedded database, as the management command in
    ``args`` (``sys.argv[1:]``) needs them, before the settings load. ``None``: a program of its
    own (a benchmark) that opens the database."""
    if env_bool("DJANGO_DEBUG", False):
        dev_keys.ensure(paths.var_dir())
    if not env_str("MONGODB_URI") and (args is None or needs_database(args)):
        server = embedded_db.ensure_running(paths.embedded_db_dir())
        embedded_db.stop_at_exit(server)
        embedded_db.export(server)
