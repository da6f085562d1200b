"""Production settings: the Docker image sets ``DJANGO_SETTINGS_MODULE`` to this module.

Strict whatever the environment says: debug is refused, the secret key, the encryption keys and
the database address must be set (nothing is generated), hosts must be named, cookies are
secure, HTTP is redirected to HTTPS and HSTS is on unless ``DJANGO_SECURE_SSL_REDIRECT`` or
``DJANGO_HSTS_SECONDS`` say otherwise, and static files are served from the collected manifest.
"""

from django.core.exceptions import ImproperlyConfigured

from sentimatrix.env import env_str
from sentimatrix.settings.base import *  # noqa: F403
from sentimatrix.settings.base import DEBUG, ENCRYPTION_KEYS, SECRET_KEY, require_secrets

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off with the production settings.")
require_secrets(SECRET_KEY, ENCRYPTION_KEYS)
# manage.py would start an embedded server when it is unset; gunicorn and the workers would not,
# and would look for a local MongoDB instead.
if not env_str("MONGODB_URI"):
    raise ImproperlyConfigured("MONGODB_URI must be set with the production settings.")
