"""A local Google Play for tests and benches: the ``batchexecute`` reviews call and app pages.

The answers are the constructed files under ``tests/fixtures/constructed/`` (see the README
there), or, for job tests and benches that need many reviews, pages generated in the same
shape. Each request is recorded (``served.calls``: the decoded ``UsvDTd`` arguments) so tests
can check what the collector asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
BATCH_PATH = "/_/PlayStoreUi/data/batchexecute"
DETAILS_PATH = "/store/apps/details"
PACKAGE = "com.harmony.music"
FIRST = None  # the token of the first page
# 2024-03-15 12:00:00 UTC: generated reviews count back from here, one hour apart.
NEWEST_SECONDS = 1710504000


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@dataclass
class Call:
    """What one ``UsvDTd`` request asked for."""

    package: str
    sort: int
    count: int
    token: str | None
    rating: int | None
    hl: str
    gl: str


@dataclass
class Served:
    calls: list[Call] = field(default_factory=list)
    details_requests: int = 0


def decode_call(request: Request) -> Call:
    """The arguments of the ``UsvDTd`` call in a batchexecute form body."""
    envelope = json.loads(request.form["f.req"])
    rpc, args_text = envelope[0][0][0], envelope[0][0][1]
    assert rpc == "UsvDTd", rpc
    args = json.loads(args_text)
    options, app = args[2], args[3]
    return Call(
        package=app[0],
        sort=options[1],
        count=options[2][0],
        token=options[2][2],
        rating=options[4][1],
        hl=request.args.get("hl", ""),
        gl=request.args.get("gl", ""),
    )


def answer(payload: object) -> str:
    """A batchexecute answer carrying ``payload`` in its ``UsvDTd`` row."""
    text = None if payload is None else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    rows = [["wrb.fr", "UsvDTd", text, None, None, None, "generic"], ["di", 57], ["af.httprm", 56, "-1", 13]]
    return ")]}'\n\n" + json.dumps(rows, separators=(",", ":"), ensure_ascii=False) + "\n"


def generated_review(number: int) -> list:
    """Review ``number`` (0: the newest) in the store's shape; every third has a reply."""
    seconds = NEWEST_SECONDS - number * 3600
    texts = (
        "The new equaliser makes my headphones sound great, love this update.",
        "Crashes every time I open a playlist, really frustrating and slow.",
        "Decent app overall, the widget could refresh more often.",
    )
    reply = (
        ["Harmony Music Ltd.", f"Thanks for review {number}!", [seconds + 600, 0]]
        if number % 3 == 0
        else None
    )
    return [
        f"gp:generated-{number:06d}",
        [f"Listener {number}", None],
        (5, 1, 3)[number % 3],
        None,
        f"{texts[number % 3]} (#{number})",
        [seconds, 0],
        number % 11,
        reply,
        None,
        None,
        "9.0.1",
        None,
        None,
    ]


def serve_pages(
    httpserver: HTTPServer, pages: dict[str | None, str], *, details: str | None = None
) -> Served:
    """Answer the reviews call with ``pages[token]`` (a fixture name) and the app page with
    ``details`` (a fixture name; None: 404)."""
    served = Served()

    def reviews(request: Request) -> Response:
        call = decode_call(request)
        served.calls.append(call)
        if call.token not in pages:
            return Response(answer(None), content_type="application/json; charset=utf-8")
        return Response(fixture(pages[call.token]), content_type="application/json; charset=utf-8")

    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_handler(reviews)
    _serve_details(httpserver, served, fixture(details) if details else None)
    return served


def serve_generated(httpserver: HTTPServer, total: int, *, details: bool = True) -> Served:
    """Answer the reviews call with ``total`` generated reviews, newest first, in pages of the
    size asked for; the token is the offset of the next page."""
    served = Served()

    def reviews(request: Request) -> Response:
        call = decode_call(request)
        served.calls.append(call)
        start = int(call.token or 0)
        end = min(total, start + call.count)
        rows = [generated_review(n) for n in range(start, end)]
        rows = [row for row in rows if call.rating is None or row[2] == call.rating]
        payload = [rows, [None, str(end)] if end < total else [None]] if end > start else None
        return Response(answer(payload), content_type="application/json; charset=utf-8")

    httpserver.expect_request(BATCH_PATH, method="POST").respond_with_handler(reviews)
    _serve_details(httpserver, served, fixture("constructed_googleplay_details.html") if details else None)
    return served


def _serve_details(httpserver: HTTPServer, served: Served, html: str | None) -> None:
    def details(_request: Request) -> Response:
        served.details_requests += 1
        if html is None:
            return Response("<html><body>Not Found</body></html>", status=404, content_type="text/html")
        return Response(html, content_type="text/html; charset=utf-8")

    httpserver.expect_request(DETAILS_PATH, method="GET").respond_with_handler(details)
