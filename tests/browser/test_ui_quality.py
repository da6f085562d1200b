"""What makes the pages pleasant and usable: accessibility (axe-core), a phone-sized screen,
keyboard use, both themes, loading indicators, confirmations and messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey
from tests.browser.platforms import URLS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def workspace(browser, product, browser_output):
    """An analyst with a project whose Steam target has been collected and analysed; yields
    the signed-in browser state, the project id and the job page's path."""
    context = browser.new_context()
    context.set_default_timeout(20_000)
    j = Journey("workspace", context, product, browser_output / "ui-workspace")
    try:
        with j.step("analyst with an analysed project"):
            j.new_analyst("cara@example.com")
            project = j.create_project("Quality check")
            j.bulk_add(project, [URLS[0]])
            job = j.run_now(project)
            j.wait_for_job()
        yield context.storage_state(), project, job.split("://", 1)[1].split("/", 1)[1]
    finally:
        j.close()


def main_pages(project: str, job: str) -> dict[str, str]:
    return {
        "projects": "/projects/",
        "new project": "/projects/new/",
        "project": f"/projects/{project}/",
        "job": f"/{job}",
        "dashboard": f"/projects/{project}/dashboard/",
        "explorer": f"/projects/{project}/results/",
        "explorer cards": f"/projects/{project}/results/?layout=cards",
        "compare": f"/projects/{project}/compare/",
        "periods": f"/projects/{project}/periods/",
        "alert rules": f"/projects/{project}/alert-rules/",
        "new alert rule": f"/projects/{project}/alert-rules/new/",
        "alerts": "/alerts/",
        "reports": f"/projects/{project}/reports/",
        "new report": f"/projects/{project}/reports/new/",
        "monitor a keyword": f"/projects/{project}/monitors/add/",
        "settings": "/settings/",
        "plans": "/settings/plans/",
        "api keys": "/settings/api-keys/",
        "schedules": "/schedules/",
        "webhooks": "/webhooks/",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_have_no_serious_accessibility_violations(journey, workspace, scheme):
    state, project, job = workspace
    found: dict[str, list] = {}
    anonymous = journey(f"{scheme}-anonymous", color_scheme=scheme)
    for name, path in {"home": "/", "sign in": "/accounts/login/", "sign up": "/accounts/signup/"}.items():
        with anonymous.step(f"{name} ({scheme})"):
            anonymous.goto(path)
            found[name] = anonymous.axe_violations()
    j = journey(scheme, storage_state=state, color_scheme=scheme)
    for name, path in main_pages(project, job).items():
        with j.step(f"{name} ({scheme})"):
            j.goto(path)
            j.page.wait_for_load_state("networkidle")
            found[name] = j.axe_violations()
    with j.step(f"a target's edit page ({scheme})"):
        j.goto(f"/projects/{project}/")
        j.page.locator(".row-actions a", has_text="Edit").first.click()
        expect(j.page.get_by_role("button", name="Save")).to_be_visible()
        found["target edit"] = j.axe_violations()
    assert {name: v for name, v in found.items() if v} == {}


def test_pages_fit_a_phone(journey, workspace):
    state, project, job = workspace
    j = journey(storage_state=state, viewport=PHONE, is_mobile=True, has_touch=True)
    too_wide = {}
    for name, path in main_pages(project, job).items():
        with j.step(f"{name} on a phone"):
            j.goto(path)
            j.page.wait_for_load_state("networkidle")
            width = j.page.evaluate("() => document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[name] = width
    assert too_wide == {}
    with j.step("navigation reachable on a phone"):
        j.goto("/projects/")
        expect(j.page.get_by_role("link", name="Webhooks")).to_be_visible()
        j.page.get_by_role("link", name="Webhooks").click()
        expect(j.page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()


def test_keyboard_navigation_with_visible_focus(journey, workspace):
    state, project, _ = workspace
    j = journey(storage_state=state)
    with j.step("skip link first"):
        j.goto(f"/projects/{project}/")
        j.page.keyboard.press("Tab")
        focused = j.page.evaluate("() => document.activeElement.textContent.trim()")
        assert focused == "Skip to content"
        expect(j.page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
        j.page.keyboard.press("Enter")
        assert j.page.url.endswith("#main")
    with j.step("every stop shows where the focus is"):
        j.goto(f"/projects/{project}/")
        invisible, stops = [], 0
        for _ in range(25):
            j.page.keyboard.press("Tab")
            style = j.page.evaluate(
                """() => {
                    const el = document.activeElement, css = getComputedStyle(el);
                    return {name: el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 30),
                            outline: css.outlineStyle !== 'none' && parseFloat(css.outlineWidth) > 0,
                            shadow: css.boxShadow !== 'none'};
                }"""
            )
            if style["name"].startswith("BODY"):
                break  # past the page's last stop (the grouped actions leave fewer than 25)
            stops += 1
            if not (style["outline"] or style["shadow"]):
                invisible.append(style["name"])
        assert invisible == []
        assert stops >= 15  # the bar, the project's actions and menu, the targets
    with j.step("run a scrape from the keyboard"):
        j.goto(f"/projects/{project}/")
        j.page.get_by_role("button", name="Run now").focus()
        j.page.keyboard.press("Enter")
        j.page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{24}/$"))


def test_dark_theme_is_kept_across_pages(journey, workspace):
    state, project, _ = workspace
    j = journey(storage_state=state, color_scheme="light")
    with j.step("switch to dark"):
        j.goto(f"/projects/{project}/dashboard/")
        j.page.get_by_role("button", name="Switch between light and dark theme").click()
        expect(j.page.locator("html")).to_have_attribute("data-theme", "dark")
    with j.step("still dark on the next page"):
        j.goto(f"/projects/{project}/results/")
        expect(j.page.locator("html")).to_have_attribute("data-theme", "dark")
        background = j.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(x) for x in re.findall(r"\d+", background)[:3])
        assert red + green + blue < 200, background


def test_explorer_search_shows_a_loading_indicator_and_updates_in_place(journey, workspace):
    state, project, _ = workspace
    j = journey(storage_state=state)
    with j.step("type a search"):
        j.goto(f"/projects/{project}/results/")

        def slow(route):
            j.page.wait_for_timeout(800)
            route.continue_()

        j.page.route(re.compile(r".*/results/\?.*q=.*"), slow)
        search = j.page.get_by_role("searchbox")
        search.press_sequentially("puzzle", delay=30)
        expect(
            j.page.locator("#htmx-indicator.htmx-request, .htmx-request #htmx-indicator").first
        ).to_be_attached(timeout=5_000)
    with j.step("results updated without a reload"):
        expect(j.page.locator("#htmx-indicator.htmx-request")).to_have_count(0, timeout=10_000)
        rows = j.page.locator("#results .result-row")
        expect(rows.first).to_be_visible()
        assert all("puzzl" in rows.nth(i).text_content().lower() for i in range(rows.count()))
        assert "q=puzzle" in j.page.url  # the address follows, so the view can be shared


def test_destructive_actions_ask_first_and_say_what_happened(journey, workspace):
    state, _, _ = workspace
    j = journey(storage_state=state)
    with j.step("a project to delete"):
        doomed = j.create_project("To be deleted")
        expect(j.page.get_by_text("Project “To be deleted” created")).to_be_visible()
    with j.step("delete is in the project's menu, styled as a danger action"):
        j.page.get_by_text("More actions").click()
        delete = j.page.get_by_role("link", name="Delete", exact=True)
        expect(delete).to_have_class(re.compile(r"\bdanger\b"))
        colour = delete.evaluate("el => getComputedStyle(el).color")
        red, green, blue = (int(x) for x in re.findall(r"\d+", colour)[:3])
        assert red > 150 and red > 2 * green and red > 2 * blue, colour
    with j.step("delete asks for confirmation"):
        delete.click()
        expect(j.page.get_by_role("heading", name="Delete To be deleted?")).to_be_visible()
        j.page.get_by_label("I understand this cannot be undone").check()
        j.page.once("dialog", lambda dialog: dialog.dismiss())
        j.page.get_by_role("button", name="Delete the project").click()
        expect(j.page.get_by_role("heading", name="Delete To be deleted?")).to_be_visible()
    with j.step("confirmed, the project is gone with a message"):
        j.page.once("dialog", lambda dialog: dialog.accept())
        j.page.get_by_role("button", name="Delete the project").click()
        j.page.wait_for_url(re.compile(r"/projects/$"))
        expect(
            j.page.locator(".toast, [role=status], [role=alert]").filter(has_text="deleted").first
        ).to_be_visible()
        response = j.page.goto(j.product.url(f"/projects/{doomed}/"))
        assert response.status == 404


def test_dates_follow_the_users_time_zone(journey):
    j = journey()
    with j.step("a new analyst picks Tokyo"):
        j.new_analyst("dai@example.com")
        page = j.goto("/settings/")
        page.get_by_label("Timezone").select_option("Asia/Tokyo")
        j.submit()
        expect(page.locator(".toast").first).to_be_visible()
    with j.step("the sign-in is listed in Tokyo time"):
        page = j.goto("/settings/security/")
        shown = page.locator("tbody tr time").first.inner_text()
        stamp = datetime.strptime(shown, "%d %b %Y, %H:%M")  # "7 Dec 2026, 08:30"
        tokyo_now = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=9)
        assert abs(tokyo_now - stamp) < timedelta(minutes=5), (shown, tokyo_now)


def test_the_home_page_shows_the_product_and_the_tab_its_icon(journey, product):
    j = journey(viewport={"width": 1366, "height": 900})
    with j.step("a visitor reads what the product does"):
        page = j.goto("/")
        for heading in ("What it collects", "From where", "What it tells you"):
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
        shot = page.get_by_role("img", name=re.compile("dashboard"))
        shot.scroll_into_view_if_needed()
        expect(shot).to_be_visible()
        assert shot.evaluate("img => img.complete && img.naturalWidth") == 1100
    with j.step("the favicon is served"):
        href = page.locator("link[rel=icon]").get_attribute("href")
        response = j.context.request.get(product.url(href))
        assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    phone = journey("phone", viewport=PHONE, is_mobile=True, has_touch=True)
    with phone.step("the home page on a phone"):
        page = phone.goto("/")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        expect(page.get_by_role("button", name="Create an account")).to_be_in_viewport()


def test_the_project_menu_opens_in_the_page_on_a_phone(journey, workspace):
    state, project, _ = workspace
    j = journey(storage_state=state, viewport=PHONE, is_mobile=True, has_touch=True)
    with j.step("the main actions and a menu"):
        page = j.goto(f"/projects/{project}/")
        for name in ("Add a link", "Monitor a keyword", "Explore results", "Dashboard"):
            expect(
                page.locator(".project-actions").get_by_role("button", name=name, exact=True)
            ).to_be_visible()
        page.get_by_text("More actions").click()
        # The menu is longer than a phone's screen: its last item is reached by scrolling down,
        # never sideways (the page's width is checked below).
        delete = page.get_by_role("link", name="Delete", exact=True)
        delete.scroll_into_view_if_needed()
        expect(delete).to_be_in_viewport()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


DESKTOP = {"width": 1366, "height": 900}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_explorer_table_and_bulk_bar_are_accessible_at_both_widths(journey, workspace, scheme):
    state, project, _ = workspace
    found: dict[str, list] = {}
    for width, viewport in {"1366": DESKTOP, "390": PHONE}.items():
        j = journey(f"{scheme}-{width}", storage_state=state, color_scheme=scheme, viewport=viewport)
        with j.step(f"explorer table ({scheme}, {width} px)"):
            j.goto(f"/projects/{project}/results/?per_page=50")
            j.page.wait_for_load_state("networkidle")
            expect(j.page.locator("table.result-table")).to_be_visible()
            expect(j.page.locator("#bulk-form")).to_be_visible()
            rows = j.page.locator("table.result-table tbody tr")
            assert 0 < rows.count() <= 50
            filters = j.page.locator("details.filters-panel")
            # Wide screens show the filters; a phone folds them behind their button.
            assert filters.evaluate("d => d.open") is (width == "1366")
            width_used = j.page.evaluate("() => document.documentElement.scrollWidth")
            assert width_used <= viewport["width"], width_used
            found[f"table {width}"] = j.axe_violations()
        with j.step(f"rows ticked from the keyboard, bulk bar ready ({scheme}, {width} px)"):
            j.page.keyboard.press("j")
            j.page.keyboard.press("x")
            j.page.keyboard.press("ArrowDown")
            j.page.keyboard.press("x")
            expect(rows.nth(0).locator("input[name=ids]")).to_be_checked()
            expect(rows.nth(1).locator("input[name=ids]")).to_be_checked()
            expect(j.page.locator("[data-bulk-ticked]")).to_have_text("(2)")
            j.page.locator("#bulk-tag").fill(f"follow up {scheme}")
            found[f"bulk bar {width}"] = j.axe_violations()
        if width == "1366":
            with j.step(f"tag the ticked rows ({scheme})"):
                j.page.get_by_role("button", name="Tag", exact=True).click()
                expect(j.page.get_by_text(f"Tagged 2 results “follow up {scheme}”.")).to_be_visible()
            with j.step(f"Enter opens the focused row ({scheme})"):
                j.page.keyboard.press("j")
                j.page.keyboard.press("Enter")
                j.page.wait_for_url(re.compile(r"/results/[0-9a-f]{24}/"))
    assert {name: v for name, v in found.items() if v} == {}
