"""A person using the product in a browser: named steps with screenshots, and the actions the
journeys share (sign up, create a project, add targets, run a scrape)."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.product import ROOT, Product

AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "Tidal-Kelp-Forest-42"


class Journey:
    """One browser context; ``step(name)`` screenshots after the step, or on failure also
    saves the page HTML, under ``output``."""

    def __init__(self, name: str, context: BrowserContext, product: Product, output: Path):
        self.name = name
        self.context = context
        self.product = product
        self.output = output
        output.mkdir(parents=True, exist_ok=True)
        self.page: Page = context.new_page()
        self.steps = 0

    def close(self) -> None:
        self.context.close()

    def goto(self, path: str) -> Page:
        self.page.goto(self.product.url(path))
        return self.page

    def _file(self, label: str, suffix: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        return self.output / f"{self.steps:02d}-{slug}{suffix}"

    @contextmanager
    def step(self, label: str):
        self.steps += 1
        try:
            yield self.page
        except BaseException:
            try:
                self.page.screenshot(path=self._file(f"FAILED {label}", ".png"), full_page=True)
                self._file(f"FAILED {label}", ".html").write_text(self.page.content())
            finally:
                raise
        self.page.screenshot(path=self._file(label, ".png"), full_page=True)

    # --- shared actions ------------------------------------------------------------------
    def submit(self, form: str = "main form") -> None:
        """Submit a form with its own button, as a person clicks it."""
        self.page.locator(form).locator("button[type=submit]").first.click()
        self.page.wait_for_load_state()

    def confirmation_link(self, email: str, timeout: float = 20) -> str:
        """The address in the newest confirmation email sent to ``email`` (file backend)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = sorted(self.product.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
            for mail in mails:
                text = mail.read_text(errors="replace")
                found = re.search(r"http://\S+/accounts/confirm-email/\S+/", text)
                if f"To: {email}" in text and found:
                    return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no confirmation email to {email} in {self.product.mail_dir}")

    def sign_up(self, email: str, password: str = PASSWORD) -> None:
        page = self.goto("/accounts/signup/")
        page.get_by_label("Email").fill(email)
        page.locator("[name=password1]").fill(password)
        page.locator("[name=password2]").fill(password)
        self.submit()
        expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    def verify_email(self, email: str) -> None:
        self.page.goto(self.confirmation_link(email))
        self.submit()

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        self.submit()
        expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_load_state()
        expect(self.page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    def new_analyst(self, email: str) -> None:
        """Sign up and verify in this browser, which signs the new user in."""
        self.sign_up(email)
        self.verify_email(email)
        expect(self.page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()

    def create_project(self, name: str, preset: str = "Standard") -> str:
        """Create a project from a preset; returns its id."""
        page = self.goto("/projects/new/")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Start from").select_option(label=preset)
        self.submit()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        return page.url.rstrip("/").rsplit("/", 1)[-1]

    def add_api_key(self, name: str, provider: str, key: str) -> None:
        page = self.goto("/settings/api-keys/")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Provider").select_option(provider)
        page.get_by_label("API key").fill(key)
        self.submit()

    def bulk_add(self, project_id: str, urls: list[str]) -> None:
        page = self.goto(f"/projects/{project_id}/targets/bulk/")
        page.get_by_label("Links, one per line").fill("\n".join(urls))
        self.submit()

    def run_now(self, project_id: str) -> str:
        """Start a scrape from the project page; returns the job page's path."""
        page = self.goto(f"/projects/{project_id}/")
        page.get_by_role("button", name="Run now").click()
        page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{24}/$"))
        return page.url

    def wait_for_job(self, timeout_ms: int = 90_000) -> None:
        """Wait on the job page until its live progress box says the job ended and its new
        results are analysed (the box keeps polling until then)."""
        box = self.page.locator("#job-progress")
        expect(box.locator(".chip").first).to_have_text(
            re.compile(r"Completed|Failed|Cancelled"), timeout=timeout_ms
        )
        expect(box.get_by_role("link", name="open the dashboard")).to_be_visible(timeout=timeout_ms)

    def axe_violations(self, impacts=("serious", "critical")) -> list[dict]:
        """axe-core's WCAG 2 A/AA violations of the current page at the given impacts."""
        # Evaluated through the debugger: the page's Content-Security-Policy refuses an
        # inline script tag.
        self.page.evaluate(AXE_SCRIPT.read_text())
        report = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
                return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 300))}));
            }"""
        )
        found = [v for v in report if v["impact"] in impacts]
        if found:
            (self.output / f"axe-{self.steps:02d}.json").write_text(json.dumps(found, indent=2))
        return found
