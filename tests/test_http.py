"""The polite HTTP client against a local server: retries, Retry-After, size caps, guard."""

import gzip
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from sentimatrix import http as http_module
from sentimatrix import netguard
from sentimatrix.http import (
    FetchError,
    HttpClient,
    HttpStatusError,
    NetworkError,
    NotJSONError,
    RateLimitedError,
    ResponseTooLargeError,
    TooManyRedirectsError,
    parse_retry_after,
    redact_url,
)
from sentimatrix.netguard import BlockedAddressError
from tests.playback import RecordingSleep


def client(**kwargs) -> HttpClient:
    kwargs.setdefault("rate_limit_delay", 0.0)
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("sleep", RecordingSleep())
    return HttpClient(**kwargs)


def in_turn(*responses: Response):
    """A handler answering each response once, in turn, then the last one again."""
    remaining = list(responses)

    def handler(_request):
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handler


def test_get_sends_the_product_user_agent_and_counts_requests(httpserver, settings):
    settings.SCRAPING_USER_AGENT = "SentimatrixStudio/test (+https://example.org/bot)"
    httpserver.expect_request("/a").respond_with_json({"ok": True})
    http = client()
    assert http.get_json(httpserver.url_for("/a")) == {"ok": True}
    assert http.get_json(httpserver.url_for("/a"), params={"page": "2"}) == {"ok": True}
    assert http.requests_made == 2
    request, _ = httpserver.log[-1]
    assert request.headers["User-Agent"] == settings.SCRAPING_USER_AGENT
    assert request.args["page"] == "2"


def test_defaults_come_from_settings(settings):
    settings.SCRAPING_TIMEOUT = 7
    settings.SCRAPING_MAX_RETRIES = 2
    settings.SCRAPING_MAX_RESPONSE_BYTES = 1234
    http = HttpClient()
    assert (http.timeout, http.max_retries, http.max_bytes) == (7.0, 2, 1234)
    assert http.session.headers["User-Agent"] == settings.SCRAPING_USER_AGENT


def test_429_retry_after_is_honoured(httpserver):
    httpserver.expect_request("/limited").respond_with_handler(
        in_turn(Response("slow down", status=429, headers={"Retry-After": "1"}), Response('{"n": 1}'))
    )
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    http = client(sleep=sleep)
    started = time.monotonic()
    assert http.get_json(httpserver.url_for("/limited")) == {"n": 1}
    elapsed = time.monotonic() - started
    assert waits == [1.0]
    assert elapsed >= 1.0
    assert http.requests_made == 2
    first, second = httpserver.log
    assert first[1].status_code == 429
    assert second[1].status_code == 200


def test_retry_after_as_an_http_date():
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("2", now=now) == 2.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_429_asking_for_too_long_a_wait_fails_at_once(httpserver):
    httpserver.expect_request("/limited").respond_with_data("no", status=429, headers={"Retry-After": "3600"})
    http = client(max_retry_after=120)
    with pytest.raises(RateLimitedError) as caught:
        http.get(httpserver.url_for("/limited"))
    assert "asks to wait 3600 s" in str(caught.value)
    assert caught.value.status == 429
    assert http.requests_made == 1
    assert http.sleep.waits == []


def test_429_every_time_gives_up_after_the_retries(httpserver):
    httpserver.expect_request("/limited").respond_with_data("no", status=429)
    http = client(max_retries=2)
    with pytest.raises(RateLimitedError, match="still rate limiting us after 3 attempts"):
        http.get(httpserver.url_for("/limited"))
    assert len(httpserver.log) == 3
    # Without Retry-After the client backs off on its own, with jitter inside the bounds.
    assert len(http.sleep.waits) == 2
    assert 0 <= http.sleep.waits[0] <= 1.0
    assert 0 <= http.sleep.waits[1] <= 2.0


def test_500_then_success(httpserver):
    httpserver.expect_request("/flaky").respond_with_handler(
        in_turn(Response("oops", status=500), Response('{"fine": true}'))
    )
    http = client(backoff_base=0.5)
    assert http.get_json(httpserver.url_for("/flaky")) == {"fine": True}
    assert http.requests_made == 2
    assert len(http.sleep.waits) == 1
    assert 0 <= http.sleep.waits[0] <= 0.5


def test_backoff_grows_exponentially_and_is_capped():
    http = client(backoff_base=1.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, http_module.MAX_BACKOFF)]:
        samples = [http._backoff(attempt) for _ in range(200)]
        assert all(0 <= sample <= ceiling for sample in samples)
        # Full jitter spreads waits over the whole range, not around the ceiling.
        assert min(samples) < ceiling / 4 < ceiling * 3 / 4 < max(samples)


def test_5xx_on_every_attempt_names_host_status_and_attempts(httpserver):
    httpserver.expect_request("/down").respond_with_data("busy", status=503)
    http = client(max_retries=3)
    with pytest.raises(HttpStatusError) as caught:
        http.get(httpserver.url_for("/down"))
    host = f"{httpserver.host}:{httpserver.port}"
    assert str(caught.value) == f"{host} answered 503 SERVICE UNAVAILABLE after 4 attempts"
    assert caught.value.status == 503
    assert len(httpserver.log) == 4


def test_4xx_is_not_retried_and_keeps_the_body(httpserver):
    httpserver.expect_request("/missing").respond_with_json({"error": "nope"}, status=404)
    http = client()
    with pytest.raises(HttpStatusError) as caught:
        http.get(httpserver.url_for("/missing"))
    assert caught.value.status == 404
    assert caught.value.response.json() == {"error": "nope"}
    assert "answered 404" in str(caught.value)
    assert len(httpserver.log) == 1


@pytest.fixture
def threaded_server():
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_timeout_then_success(threaded_server):
    calls = []
    release = threading.Event()
    late_answered = threading.Event()

    def handler(_request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            release.wait(30)  # held until the client has its answer: far past its timeout
            late_answered.set()
        return Response('{"late": false}', content_type="application/json")

    threaded_server.expect_request("/slow").respond_with_handler(handler)
    http = client(timeout=0.3, max_retries=2)
    try:
        assert http.get_json(threaded_server.url_for("/slow")) == {"late": False}
        assert not late_answered.is_set()  # the client gave up on the slow answer, not waited for it
    finally:
        release.set()
    assert len(calls) == 2
    assert http.requests_made == 2
    assert len(http.sleep.waits) == 1


def test_timeout_every_time_is_a_network_error(threaded_server):
    def handler(_request):
        time.sleep(0.5)
        return Response("late")

    threaded_server.expect_request("/slow").respond_with_handler(handler)
    http = client(timeout=0.2, max_retries=1)
    with pytest.raises(NetworkError, match=r"timed out after 2 attempts"):
        http.get(threaded_server.url_for("/slow"))


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = client(max_retries=2)
    with pytest.raises(NetworkError) as caught:
        http.get(f"http://127.0.0.1:{port}/x?key=SECRET123")
    assert str(caught.value).startswith(f"127.0.0.1:{port} could not be reached after 3 attempts")
    assert "SECRET123" not in str(caught.value)
    assert "SECRET123" not in caught.value.url
    assert http.requests_made == 3
    assert len(http.sleep.waits) == 2


def test_garbage_body_is_a_not_json_error_with_an_excerpt(httpserver):
    # The collectors call it a changed layout (tests/test_collector_steam.py), the LLM providers
    # a provider error: the client's own error says only what happened.
    httpserver.expect_request("/json").respond_with_data(
        "<html><body>Please verify you are a human</body></html>", content_type="text/html"
    )
    http = client()
    with pytest.raises(NotJSONError) as caught:
        http.get_json(httpserver.url_for("/json"))
    message = str(caught.value)
    assert isinstance(caught.value, FetchError)
    assert "did not answer JSON" in message
    assert "Please verify you are a human" in message
    assert http.requests_made == 1  # a bad body is not retried


def test_empty_body_is_a_not_json_error(httpserver):
    httpserver.expect_request("/json").respond_with_data("")
    with pytest.raises(NotJSONError, match="the body is empty"):
        client().get_json(httpserver.url_for("/json"))


def test_declared_size_over_the_cap_is_refused(httpserver):
    httpserver.expect_request("/big").respond_with_data("x" * 5000)
    http = client(max_bytes=1000)
    with pytest.raises(ResponseTooLargeError) as caught:
        http.get(httpserver.url_for("/big"))
    assert "5,000 bytes; the limit is 1,000" in str(caught.value)
    assert isinstance(caught.value, FetchError)


def test_streamed_body_over_the_cap_is_refused(httpserver):
    def handler(_request):
        # A generator body has no Content-Length: only counting the bytes catches it.
        return Response((b"y" * 1024 for _ in range(200)), content_type="text/plain")

    httpserver.expect_request("/stream").respond_with_handler(handler)
    with pytest.raises(ResponseTooLargeError, match="larger than the limit of 50,000 bytes"):
        client(max_bytes=50_000).get(httpserver.url_for("/stream"))


def test_compressed_body_is_capped_after_decompression(httpserver):
    packed = gzip.compress(b"0" * 500_000)
    httpserver.expect_request("/bomb").respond_with_data(
        packed, headers={"Content-Encoding": "gzip"}, content_type="text/plain"
    )
    assert len(packed) < 10_000
    with pytest.raises(ResponseTooLargeError):
        client(max_bytes=100_000).get(httpserver.url_for("/bomb"))


def test_body_under_the_cap_is_read_whole(httpserver):
    httpserver.expect_request("/ok").respond_with_data("é" * 300, content_type="text/plain")
    assert client(max_bytes=1000).get_text(httpserver.url_for("/ok")) == "é" * 300


def test_same_host_requests_are_spaced_other_hosts_are_not(httpserver):
    httpserver.expect_request("/p").respond_with_data("ok")
    http = client(rate_limit_delay=0.5)
    http.get(httpserver.url_for("/p"))
    http.get(httpserver.url_for("/p"))
    assert len(http.sleep.waits) == 1
    assert 0.4 < http.sleep.waits[0] <= 0.5
    # "127.0.0.1:port" is another host name than "localhost:port": it has its own clock.
    http.get(f"http://127.0.0.1:{httpserver.port}/p")
    assert len(http.sleep.waits) == 1


def test_rate_limit_delay_really_spaces_requests(httpserver):
    httpserver.expect_request("/p").respond_with_data("ok")
    http = client(rate_limit_delay=0.3, sleep=time.sleep)
    started = time.monotonic()
    for _ in range(3):
        http.get(httpserver.url_for("/p"))
    assert time.monotonic() - started >= 0.6


def test_a_platform_minimum_delay_raises_the_spacing_for_its_host(httpserver):
    httpserver.expect_request("/p").respond_with_data("ok")
    http = client(rate_limit_delay=0.1)
    http.set_min_delay(httpserver.url_for("/"), 1.0)
    http.get(httpserver.url_for("/p"))
    http.get(httpserver.url_for("/p"))
    assert 0.9 < http.sleep.waits[0] <= 1.0


def test_post_sends_form_and_basic_auth(httpserver):
    httpserver.expect_request(
        "/token", method="POST", data="grant_type=client_credentials"
    ).respond_with_json({"access_token": "t"})
    http = client()
    assert http.post_json(
        httpserver.url_for("/token"), data={"grant_type": "client_credentials"}, auth=("id", "secret")
    ) == {"access_token": "t"}
    request, _ = httpserver.log[0]
    assert (request.authorization.username, request.authorization.password) == ("id", "secret")


def test_redirects_are_followed_and_counted(httpserver):
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data("moved here")
    http = client()
    response = http.get(httpserver.url_for("/old"))
    assert response.text == "moved here"
    assert response.url == httpserver.url_for("/new")
    assert http.requests_made == 2


def test_redirect_loops_stop(httpserver):
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(TooManyRedirectsError, match="more than 5 redirects"):
        client().get(httpserver.url_for("/loop"))
    assert len(httpserver.log) == 6


def test_credentials_do_not_follow_a_redirect_to_another_host(httpserver):
    other = f"http://127.0.0.1:{httpserver.port}/landing"  # the server answers as "localhost"
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": other})
    httpserver.expect_request("/landing").respond_with_data("landed")
    client().get(httpserver.url_for("/go"), headers={"Authorization": "bearer secret"})
    first, second = (request for request, _ in httpserver.log)
    assert first.headers.get("Authorization") == "bearer secret"
    assert second.headers.get("Authorization") is None


def test_guard_refuses_loopback_unless_allowed(httpserver, settings):
    httpserver.expect_request("/feed").respond_with_data("ok")
    settings.SCRAPING_ALLOW_LOOPBACK = False
    with pytest.raises(BlockedAddressError, match="loopback"):
        client(guard=True).get(httpserver.url_for("/feed"))
    assert httpserver.log == []
    settings.SCRAPING_ALLOW_LOOPBACK = True
    assert client(guard=True).get_text(httpserver.url_for("/feed")) == "ok"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/internal",
        "http://127.0.0.1:9/",
        "http://localhost:9/admin",
        "http://[::1]:9/",
        "file:///etc/passwd",
    ],
)
def test_guard_checks_every_redirect_hop(httpserver, monkeypatch, location):
    """The test server itself is on loopback; only its own URLs are let through, so the
    redirect target meets the real guard with loopback refused."""
    real_check = netguard.check_url
    server = httpserver.url_for("/")
    checked = []

    def check_url(url, **policy):
        checked.append(url)
        return real_check(url, allow_loopback=url.startswith(server))

    monkeypatch.setattr(netguard, "check_url", check_url)
    httpserver.expect_request("/jump").respond_with_data("", status=302, headers={"Location": location})
    with pytest.raises(BlockedAddressError):
        client(guard=True).get(httpserver.url_for("/jump"))
    assert checked == [httpserver.url_for("/jump"), location]
    assert len(httpserver.log) == 1


def test_unguarded_client_does_not_check_addresses(httpserver, settings):
    settings.SCRAPING_ALLOW_LOOPBACK = False
    httpserver.expect_request("/api").respond_with_data("ok")
    # Platform APIs (fixed base URLs from settings) do not go through the guard.
    assert client().get_text(httpserver.url_for("/api")) == "ok"


def test_secrets_are_masked_in_error_urls(httpserver):
    httpserver.expect_request("/v3/things").respond_with_json({}, status=403)
    with pytest.raises(HttpStatusError) as caught:
        client().get(httpserver.url_for("/v3/things"), params={"key": "AIzaSECRET", "part": "snippet"})
    assert "AIzaSECRET" not in str(caught.value)
    assert "AIzaSECRET" not in caught.value.url
    assert "part=snippet" in caught.value.url
    assert redact_url("https://x.test/a?token=abc&q=1") == "https://x.test/a?token=***&q=1"
