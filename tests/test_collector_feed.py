"""Feed collector against constructed RSS 2.0 and Atom documents served by a local server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraping import jobs
from scraping.collectors.base import FetchContext, LayoutChangedError, TargetSpec
from scraping.collectors.feed import FeedCollector
from scraping.collectors.registry import get_collector
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from sentimatrix.netguard import BlockedAddressError
from tests.factories import make_project, make_user
from tests.page_helpers import add_target
from tests.playback import playback_client

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def target(url: str) -> TargetSpec:
    return TargetSpec(platform="feed", url=url, platform_data={"feed_url": url})


def collect(url: str, **ctx_kwargs):
    ctx = FetchContext(http=playback_client(), **ctx_kwargs)
    return list(FeedCollector().pages(target(url), ctx)), ctx


def test_registry_knows_the_collector():
    assert isinstance(get_collector("feed"), FeedCollector)


def test_rss_items_with_every_field(loopback, httpserver):
    httpserver.expect_request("/reviews/feed.xml").respond_with_data(
        fixture("constructed_feed_rss.xml"), content_type="application/rss+xml"
    )

    pages, ctx = collect(httpserver.url_for("/reviews/feed.xml"))

    assert len(pages) == 1 and pages[0].next_cursor is None
    assert pages[0].requests_made == 1 == ctx.http.requests_made
    first, second, third = pages[0].items
    assert first.platform_id == "kettlecorner-review-1042"
    assert first.title == "Brightwell 1.5 L review: quiet & quick"
    # content:encoded wins over the short description; its HTML becomes plain text.
    assert first.text == (
        "The Brightwell boiled a litre in 2 minutes 48 seconds.\n\n"
        "It is the quietest kettle we have tested this year.\nDownside: the lid hinge feels fragile."
    )
    assert first.author == "Alex Moreno"
    assert first.date == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)  # 09:30 +0100
    assert first.url == "https://kettlecorner.example/reviews/brightwell-1-5"
    assert first.rating is None
    assert first.metadata == {
        "feed_title": "Kettle Corner & Co. — Reviews",
        "tags": ["kettles", "brightwell"],
        "comments_url": "https://kettlecorner.example/reviews/brightwell-1-5#comments",
    }
    assert second.platform_id == "https://kettlecorner.example/reviews/five-kettles"
    assert second.text.startswith("We put five kettles through a month")
    assert second.author == "Sam Lee"  # from "editor@kettlecorner.example (Sam Lee)"
    # No guid: the link is the id.
    assert third.platform_id == "https://kettlecorner.example/guides/descaling"


def test_atom_feed_paged_with_next_links(loopback, httpserver):
    httpserver.expect_request("/feeds/atom-page1.xml").respond_with_data(
        fixture("constructed_feed_atom_page1.xml"), content_type="application/atom+xml"
    )
    httpserver.expect_request("/feeds/atom-page2.xml").respond_with_data(
        fixture("constructed_feed_atom_page2.xml"), content_type="application/atom+xml"
    )

    pages, ctx = collect(httpserver.url_for("/feeds/atom-page1.xml"))

    assert [page.next_cursor for page in pages] == [httpserver.url_for("/feeds/atom-page2.xml"), None]
    assert ctx.http.requests_made == 2
    items = [item for page in pages for item in page.items]
    assert [item.platform_id for item in items] == [
        "tag:community.brightwell.example,2024:review-881",
        "tag:community.brightwell.example,2024:review-877",
        "tag:community.brightwell.example,2024:review-850",
    ]
    first = items[0]
    assert first.title == "Love it <3"
    assert first.text == "Third Brightwell in our house. Still love it."
    assert first.author == "maria_k"
    assert first.date == datetime(2024, 3, 14, 20, 10, tzinfo=UTC)  # published, not updated
    assert first.url == "https://community.brightwell.example/reviews/881"
    assert first.metadata["tags"] == ["5-stars"]
    assert items[1].text == "The handle gets uncomfortably hot near the lid after two boils in a row."
    assert items[1].date == datetime(2024, 3, 12, 6, 45, tzinfo=UTC)  # only <updated>


def test_a_page_that_is_not_a_feed_is_a_layout_change(loopback, httpserver):
    httpserver.expect_request("/feed").respond_with_data(
        "<html><body>Not here</body></html>", content_type="text/html"
    )

    with pytest.raises(LayoutChangedError, match="not an RSS or Atom feed"):
        collect(httpserver.url_for("/feed"))


def test_loopback_feed_is_refused_when_not_allowed(settings, httpserver):
    settings.SCRAPING_ALLOW_LOOPBACK = False
    httpserver.expect_request("/reviews/feed.xml").respond_with_data(fixture("constructed_feed_rss.xml"))

    with pytest.raises(BlockedAddressError, match="loopback"):
        collect(httpserver.url_for("/reviews/feed.xml"))

    assert httpserver.log == []


def test_redirect_to_a_private_address_is_refused(loopback, httpserver):
    httpserver.expect_request("/moved.xml").respond_with_data(
        "", status=302, headers={"Location": "http://10.20.30.40/internal/feed.xml"}
    )

    with pytest.raises(BlockedAddressError, match="private"):
        collect(httpserver.url_for("/moved.xml"))

    assert len(httpserver.log) == 1


SCRIPT_LINKS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Kettle reviews</title><link>https://kettles.example/</link>
<item><guid>k1</guid><title>One</title><description>Boils fast.</description>
  <link>javascript:alert(document.cookie)</link></item>
<item><guid>k2</guid><title>Two</title><description>Lid is loose.</description>
  <link>data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==</link></item>
<item><guid>k3</guid><title>Three</title><description>Pretty quiet.</description>
  <link>  VBScript:msgbox(1)</link></item>
<item><guid isPermaLink="true">javascript:alert(4)</guid><title>Four</title>
  <description>Handle gets hot.</description></item>
<item><guid>k5</guid><title>Five</title><description>Worth it.</description>
  <link>https://kettles.example/reviews/5</link></item>
</channel></rss>"""


@pytest.mark.django_db
def test_a_feed_job_stores_no_script_or_data_links(loopback, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        SCRIPT_LINKS_RSS, content_type="application/rss+xml"
    )
    url = httpserver.url_for("/feed.xml")
    user = make_user()
    project = make_project(user)
    feed = add_target(project, url, url, platform="feed", feed_url=url)
    job = jobs.start_job(project, triggered_by=user)

    assert jobs.run_target(job.pk, feed.pk) == JobStatus.COMPLETED

    stored = {
        d["content"]["text"]: d["content"]["url"] for d in collection("results").find({"target_id": feed.pk})
    }
    assert stored == {
        "Boils fast.": "",
        "Lid is loose.": "",
        "Pretty quiet.": "",
        "Handle gets hot.": "",
        "Worth it.": "https://kettles.example/reviews/5",
    }


@pytest.mark.django_db
def test_a_feed_whose_server_refuses_fails_its_target_at_once_with_the_clients_message(loopback, httpserver):
    # The HTTP client's own error (not a collector's) still ends the target for good: a second
    # attempt would meet the same answer.
    httpserver.expect_request("/feed.xml").respond_with_data("gone", status=404)
    url = httpserver.url_for("/feed.xml")
    user = make_user()
    project = make_project(user)
    feed = add_target(project, url, url, platform="feed", feed_url=url)
    job = jobs.start_job(project, triggered_by=user)

    assert jobs.run_target(job.pk, feed.pk) == JobStatus.FAILED

    entry = ScrapeJob.objects.get(pk=job.pk).targets[0]
    assert entry.status == JobStatus.FAILED and entry.attempts == 1
    assert "answered 404" in entry.error
