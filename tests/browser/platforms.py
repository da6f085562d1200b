"""The local playback server of the browser journeys: Steam, Reddit and YouTube recorded
answers, and a webhook receiver that keeps what it was sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.playback import REDDIT_POST, serve_reddit, serve_steam, serve_youtube

STEAM_APP = "573170"
YOUTUBE_VIDEO = "F1UP7wRCPH8"
URLS = (
    f"https://store.steampowered.com/app/{STEAM_APP}/",
    f"https://www.reddit.com/r/Python/comments/{REDDIT_POST}/launch_day_thread/",
    f"https://www.youtube.com/watch?v={YOUTUBE_VIDEO}",
)
RECEIVER_PATH = "/receiver"


@dataclass
class Receiver:
    """What the webhook receiver was sent: one ``(headers, body)`` per request."""

    deliveries: list[tuple[dict, dict]] = field(default_factory=list)


def start_platforms() -> tuple[HTTPServer, Receiver]:
    """Start the playback server with the journeys' platforms and the receiver."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    serve_steam(server, STEAM_APP)
    serve_reddit(server)
    serve_youtube(server, YOUTUBE_VIDEO)
    receiver = Receiver()

    def receive(request: Request) -> Response:
        receiver.deliveries.append((dict(request.headers), json.loads(request.get_data() or b"{}")))
        return Response("ok")

    server.expect_request(RECEIVER_PATH, method="POST").respond_with_handler(receive)
    return server, receiver
