"""Settings of the test suite (pytest passes ``--ds sentimatrix.settings.test``, see pyproject).

The session's plugin (``tests/session_database.py``) starts a throw-away embedded server and a
throw-away var folder for each test process and puts them in ``MONGODB_URI`` and
``SENTIMATRIX_VAR_DIR`` before these settings load, unless the environment names its own.
Keys are made up per process (worker processes a test starts are handed the same ones), passwords
are hashed fast, static files are found in place and never collected, and tasks go to the test
database, where the tests' worker processes listen.
"""

import secrets

from sentimatrix.crypto import generate_key_spec
from sentimatrix.env import env_str
from sentimatrix.settings.base import *  # noqa: F403
from sentimatrix.settings.base import DATABASES, celery_store_url, web_security

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
ENCRYPTION_KEYS = env_str("SENTIMATRIX_ENCRYPTION_KEYS") or generate_key_spec("test1")

globals().update(web_security(relaxed=True))

# Argon2 (base) takes about 0.3 s a hash here; tests that check the stored hash ask for it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Unhashed names from the finders: nothing to collect before a page renders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None

# pytest-xdist gives each test process its own test database, suffixed with the worker id;
# its broker and results live there too.
_XDIST = env_str("PYTEST_XDIST_WORKER")
TEST_BROKER_DB = DATABASES["default"]["TEST"]["NAME"] + (f"_{_XDIST}" if _XDIST else "")
CELERY_BROKER_URL = celery_store_url("CELERY_BROKER_URL", TEST_BROKER_DB)
CELERY_RESULT_BACKEND = celery_store_url("CELERY_RESULT_BACKEND", TEST_BROKER_DB)
