"""The Google Places collector against recorded Place Details responses."""

import re
from datetime import UTC, datetime

import pytest

from scraping.collectors.base import (
    CollectorError,
    FetchContext,
    LayoutChangedError,
    MissingCredentialError,
    TargetSpec,
)
from scraping.collectors.google import GooglePlacesCollector
from scraping.collectors.registry import get_collector
from tests.playback import API_KEY, GOOGLE_FILE, load, playback_client, serve_google, use_server

REDACTED_FILE = "gmaps_java_PlaceDetailsResponse.json"
CONTRIBUTOR = re.compile(r"/contrib/(\d+)/")


@pytest.fixture
def google(settings, httpserver):
    use_server(settings, httpserver, "google")
    return httpserver


def target(place_id, **options) -> TargetSpec:
    return TargetSpec(
        platform="google",
        url=f"https://www.google.com/maps/place/?q=place_id:{place_id}",
        platform_data={"place_id": place_id},
        options=options,
    )


def context(key=API_KEY, **kwargs) -> FetchContext:
    credentials = {"google_places": key} if key else {}
    return FetchContext(http=playback_client(), credentials=credentials, **kwargs)


def collect(place_id, **kwargs):
    options = kwargs.pop("options", {})
    return list(GooglePlacesCollector().pages(target(place_id, **options), context(**kwargs)))


def test_registry_and_caveat():
    collector = get_collector("google")
    assert isinstance(collector, GooglePlacesCollector)
    assert "at most 5 reviews" in collector.caveat


def test_one_page_with_every_field_mapped(google):
    playback = serve_google(google)
    pages = collect(playback.place_id)
    assert len(pages) == 1
    page = pages[0]
    assert page.next_cursor is None
    assert page.requests_made == 1
    result = load("google_places", GOOGLE_FILE)["result"]
    assert page.target_name == result["name"]  # the target's name, from the same answer
    assert len(page.items) == len(result["reviews"])
    for item, review in zip(page.items, result["reviews"], strict=True):
        contributor = CONTRIBUTOR.search(review["author_url"]).group(1)
        assert item.platform_id == f"contrib-{contributor}"
        assert item.text == review["text"].strip()
        assert item.author == review["author_name"]
        assert item.title == ""
        assert item.rating == float(review["rating"])
        assert item.date == datetime.fromtimestamp(review["time"], tz=UTC)
        assert item.url == result["url"]
        assert item.parent_id is None
        assert item.metadata["language"] == review["language"]
        assert item.metadata["relative_time_description"] == review["relative_time_description"]
        assert item.metadata["author_url"] == review["author_url"]
        assert item.metadata["place_name"] == result["name"]
        assert item.metadata["place_rating"] == result["rating"]
        assert item.metadata["place_ratings_total"] == result["user_ratings_total"]
    assert len({item.platform_id for item in page.items}) == len(page.items)


def test_request_parameters(google):
    playback = serve_google(google)
    collect(playback.place_id, options={"language": "fr", "sort_by": "most_relevant"})
    assert playback.requests == [
        {
            "place_id": playback.place_id,
            "fields": "name,rating,user_ratings_total,reviews,url",
            "reviews_sort": "most_relevant",
            "reviews_no_translations": "true",
            "language": "fr",
            "key": API_KEY,
        }
    ]


def test_review_without_contributor_id_gets_a_stable_hash(google):
    playback = serve_google(google, REDACTED_FILE)
    first = collect(playback.place_id)[0].items
    second = collect(playback.place_id)[0].items
    review = load("google_places", REDACTED_FILE)["result"]["reviews"][0]
    assert len(first) == 1
    assert first[0].platform_id == second[0].platform_id
    assert first[0].platform_id.startswith("h-")
    assert first[0].metadata["original_language"] == review["original_language"]
    assert first[0].metadata["translated"] is review["translated"]


def test_date_window_filters_the_five_reviews(google):
    playback = serve_google(google)
    reviews = load("google_places", GOOGLE_FILE)["result"]["reviews"]
    cutoff = datetime.fromtimestamp(sorted(r["time"] for r in reviews)[2], tz=UTC)
    items = collect(playback.place_id, date_from=cutoff)[0].items
    assert {item.platform_id for item in items} == {
        "contrib-" + CONTRIBUTOR.search(r["author_url"]).group(1)
        for r in reviews
        if r["time"] >= cutoff.timestamp()
    }


def test_missing_key_asks_for_one_on_the_api_keys_page(google):
    playback = serve_google(google)
    with pytest.raises(MissingCredentialError, match='API keys page under "google_places"'):
        collect(playback.place_id, key=None)
    assert playback.requests == []


def test_refused_key_and_unknown_place_are_explained(google):
    playback = serve_google(google)
    with pytest.raises(CollectorError, match=r"refused the Places API key .*The provided API key is invalid"):
        collect(playback.place_id, key="wrong")
    with pytest.raises(CollectorError, match="no place with this id"):
        collect("ChIJ-not-a-place")


def test_changed_payloads_are_layout_errors(google):
    google.expect_request("/details/json").respond_with_json({"status": "OK"})
    with pytest.raises(LayoutChangedError, match="no result"):
        collect("anything")
    google.clear()
    google.expect_request("/details/json").respond_with_json({"results": []})
    with pytest.raises(LayoutChangedError, match="no status"):
        collect("anything")
