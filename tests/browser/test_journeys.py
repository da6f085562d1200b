"""The main journeys of an analyst, in a real Chromium against the running product."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.platforms import RECEIVER_PATH, URLS

pytestmark = pytest.mark.browser


def test_sign_up_verify_and_sign_in(journey):
    j = journey()
    email = "ana@example.com"
    with j.step("sign up"):
        j.sign_up(email)
    with j.step("signing in before verifying is refused"):
        page = j.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("Tidal-Kelp-Forest-42")
        j.submit()
        expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    with j.step("verify from the email"):
        j.verify_email(email)
        expect(j.page.get_by_text(f"You have confirmed {email}")).to_be_visible()
    with j.step("sign out"):
        j.sign_out()
    with j.step("a wrong password is refused"):
        page = j.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("not-the-password")
        j.submit()
        expect(page.get_by_text(re.compile("not correct", re.I))).to_be_visible()
    with j.step("sign in"):
        j.sign_in(email)
        expect(j.page.get_by_text(f"Successfully signed in as {email}")).to_be_visible()
        # The empty state says what to do next.
        expect(j.page.get_by_role("button", name="Create your first project")).to_be_visible()


def test_from_a_new_project_to_exports_schedules_and_webhooks(journey, platforms):
    server, receiver = platforms
    j = journey()
    started = time.monotonic()
    with j.step("new analyst"):
        j.new_analyst("ben@example.com")
    with j.step("create a project from a preset"):
        project = j.create_project("Subnautica launch", preset="Standard")
        expect(j.page.get_by_text("Preset: Standard")).to_be_visible()
    with j.step("add a YouTube API key"):
        j.add_api_key("YouTube data", "youtube", "playback-key")
        row = j.page.get_by_role("row", name=re.compile("YouTube data"))
        expect(row).to_be_visible()
        # Masked once saved: never the whole key again.
        expect(row).not_to_contain_text("playback-key")
        expect(row).to_contain_text("…")
    with j.step("paste three links at once"):
        j.bulk_add(project, list(URLS))
        expect(j.page.get_by_text("3 added")).to_be_visible()
        # Named by the link's slug where it has one, else by the platform's id until collected.
        for name in ("Steam app 573170", "launch day thread", "YouTube video F1UP7wRCPH8"):
            expect(j.page.get_by_text(name)).to_be_visible()
    with j.step("run now"):
        j.run_now(project)
        expect(j.page.locator("#job-progress progress").first).to_be_visible()
    with j.step("progress to completion"):
        j.wait_for_job()
        expect(j.page.locator("#job-progress .chip").first).to_have_text("Completed")
        expect(j.page.get_by_text("3 / 3")).to_be_visible()
    with j.step("dashboard"):
        j.page.get_by_role("link", name="open the dashboard").click()
        expect(j.page.get_by_role("heading", name="Dashboard")).to_be_visible()
        kpi = j.page.locator(".kpi, article").filter(has_text="Results").first
        expect(kpi).to_contain_text(re.compile(r"\d"))
        j.page.wait_for_function(
            "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=distribution]'))"
        )
    to_dashboard = time.monotonic() - started
    (j.output / "timing.txt").write_text(f"sign-up to an analysed dashboard: {to_dashboard:.1f} s\n")
    with j.step("click a chart slice through to the explorer"):
        j.page.locator("canvas[data-chart=distribution]").scroll_into_view_if_needed()
        j.page.wait_for_timeout(500)  # the chart's entry animation
        point = j.page.evaluate(
            """() => {
                const canvas = document.querySelector('canvas[data-chart=distribution]');
                const chart = Chart.getChart(canvas);
                const labels = chart.data.labels.map(l => String(l).toLowerCase());
                const index = labels.findIndex(l => l.startsWith('negative'));
                const arc = chart.getDatasetMeta(0).data[index];
                const at = arc.tooltipPosition();
                const box = canvas.getBoundingClientRect();
                return {x: box.left + at.x, y: box.top + at.y};
            }"""
        )
        j.page.mouse.click(point["x"], point["y"])
        j.page.wait_for_url(re.compile(r"/results/\?.*sentiment=negative"))
        assert j.page.locator("input[type=checkbox][name=sentiment][value=negative]").is_checked()
        chips = j.page.locator("#results .result-meta .chip")
        expect(chips.first).to_be_visible()
        assert {chips.nth(i).inner_text() for i in range(chips.count())} == {"Negative"}
    with j.step("search"):
        j.goto(f"/projects/{project}/results/")
        j.page.get_by_role("searchbox").fill("puzzle")
        j.page.get_by_role("searchbox").press("Enter")
        j.page.wait_for_url(re.compile(r"q=puzzle"))
        rows = j.page.locator("#results .result-row")
        expect(rows.first).to_be_visible()
        assert all("puzzl" in rows.nth(i).text_content().lower() for i in range(rows.count()))
        expect(rows.first.locator("mark").first).to_be_visible()
    with j.step("export CSV and open it"):
        with j.page.expect_download() as download_info:
            j.page.get_by_role("button", name="Export CSV", exact=True).click()
        download = download_info.value
        path = j.output / download.suggested_filename
        download.save_as(path)
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert rows, "the export is empty"
        assert all("puzzl" in (row["title"] + row["text"]).lower() for row in rows)
        assert {"id", "platform", "target", "sentiment_label", "sentiment_score"} <= set(rows[0])
    with j.step("set a daily schedule"):
        page = j.goto(f"/schedules/project/{project}/")
        page.get_by_label("Frequency").select_option("daily")
        page.get_by_label("Time", exact=True).fill("07:30")
        j.submit()
        expect(page.get_by_text(re.compile("Next run", re.I)).first).to_be_visible()
    with j.step("add a webhook"):
        page = j.goto("/webhooks/new/")
        page.get_by_label("URL").fill(server.url_for(RECEIVER_PATH))
        page.get_by_label("Label").fill("Team receiver")
        page.locator("input[name=events]").first.check()
        j.submit()
        expect(page.get_by_text(re.compile("secret", re.I)).first).to_be_visible()
    with j.step("send a test to the receiver"):
        page = j.goto("/webhooks/")
        before = len(receiver.deliveries)
        page.get_by_role("button", name="Send test").first.click()
        page.wait_for_load_state()
        deadline = time.monotonic() + 30
        while len(receiver.deliveries) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(receiver.deliveries) > before, "the receiver got nothing"
        headers, body = receiver.deliveries[-1]
        assert {"Webhook-Id", "Webhook-Signature"} <= set(headers)
        assert body.get("type") or body.get("event")
        # The delivery log shows the receiver's answer once the worker recorded it.
        row = page.locator("tbody tr").first
        for _ in range(30):
            if "pending" not in row.inner_text():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(row).to_contain_text("200")
    with j.step("sign out"):
        j.sign_out()
    # From nothing to a dashboard of analysed reviews well within 5 minutes.
    assert to_dashboard < 300
