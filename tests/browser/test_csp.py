"""The Content-Security-Policy in Chromium: every main page, its charts, htmx updates and the
API documentation work under it, and the browser reports no violation and no console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey
from tests.browser.platforms import URLS

pytestmark = pytest.mark.browser

# Runs before any page script (injected by the browser's debugger, which the policy does not
# govern) and reports each violation the page sees to the test.
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.effectiveDirective} refused ${event.blockedURI || "inline code"}`
    + ` in ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(browser, product, browser_output):
    """A journey whose CSP violations, console errors and uncaught page errors are collected."""
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(20_000)
    problems: list[str] = []
    context.expose_function("reportViolation", lambda text: problems.append(f"CSP: {text}"))
    context.add_init_script(WATCH_VIOLATIONS)
    j = Journey("csp", context, product, browser_output / "csp")

    def console(message):
        # Chromium asks every site for /favicon.ico; the product has none.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console {message.type}: {message.text} ({j.page.url})")

    j.page.on("console", console)
    j.page.on("pageerror", lambda error: problems.append(f"page error: {error} ({j.page.url})"))
    yield j, problems
    j.close()


def test_pages_charts_and_htmx_work_under_the_policy(watched):
    j, problems = watched
    with j.step("sign up, a project, a scrape followed live by htmx"):
        j.new_analyst("csp@example.com")
        project = j.create_project("Policy check")
        j.bulk_add(project, [URLS[0]])
        j.run_now(project)
        j.wait_for_job()

    with j.step("dashboard charts are drawn"):
        response = j.page.goto(j.product.url(f"/projects/{project}/dashboard/"))
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "no-store" in response.headers["cache-control"]
        canvases = j.page.locator("canvas[data-chart]")
        expect(canvases.first).to_be_visible()
        drawn = j.page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')].filter(c => Chart.getChart(c)).length"
        )
        assert drawn == canvases.count() > 0

    with j.step("report and comparison charts are drawn"):
        for path in (f"/projects/{project}/report/", f"/projects/{project}/compare/"):
            j.goto(path)
            count = j.page.locator("canvas[data-chart]").count()
            drawn = j.page.evaluate(
                "() => [...document.querySelectorAll('canvas[data-chart]')]"
                ".filter(c => window.Chart && Chart.getChart(c)).length"
            )
            assert drawn == count, path

    with j.step("explorer search updates in place with its loading bar"):
        j.goto(f"/projects/{project}/results/")
        j.page.get_by_role("searchbox").press_sequentially("puzzle", delay=30)
        j.page.wait_for_url(re.compile(r"q=puzzle"))
        expect(j.page.locator("#results .result-row").first).to_be_visible()
        # htmx's own indicator stylesheet is off: app.css draws the bar.
        assert problems == []
        assert j.page.locator("style").count() == 0

    with j.step("a new token is selected when focused"):
        j.goto("/api/tokens/")
        j.page.get_by_label("Name").fill("nightly")
        j.submit()
        token = j.page.locator("#new-token-value")
        token.focus()
        selected = j.page.evaluate(
            "() => { const e = document.activeElement; return e.value.slice(e.selectionStart, e.selectionEnd); }"
        )
        assert selected == token.input_value() != ""

    with j.step("the API documentation renders"):
        j.goto("/api/docs/")
        expect(j.page.locator(".swagger-ui .info")).to_be_visible()

    with j.step("the data export downloads by POST"):
        j.goto("/settings/data/")
        with j.page.expect_download() as download:
            j.page.get_by_role("button", name="Download my data").click()
        assert download.value.suggested_filename.endswith(".json")

    for path in ("/projects/", f"/projects/{project}/", "/settings/", "/settings/api-keys/", "/schedules/",
                 "/webhooks/", "/settings/security/", "/accounts/email/"):  # fmt: skip
        j.goto(path)
    j.sign_out()
    j.goto("/accounts/login/")
    assert problems == []
