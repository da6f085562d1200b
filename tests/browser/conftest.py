"""Fixtures of the browser tests: the running product, the playback server, Chromium.

Every journey saves a screenshot per step under the test output folder
(``BROWSER_OUTPUT_DIR``, default ``test-output/browser``); a failing step also saves the
page's HTML there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.journey import Journey
from tests.browser.platforms import start_platforms
from tests.browser.product import ROOT, Product

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless on a machine without a GPU or a sandbox-capable kernel, and no calls home.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser_output() -> Path:
    path = Path(os.environ.get("BROWSER_OUTPUT_DIR") or ROOT / "test-output" / "browser")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def platforms():
    server, receiver = start_platforms()
    yield server, receiver
    server.stop()


@pytest.fixture(scope="session")
def product(platforms, browser_output, tmp_path_factory):
    server, _ = platforms
    app = Product(tmp_path_factory.mktemp("product-var"), server, browser_output / "product.log")
    try:
        app.wait_ready()
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def journey(request, browser, product, browser_output):
    """A fresh browser context (no cookies) and its :class:`Journey`, named after the test."""
    made: list[Journey] = []

    def make(suffix: str = "", **context_options) -> Journey:
        name = request.node.name + (f"-{suffix}" if suffix else "")
        context = browser.new_context(accept_downloads=True, **context_options)
        context.set_default_timeout(20_000)
        made.append(Journey(name, context, product, browser_output / name))
        return made[-1]

    yield make
    for item in made:
        item.close()
