"""Start-up checks of a production process, run before it serves anything.

Static files: in production every ``{% static %}`` link is looked up in the manifest that
collectstatic writes beside the collected files (``STATIC_ROOT/staticfiles.json``); a name
missing from it is an error on every page that links it, so every page would answer 500.
:func:`ensure_static_manifest` refuses to start instead, saying to run collectstatic, when the
manifest is missing or lacks (or has lost the file of) an asset the project's templates link.
"""

from __future__ import annotations

import re
import sysconfig
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

# ``{% static 'path' %}`` with a literal path, in either quote.
STATIC_TAG = re.compile(r"""\{%\s*static\s+(['"])([^'"]+)\1""")
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml"}


def template_directories() -> list[Path]:
    """The template directories of the project itself (not of the packages it installs, whose
    templates may name assets that only some of their features ship)."""
    base = Path(settings.BASE_DIR).resolve()
    installed = {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    return [
        d
        for d in dict.fromkeys(p.resolve() for p in dirs)
        if d.is_dir() and d.is_relative_to(base) and not any(d.is_relative_to(lib) for lib in installed)
    ]


def template_assets() -> set[str]:
    """Static paths the project's templates link with a literal ``{% static %}``."""
    found = set()
    for directory in template_directories():
        for path in directory.rglob("*"):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                found.update(m.group(2) for m in STATIC_TAG.finditer(path.read_text(errors="replace")))
    return found


def static_manifest_problems() -> list[str]:
    """What keeps the configured static files storage from linking the templates' assets.

    Empty when the storage keeps no manifest (tests) or when the manifest lists every asset the
    templates link and each hashed file is on disk.
    """
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    if not storage.manifest_storage.exists(storage.manifest_name):
        return [
            f"{storage.location} holds no {storage.manifest_name} (static files collected without one, or never)"
        ]
    try:
        hashed, _ = storage.load_manifest()
    except ValueError as exc:
        return [str(exc)]
    problems = []
    for asset in sorted(template_assets()):
        if asset not in hashed:
            problems.append(f"the manifest lacks {asset}, which the templates link")
        elif not storage.exists(hashed[asset]):
            problems.append(f"{hashed[asset]} is in the manifest but not on disk")
    return problems


def ensure_static_manifest() -> None:
    """Raise ``ImproperlyConfigured`` naming the problems when production cannot link its static
    files; with DEBUG on, pages link unhashed names and nothing is checked."""
    if settings.DEBUG:
        return
    problems = static_manifest_problems()
    if problems:
        raise ImproperlyConfigured(
            "Static files are not ready for production: "
            + "; ".join(problems)
            + ". Run `manage.py collectstatic --noinput` with this SENTIMATRIX_VAR_DIR, then start again."
        )
