"""YouTube search for keyword monitors: videos found by the Data API's ``search``, then their comments.

The search answers are constructed (``constructed_youtube_search.json``); the comments of two of
the videos found are the recorded ``commentThreads`` answers the video collector is tested on.
"""

import pytest

from scraping.collectors.base import CollectorError, FetchContext, LayoutChangedError, MissingCredentialError
from scraping.collectors.search.base import SearchQuery, search_source
from scraping.collectors.search.youtube import COMMENTS_PER_VIDEO, VIDEOS_PER_RUN, YouTubeSearch
from scraping.collectors.youtube import ERROR_REASONS, MISSING_KEY
from sentimatrix.http import RateLimitedError
from tests.playback import API_KEY, json_response, load, playback_client, use_server, youtube_error
from tests.search_playback import YOUTUBE_NO_COMMENTS, YOUTUBE_THREADS, serve_youtube_search


@pytest.fixture
def youtube(settings, httpserver):
    use_server(settings, httpserver, "youtube")
    return httpserver


def context(key=API_KEY) -> FetchContext:
    return FetchContext(http=playback_client(), credentials={"youtube": key} if key else {})


def run(query="Nimbus Notes", since=None, key=API_KEY, **query_options):
    ctx = context(key)
    pages = list(YouTubeSearch().search(SearchQuery(query, **query_options), ctx, since))
    return pages, ctx


def recorded_comment_ids(video):
    return [thread["id"] for thread in load("youtube", YOUTUBE_THREADS[video])["items"]]


def test_the_registry_hands_out_the_youtube_search():
    source = search_source("youtube")
    assert isinstance(source, YouTubeSearch)
    assert source.credential_providers == ("youtube",)


def test_finds_videos_page_by_page_then_reads_each_ones_comments(youtube):
    recorded = serve_youtube_search(youtube, page_size=2)
    pages, ctx = run()

    searches = recorded.params("/search")
    assert searches[0] == {
        "part": "snippet",
        "type": "video",
        "q": "Nimbus Notes",
        "order": "date",
        "maxResults": str(VIDEOS_PER_RUN),
        "key": API_KEY,
    }
    # Three videos in pages of two: the second search call carries the first one's token.
    assert len(searches) == 2
    assert searches[1]["pageToken"]
    threads = recorded.params("/commentThreads")
    assert [params["videoId"] for params in threads] == ["F1UP7wRCPH8", YOUTUBE_NO_COMMENTS, "D-lhorsDlUQ"]
    assert all(
        params["order"] == "time" and params["maxResults"] == str(COMMENTS_PER_VIDEO) for params in threads
    )

    # One page per video; the monitor's own name stays (the video's title is in each comment).
    assert len(pages) == 3 and all(page.target_name == "" for page in pages)
    assert [item.platform_id for item in pages[0].items] == recorded_comment_ids("F1UP7wRCPH8")
    assert pages[1].items == []
    assert [item.platform_id for item in pages[2].items] == recorded_comment_ids("D-lhorsDlUQ")
    first = pages[0].items[0]
    assert first.metadata["video_id"] == "F1UP7wRCPH8"
    assert first.metadata["video_title"] == "Nimbus Notes review after six months"
    assert (
        first.metadata["source_url"]
        == first.url
        == f"https://www.youtube.com/watch?v=F1UP7wRCPH8&lc={first.platform_id}"
    )
    # Newest first within each video.
    for page in pages:
        dates = [item.date for item in page.items]
        assert dates == sorted(dates, reverse=True)

    # What was asked, and why one video's comments are missing, go to the coverage record.
    assert pages[0].searched == [
        'YouTube videos matching "Nimbus Notes": 3 found, comments of each read (up to 100)'
    ]
    assert pages[1].searched == [
        f"comments of video {YOUTUBE_NO_COMMENTS} not read: {ERROR_REASONS['commentsDisabled']}"
    ]
    # The cursor is the newest comment's time, on every page once it is known.
    assert pages[-1].newest == "2019-11-26T15:51:44Z"
    assert sum(page.requests_made for page in pages) == ctx.http.requests_made == 5


def test_a_second_run_asks_only_for_what_is_newer_than_the_cursor(youtube):
    recorded = serve_youtube_search(youtube)
    first, _ctx = run()
    cursor = first[-1].newest

    again, _ctx = run(since=cursor)
    assert recorded.params("/search")[-1]["publishedAfter"] == cursor
    assert again == [again[0]] and again[0].items == []
    assert again[0].newest == cursor  # nothing newer: the cursor stays where it was
    assert again[0].searched == [
        f'YouTube videos matching "Nimbus Notes" published after {cursor}: 0 found, comments of each read (up to 100)'
    ]
    assert len(recorded.params("/commentThreads")) == 3  # only the first run read comments


def test_since_keeps_older_videos_out(youtube):
    recorded = serve_youtube_search(youtube)
    pages, _ctx = run(since="2019-05-01T00:00:00Z")
    assert recorded.params("/search")[0]["publishedAfter"] == "2019-05-01T00:00:00Z"
    assert [params["videoId"] for params in recorded.params("/commentThreads")] == [
        "F1UP7wRCPH8",
        YOUTUBE_NO_COMMENTS,
    ]
    assert [item.platform_id for page in pages for item in page.items] == recorded_comment_ids("F1UP7wRCPH8")


def test_the_query_is_written_in_youtubes_search_syntax_and_the_language_passed(youtube):
    recorded = serve_youtube_search(youtube)
    run('Nimbus   "sync  bug" -refund -"paper notes" nimbus', language="de")
    params = recorded.params("/search")[0]
    assert params["q"] == 'Nimbus "sync bug" -refund -"paper notes"'
    assert params["relevanceLanguage"] == "de"


def test_without_a_key_says_what_to_add(youtube):
    with pytest.raises(MissingCredentialError) as caught:
        run(key="")
    assert str(caught.value) == MISSING_KEY


def test_an_empty_query_is_refused(youtube):
    with pytest.raises(CollectorError, match="no words"):
        run(query='  "" ')


def test_a_rate_limit_answer_is_the_clients_rate_limited_error(youtube):
    youtube.expect_request("/search").respond_with_response(json_response({"error": {}}, 429))
    with pytest.raises(RateLimitedError):
        run()


def test_a_spent_quota_is_said_in_words(youtube):
    youtube.expect_request("/search").respond_with_response(youtube_error(403, "quotaExceeded", "quota"))
    with pytest.raises(CollectorError) as caught:
        run()
    assert str(caught.value) == ERROR_REASONS["quotaExceeded"]


@pytest.mark.parametrize(
    "body",
    [
        json_response({"kind": "youtube#searchListResponse", "results": []}),
        json_response({"kind": "youtube#searchListResponse", "items": [{"id": "no-video-id"}]}),
    ],
    ids=["no items", "an item without a video id"],
)
def test_a_changed_answer_is_a_layout_change(youtube, body):
    youtube.expect_request("/search").respond_with_response(body)
    with pytest.raises(LayoutChangedError, match="YouTube"):
        run()


def test_an_answer_that_is_not_json_is_a_layout_change(youtube):
    youtube.expect_request("/search").respond_with_data("<html>Sorry</html>", content_type="text/html")
    with pytest.raises(LayoutChangedError, match="did not answer JSON"):
        run()
