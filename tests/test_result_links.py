"""Links to the original of a result: only http(s) addresses become links, on every page that
shows one, whatever a collector or an older version of the product stored."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analysis.templatetags.analysis_tags import web_url
from scraping.results_store import safe_web_url
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import seed

UNSAFE = [
    "javascript:alert(document.cookie)",
    "  JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/no-scheme",
    "/relative/path",
    "https://",
    "http://exa mple.com/",
]


@pytest.mark.parametrize("url", UNSAFE)
def test_anything_but_an_http_url_is_dropped(url):
    assert safe_web_url(url) == ""
    assert web_url(url) == ""


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://store.steampowered.com/app/570/", "https://store.steampowered.com/app/570/"),
        (" HTTP://example.com/a?b=1#c ", "HTTP://example.com/a?b=1#c"),
        ("https://example.com/a b", "https://example.com/a%20b"),  # percent-encoded, not lost
        ("https://bücher.example/straße", "https://bücher.example/straße"),
    ],
)
def test_http_urls_are_kept(url, kept):
    assert safe_web_url(url) == kept
    assert web_url(url) == kept


def test_an_address_longer_than_the_model_allows_is_dropped():
    assert safe_web_url("https://example.com/" + "a" * 2100) == ""


MARKER = "Quokkaglyph"


def test_a_result_stored_with_a_script_url_renders_no_link_to_it(db, seed_clock, client):
    seeded = seed(make_user(), count=6, extra=[f"{MARKER} lantern rattles in the box"])
    doc = next(d for d in seeded.docs if MARKER in d["content"]["text"])
    assert not doc["excluded"]
    # Stored as an older version (or any bulk write) may have left it: straight into the collection.
    collection("results").update_one(
        {"_id": doc["_id"]}, {"$set": {"content.url": "javascript:alert(document.cookie)"}}
    )
    client.force_login(seeded.project.user)
    pages = {
        "explorer": client.get(reverse("analysis:explorer", args=[seeded.project.pk]), {"q": MARKER}),
        "result": client.get(reverse("analysis:result", args=[seeded.project.pk, doc["_id"]])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert MARKER in html, name  # the result is on the page, without its link
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert not [h for h in hrefs if "script" in h.lower()], name
        assert "Original on" not in html and "open the original" not in html, name
    # The other results keep their links.
    explorer = client.get(reverse("analysis:explorer", args=[seeded.project.pk])).content.decode()
    assert 'href="https://store.steampowered.com/app/573170/review' in explorer
