"""The signed-out home page says what the product does, and every page has the favicon."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_MAX_BYTES = 150_000


@pytest.mark.django_db
def test_the_home_page_describes_the_product(client):
    page = client.get(reverse("home")).content.decode()
    for heading in ("What it collects", "From where", "What it tells you"):
        assert f">{heading}</h2>" in page
    for source in ("Amazon", "Steam", "YouTube", "Reddit", "Google", "RSS", "CSV"):
        assert source in page, source
    for finding in ("Sentiment", "emotions", "summaries", "pros and cons", "topics", "trends"):
        assert finding in page, finding


@pytest.mark.django_db
def test_the_home_page_screenshot_is_a_small_webp_with_a_description(client):
    page = client.get(reverse("home")).content.decode()
    image = re.search(r'<img src="/static/(img/[^"]+)" width="(\d+)" height="(\d+)"\s+alt="([^"]+)"', page)
    assert image, page
    path = Path(finders.find(image.group(1)))
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert len(data) < SCREENSHOT_MAX_BYTES
    # The declared size is the image's own (VP8X header: 24-bit width and height minus one).
    width = int.from_bytes(data[24:27], "little") + 1
    height = int.from_bytes(data[27:30], "little") + 1
    assert (width, height) == (int(image.group(2)), int(image.group(3)))
    assert "dashboard" in image.group(4)


@pytest.mark.django_db
def test_every_page_links_the_favicon(client):
    page = client.get(reverse("account_login")).content.decode()
    link = re.search(r'<link rel="icon" href="/static/(img/favicon\.svg)" type="image/svg\+xml">', page)
    assert link, page
    svg = Path(finders.find(link.group(1))).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'viewBox="0 0 64 64"' in svg
