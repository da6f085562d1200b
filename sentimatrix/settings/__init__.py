"""Settings modules; ``DJANGO_SETTINGS_MODULE`` names one of them:

* ``sentimatrix.settings.dev``: the default of ``manage.py``, ``wsgi.py`` and the Celery app.
  With ``DJANGO_DEBUG`` on (``make run`` turns it on) keys come from the var folder, where
  ``manage.py`` generated them; with it off the keys must be set, as in production.
* ``sentimatrix.settings.test``: the test suite's (pytest passes it with ``--ds``).
* ``sentimatrix.settings.production``: the Docker image's; debug is refused, and the keys and
  ``MONGODB_URI`` must be set.

``base`` holds what they share and is not a settings module of its own. Loading any of them
only reads the environment; ``manage.py`` starts the embedded database and generates
development keys before they load (``sentimatrix/startup.py``).
"""
