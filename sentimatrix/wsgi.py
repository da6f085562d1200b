import os

from django.core.wsgi import get_wsgi_application

from sentimatrix.checks import ensure_static_manifest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentimatrix.settings.dev")

application = get_wsgi_application()

# Every server (gunicorn, runserver) loads this module: refuse to start on static files that
# every page would fail to link, rather than answer 500 to every page.
ensure_static_manifest()
