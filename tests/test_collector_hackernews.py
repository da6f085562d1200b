"""Hacker News collector against a constructed Algolia ``items`` answer served by a local server.

The item under tests/fixtures/constructed/ follows the documented shape of the Algolia
Hacker News API; no recording with a usable license exists.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraping.collectors import hackernews
from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError, TargetSpec
from scraping.collectors.hackernews import HackerNewsCollector
from scraping.collectors.registry import get_collector
from tests.playback import playback_client, use_server

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"


def story() -> dict:
    return json.loads((FIXTURES / "constructed_hackernews_item.json").read_text(encoding="utf-8"))


def walk(node: dict):
    """(id, parent id) of every comment of the fixture that has an author, depth-first."""
    for child in node.get("children", []):
        if child.get("author"):
            yield child["id"], node["id"]
        yield from walk(child)


def target(item_id) -> TargetSpec:
    return TargetSpec(
        platform="hackernews",
        url=f"https://news.ycombinator.com/item?id={item_id}",
        platform_data={"item_id": str(item_id)},
    )


def collect(spec: TargetSpec, **ctx_kwargs):
    return list(HackerNewsCollector().pages(spec, FetchContext(http=playback_client(), **ctx_kwargs)))


def serve(settings, httpserver, payload: dict) -> None:
    use_server(settings, httpserver, "hackernews")
    httpserver.expect_request(f"/items/{payload['id']}").respond_with_json(payload)


def test_registry_knows_the_collector():
    assert isinstance(get_collector("hackernews"), HackerNewsCollector)


def test_nested_tree_is_flattened_with_parent_ids(settings, httpserver):
    payload = story()
    serve(settings, httpserver, payload)

    pages = collect(target(payload["id"]), include_replies=True)
    assert pages[0].target_name == payload["title"]  # the story names the target

    assert len(httpserver.log) == 1
    items = [item for page in pages for item in page.items]
    # Depth-first: each comment comes after the one it answers; deleted ones are left out.
    assert [(int(item.platform_id), int(item.parent_id)) for item in items] == list(walk(payload))
    by_id = {item.platform_id: item for item in items}
    position = {item.platform_id: index for index, item in enumerate(items)}
    for item in items:
        if item.parent_id in position:
            assert position[item.parent_id] < position[item.platform_id]
    # The reply to the deleted comment keeps its real parent id.
    assert by_id["39999170"].parent_id == "39999160"
    assert "39999160" not in by_id
    assert pages[0].reported_total == len(items)

    first = by_id["39999101"]
    assert first.author == "ferrous"
    assert first.date == datetime(2024, 3, 14, 16, 20, 3, tzinfo=UTC)
    assert first.url == "https://news.ycombinator.com/item?id=39999101"
    assert first.rating is None
    assert first.metadata["story_id"] == str(payload["id"])
    assert first.metadata["story_title"] == payload["title"]
    assert first.metadata["depth"] == 1
    assert by_id["39999190"].metadata["depth"] == 3


def test_comment_html_becomes_plain_text(settings, httpserver):
    payload = story()
    serve(settings, httpserver, payload)

    by_id = {
        item.platform_id: item
        for page in collect(target(payload["id"]), include_replies=True)
        for item in page.items
    }

    assert by_id["39999101"].text == (
        "This is the first kettle review site I've seen that shows the spread of opinions, "
        "not just an average.\n\nHow do you handle reviews in other languages?"
    )
    assert by_id["39999190"].text == "Makes sense, thanks & good luck."
    code = by_id["39999102"].text
    assert 'curl -A "Mozilla" https://www.amazon.com/product-reviews/X' in code
    assert "<" not in code and "&quot;" not in code
    # A link shortened with "..." gets its full address back.
    assert "https://example.com/very/long/path/to/the/documentation/page.html" in by_id["39999103"].text


def test_without_replies_only_top_level_comments_are_kept(settings, httpserver):
    payload = story()
    serve(settings, httpserver, payload)

    items = [item for page in collect(target(payload["id"])) for item in page.items]

    top_level = [str(child["id"]) for child in payload["children"] if child.get("author")]
    assert [item.platform_id for item in items] == top_level
    assert {item.parent_id for item in items} == {str(payload["id"])}


def test_ask_story_text_is_an_item_and_large_trees_come_in_pages(settings, httpserver, monkeypatch):
    payload = story()
    payload["text"] = "Ask HN: what <i>kettle</i> do you use?<p>Mine broke."
    serve(settings, httpserver, payload)
    monkeypatch.setattr(hackernews, "PAGE_SIZE", 2)

    pages = collect(target(payload["id"]), include_replies=True)

    assert len(httpserver.log) == 1
    assert [page.requests_made for page in pages] == [1] + [0] * (len(pages) - 1)
    assert all(len(page.items) <= 2 for page in pages)
    assert [page.next_cursor is None for page in pages] == [False] * (len(pages) - 1) + [True]
    root = pages[0].items[0]
    assert root.platform_id == str(payload["id"])
    assert root.parent_id is None
    assert root.title == payload["title"]
    assert root.text == "Ask HN: what kettle do you use?\n\nMine broke."
    assert root.metadata["points"] == payload["points"]


def test_payload_of_another_shape_is_a_layout_change(settings, httpserver):
    use_server(settings, httpserver, "hackernews")
    httpserver.expect_request("/items/1").respond_with_json({"message": "ObjectID does not exist"})

    with pytest.raises(LayoutChangedError):
        collect(target(1))


def test_target_without_item_id_is_refused():
    with pytest.raises(CollectorError, match="item id"):
        collect(TargetSpec(platform="hackernews", url="", platform_data={}))
