"""Apps import one way, left to right only (DESIGN.md, "Apps import one way"):

    sentimatrix (the ground floor) <- accounts <- projects <- scraping <- analysis <- notifications <- api

An app imports only the apps to its left (and itself). A lower app tells a higher one that
something happened through a Django signal or a Celery task sent by name. Only the root URLconf
and the Celery app wire every app together. Every module of every app is read (migrations
aside), with its imports at module level, inside functions, and by name through
``import_module``, so a local import cannot hide a step to the right.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("sentimatrix", "accounts", "projects", "scraping", "analysis", "notifications", "api")
# Their job is to import every app.
MAY_IMPORT_ANY = {"sentimatrix/urls.py", "sentimatrix/celery.py"}
NOT_CODE = {"migrations", "mongo_migrations"}


def imported_names(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, dotted module name)`` of every absolute import in ``tree``, wherever it is."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def modules_of(root: Path, app: str) -> Iterator[Path]:
    for path in sorted((root / app).rglob("*.py")):
        if not NOT_CODE & set(path.relative_to(root).parts):
            yield path


def violations(root: Path = ROOT) -> list[str]:
    """``path:line imports module`` for every import of an app to the right of the importer's."""
    found = []
    for rank, app in enumerate(ORDER):
        for path in modules_of(root, app):
            relative = path.relative_to(root).as_posix()
            if relative in MAY_IMPORT_ANY:
                continue
            for line, name in imported_names(ast.parse(path.read_text(), filename=relative)):
                top = name.split(".")[0]
                if top in ORDER and ORDER.index(top) > rank:
                    found.append(f"{relative}:{line} imports {name}")
    return found


def test_no_app_imports_an_app_to_its_right():
    assert violations() == []


def _in_project(path: str) -> bool:
    """An app package of this project: a folder at its root (installed packages are elsewhere)."""
    return Path(path).resolve().parent == ROOT


def test_the_order_names_every_app_of_the_project():
    # A new app must take its place in the order (and DESIGN.md) before it can pass the test above.
    ours = {config.name.split(".")[0] for config in apps.get_app_configs() if _in_project(config.path)}
    assert ours == set(ORDER)


def test_the_check_sees_imports_in_functions_and_by_name_and_spares_wiring_and_migrations(tmp_path):
    files = {
        "accounts/data.py": "def erase():\n    from projects.models import Project\n",
        "projects/services.py": "from importlib import import_module\nimport_module('scraping.jobs')\n",
        "scraping/jobs.py": "import analysis.tasks\nfrom projects import models\nfrom . import runner\n",
        "analysis/migrations/0001_initial.py": "import notifications.models\n",
        "sentimatrix/urls.py": "from api import urls\n",
        "sentimatrix/checks.py": "import api\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert violations(tmp_path) == [
        "sentimatrix/checks.py:1 imports api",
        "accounts/data.py:2 imports projects.models",
        "projects/services.py:2 imports scraping.jobs",
        "scraping/jobs.py:1 imports analysis.tasks",
    ]
