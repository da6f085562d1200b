"""Development settings: the default of ``manage.py``, ``wsgi.py`` and the Celery app.

With ``DJANGO_DEBUG`` on (``make run`` turns it on), keys the environment does not set are read
from the var folder, where ``manage.py`` generated them (``sentimatrix/dev_keys.py``), and hosts,
cookies and static files are relaxed for a local browser. With it off, everything is as strict
as in production and the keys must be set.
"""

from sentimatrix import dev_keys
from sentimatrix.settings.base import *  # noqa: F403
from sentimatrix.settings.base import (
    DEBUG,
    ENCRYPTION_KEYS,
    SECRET_KEY,
    VAR_DIR,
    require_secrets,
    valid_key_spec,
)

if DEBUG:
    # Empty until manage.py has generated them: a REPL on these settings still loads, and
    # signing or decrypting then fails with Django's or the key ring's own message.
    SECRET_KEY = SECRET_KEY or dev_keys.read(VAR_DIR, dev_keys.SECRET_KEY_FILE)
    ENCRYPTION_KEYS = ENCRYPTION_KEYS or valid_key_spec(dev_keys.read(VAR_DIR, dev_keys.ENCRYPTION_KEYS_FILE))
else:
    require_secrets(SECRET_KEY, ENCRYPTION_KEYS)
