"""The YouTube collector against recorded Data API v3 comment threads and replies."""

from datetime import datetime

import pytest

from scraping.collectors.base import (
    CollectorError,
    FetchContext,
    LayoutChangedError,
    MissingCredentialError,
    TargetSpec,
)
from scraping.collectors.registry import get_collector
from scraping.collectors.youtube import YouTubeCollector
from tests.playback import (
    API_KEY,
    YOUTUBE_REPLY_FILES,
    YOUTUBE_THREAD_FILES,
    json_response,
    load,
    playback_client,
    serve_youtube,
    use_server,
)

VIDEO = "F1UP7wRCPH8"
THREAD_WITH_REPLIES = "UgwI_ylXVnzPS8Q-oAV4AaABAg"


@pytest.fixture
def youtube(settings, httpserver):
    use_server(settings, httpserver, "youtube")
    return httpserver


def target(video_id=VIDEO, **options) -> TargetSpec:
    return TargetSpec(
        platform="youtube",
        url=f"https://www.youtube.com/watch?v={video_id}",
        platform_data={"video_id": video_id},
        options=options,
    )


def context(key=API_KEY, max_items=10_000, **kwargs) -> FetchContext:
    credentials = {"youtube": key} if key else {}
    return FetchContext(http=playback_client(), max_items=max_items, credentials=credentials, **kwargs)


def recorded_threads():
    return [thread for name in YOUTUBE_THREAD_FILES for thread in load("youtube", name)["items"]]


def recorded_replies():
    return [reply for name in YOUTUBE_REPLY_FILES for reply in load("youtube", name)["items"]]


def parse_iso(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_registry_hands_out_the_youtube_collector():
    assert isinstance(get_collector("youtube"), YouTubeCollector)


def test_pages_to_the_end_with_page_tokens(youtube):
    playback = serve_youtube(youtube, VIDEO, page_size=3)
    ctx = context()
    pages = list(YouTubeCollector().pages(target(), ctx))
    threads = recorded_threads()
    assert len(pages) == -(-len(threads) // 3)
    assert [item.platform_id for page in pages for item in page.items] == [t["id"] for t in threads]
    assert pages[-1].next_cursor is None
    tokens = [params.get("pageToken") for _endpoint, params in playback.requests]
    assert tokens == [None] + [page.next_cursor for page in pages[:-1]]
    first = playback.requests[0][1]
    assert first == {
        "part": "snippet",
        "videoId": VIDEO,
        "order": "time",
        "maxResults": "100",
        "textFormat": "plainText",
        "key": API_KEY,
    }
    assert ctx.http.requests_made == len(pages)


def test_every_field_is_mapped(youtube):
    serve_youtube(youtube, VIDEO)
    items = [item for page in YouTubeCollector().pages(target(), context()) for item in page.items]
    threads = recorded_threads()
    assert len(items) == len(threads)
    for item, thread in zip(items, threads, strict=True):
        comment = thread["snippet"]["topLevelComment"]
        snippet = comment["snippet"]
        assert item.platform_id == comment["id"]
        assert item.text == snippet["textOriginal"].strip()
        assert item.author == snippet["authorDisplayName"]
        assert item.title == ""
        assert item.rating is None
        assert item.date == parse_iso(snippet["publishedAt"])
        assert item.date.utcoffset().total_seconds() == 0
        assert item.url == f"https://www.youtube.com/watch?v={snippet['videoId']}&lc={comment['id']}"
        assert item.parent_id is None
        assert item.metadata["like_count"] == snippet["likeCount"]
        assert item.metadata["reply_count"] == thread["snippet"]["totalReplyCount"]
        assert item.metadata["author_channel_id"] == snippet["authorChannelId"]["value"]
        assert item.metadata["author_channel_url"] == snippet["authorChannelUrl"]
        assert item.metadata["video_id"] == snippet["videoId"]
        assert item.metadata["updated_at"] == parse_iso(snippet["updatedAt"]).isoformat()


def test_replies_are_paged_through_the_comments_endpoint(youtube):
    playback = serve_youtube(
        youtube, VIDEO, replies={THREAD_WITH_REPLIES: YOUTUBE_REPLY_FILES}, inline_replies=1
    )
    pages = list(YouTubeCollector().pages(target(), context(include_replies=True)))
    items = [item for page in pages for item in page.items]
    replies = recorded_replies()
    reply_items = [item for item in items if item.parent_id]
    assert len(reply_items) == len(replies)
    for item, reply in zip(reply_items, replies, strict=True):
        snippet = reply["snippet"]
        assert item.platform_id == f"{THREAD_WITH_REPLIES}.{reply['id'].split('.', 1)[1]}"
        assert item.parent_id == THREAD_WITH_REPLIES
        assert item.text == snippet["textOriginal"]
        assert item.author == snippet["authorDisplayName"]
        assert item.date == parse_iso(snippet["publishedAt"])
        assert item.url.endswith(f"&lc={item.platform_id}")
        assert item.metadata["video_id"] == VIDEO
    # Replies follow their thread.
    position = [item.platform_id for item in items].index(THREAD_WITH_REPLIES)
    assert items[position + 1 : position + 1 + len(replies)] == reply_items
    # Two recorded reply pages: two calls, the second with the first's token.
    calls = [params for endpoint, params in playback.requests if endpoint == "comments"]
    assert [call["parentId"] for call in calls] == [THREAD_WITH_REPLIES] * len(YOUTUBE_REPLY_FILES)
    assert "pageToken" not in calls[0] and calls[1]["pageToken"]
    assert playback.requests[0][1]["part"] == "snippet,replies"


def test_replies_carried_by_the_thread_need_no_extra_call(youtube):
    playback = serve_youtube(youtube, VIDEO, replies={THREAD_WITH_REPLIES: YOUTUBE_REPLY_FILES})
    items = [
        item
        for page in YouTubeCollector().pages(target(), context(include_replies=True))
        for item in page.items
    ]
    assert sum(1 for item in items if item.parent_id == THREAD_WITH_REPLIES) == len(recorded_replies())
    assert [endpoint for endpoint, _params in playback.requests] == ["commentThreads"]


def test_replies_are_not_fetched_unless_asked(youtube):
    playback = serve_youtube(youtube, VIDEO, replies={THREAD_WITH_REPLIES: YOUTUBE_REPLY_FILES})
    items = [item for page in YouTubeCollector().pages(target(), context()) for item in page.items]
    assert all(item.parent_id is None for item in items)
    assert [endpoint for endpoint, _params in playback.requests] == ["commentThreads"]


def test_stops_at_the_item_limit(youtube):
    playback = serve_youtube(youtube, VIDEO, page_size=3)
    pages = list(YouTubeCollector().pages(target(), context(max_items=4)))
    assert len(pages) == 2
    assert pages[-1].next_cursor is None
    assert len(playback.requests) == 2


def test_date_from_stops_on_the_newest_first_listing(youtube):
    threads = load("youtube", YOUTUBE_THREAD_FILES[0])["items"]
    playback = serve_youtube(youtube, VIDEO, page_size=2)
    dates = sorted(parse_iso(t["snippet"]["topLevelComment"]["snippet"]["publishedAt"]) for t in threads)
    cutoff = dates[2]
    pages = list(YouTubeCollector().pages(target(), context(date_from=cutoff)))
    items = [item for page in pages for item in page.items]
    assert items and all(item.date >= cutoff for item in items)
    assert pages[-1].next_cursor is None
    assert len(playback.requests) < -(-len(recorded_threads()) // 2)


def test_resume_from_a_page_token(youtube):
    serve_youtube(youtube, VIDEO, page_size=4)
    first = next(YouTubeCollector().pages(target(), context()))
    rest = list(YouTubeCollector().pages(target(), context(), cursor=first.next_cursor))
    ids = [item.platform_id for page in [first, *rest] for item in page.items]
    assert ids == [t["id"] for t in recorded_threads()]


def test_replicated_threads_keep_ids_unique(youtube):
    serve_youtube(youtube, VIDEO, count=250)
    items = [item for page in YouTubeCollector().pages(target(), context()) for item in page.items]
    assert len({item.platform_id for item in items}) == len(items) == 250
    dates = [item.date for item in items]
    assert dates == sorted(dates, reverse=True)


def test_missing_key_asks_for_one_in_the_vault(youtube):
    playback = serve_youtube(youtube, VIDEO)
    with pytest.raises(MissingCredentialError, match='add one on the API keys page under "youtube"'):
        list(YouTubeCollector().pages(target(), context(key=None)))
    assert playback.requests == []


def test_refused_key_and_unknown_video_are_explained(youtube):
    serve_youtube(youtube, VIDEO)
    with pytest.raises(CollectorError, match="refused the API key"):
        list(YouTubeCollector().pages(target(), context(key="wrong")))
    with pytest.raises(CollectorError, match="YouTube has no video with this id"):
        list(YouTubeCollector().pages(target("nope"), context()))


def test_quota_and_disabled_comments_are_explained(youtube):
    reasons = {"spent": "quotaExceeded", "closed": "commentsDisabled", "odd": "somethingNew"}

    def handler(request):
        reason = reasons[request.args["videoId"]]
        return json_response(
            {"error": {"code": 403, "message": f"{reason} happened", "errors": [{"reason": reason}]}}, 403
        )

    youtube.expect_request("/commentThreads").respond_with_handler(handler)
    with pytest.raises(CollectorError, match="used up its daily quota"):
        list(YouTubeCollector().pages(target("spent"), context()))
    with pytest.raises(CollectorError, match="comments are turned off"):
        list(YouTubeCollector().pages(target("closed"), context()))
    # An unknown reason still shows the API's own message.
    with pytest.raises(CollectorError, match=r"answered 403 .*somethingNew happened"):
        list(YouTubeCollector().pages(target("odd"), context()))


def test_changed_payload_is_a_layout_error(youtube):
    youtube.expect_request("/commentThreads").respond_with_json({"kind": "youtube#commentThreadListResponse"})
    with pytest.raises(LayoutChangedError, match="with items"):
        list(YouTubeCollector().pages(target(), context()))


def test_thread_without_its_comment_is_a_layout_error(youtube):
    youtube.expect_request("/commentThreads").respond_with_json({"items": [{"id": "x", "snippet": {}}]})
    with pytest.raises(LayoutChangedError, match="topLevelComment"):
        list(YouTubeCollector().pages(target(), context()))
