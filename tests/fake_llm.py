"""A fake LLM provider on a pytest-httpserver ``HTTPServer``, speaking both protocols.

``POST /v1/chat/completions`` answers like OpenAI's chat completions (base URL
``fake.openai_base_url``, ending in ``/v1``) and ``POST /v1/messages`` like Anthropic's
messages API (base URL ``fake.anthropic_base_url``). The fake reads the batched prompt the way
a model would: the items' ids and texts from the user message's JSON lines, the parts asked
for and the allowed labels from the system message. It answers with valid JSON computed
deterministically from each text by :func:`analyse_text` (a tiny word list, deliberately not
the local engine's, so tests can tell the two engines' answers apart).

``usage`` is computed from the request size: prompt tokens are the characters of the system
and user messages divided by 4 (rounded up) plus :data:`TOKENS_PER_MESSAGE` per message (the
chat format's framing), completion tokens the answer's characters divided by 4.

Behaviours on demand, one per request in order (``fake.then("rate_limit", "ok")``), then
``fake.default`` (``"ok"`` unless changed):

- ``ok``: the answer; ``fenced``: the same inside a Markdown code fence;
- ``malformed``: text that is not JSON; ``truncated``: the JSON cut after its first entries,
  as when ``max_tokens`` is reached; ``drop_half``: every second id left out;
  ``invalid_first``: the first entry's sentiment score out of range;
- ``rate_limit``: 429 with ``Retry-After: fake.retry_after``; ``server_error``: 500;
  ``unauthorized``: 401 with the provider's error body; ``slow``: the answer after
  ``fake.slow_seconds``; ``no_usage``: the answer without a ``usage`` object;
- any callable taking the :class:`Call` and returning a werkzeug ``Response``.

Every request is recorded in ``fake.calls``. With ``api_key`` set, a request without that key
(Bearer or ``x-api-key``) gets a 401.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3

POSITIVE_WORDS = frozenset({
    "good", "great", "excellent", "love", "loved", "amazing", "awesome", "perfect", "best", "nice",
    "happy", "recommend", "fantastic", "wonderful", "works", "fine", "fast", "easy", "comfortable",
    "beautiful", "impressed", "pleased",
})  # fmt: skip
NEGATIVE_WORDS = frozenset({
    "bad", "terrible", "awful", "hate", "hated", "worst", "broke", "broken", "poor", "disappointed",
    "disappointing", "slow", "useless", "waste", "junk", "problem", "problems", "fails", "failed",
    "cheap", "return", "returned", "refund", "noisy",
})  # fmt: skip
_WORD_RE = re.compile(r"[a-z']+")
_PARTS_RE = re.compile(r"Parts to return: ([a-z, ]+)\.")
_LABELS_RE = re.compile(r'"label": one of ([a-z_|]+)')
_EMOTIONS_RE = re.compile(r"allowed emotions e: ([a-z, ]+)\.")

Mode = str | Callable[["Call"], Response]


@dataclass
class Call:
    """One request the fake received."""

    protocol: str  # "openai" or "anthropic"
    body: dict
    headers: dict
    system: str
    user: str
    items: list[dict]  # {"id", "text"} in the order sent
    mode: str = "ok"
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens reported, if answered

    @property
    def ids(self) -> list[str]:
        return [item["id"] for item in self.items]


@dataclass
class Prompted:
    """What the system message asks for."""

    parts: list[str] = field(default_factory=list)
    sentiment_labels: list[str] = field(default_factory=list)
    emotion_labels: list[str] = field(default_factory=list)


def read_system(system: str) -> Prompted:
    """The parts and label sets a system message asks for."""
    prompted = Prompted()
    if match := _PARTS_RE.search(system):
        prompted.parts = [p.strip() for p in match.group(1).split(",") if p.strip()]
    if match := _LABELS_RE.search(system):
        prompted.sentiment_labels = match.group(1).split("|")
    if match := _EMOTIONS_RE.search(system):
        prompted.emotion_labels = [e.strip() for e in match.group(1).split(",") if e.strip()]
    return prompted


def read_items(user: str) -> list[dict]:
    """The ``{"id", "text"}`` items of a batched user message (one JSON object per line)."""
    items = []
    for raw in user.splitlines():
        line = raw.strip()
        if line.startswith("{"):
            data = json.loads(line)
            items.append({"id": str(data["id"]), "text": data["text"]})
    return items


def word_score(text: str) -> float:
    """The fake model's sentiment score: (positive - negative words) / (their sum + 1)."""
    words = _WORD_RE.findall(text.lower())
    pos = sum(w in POSITIVE_WORDS for w in words)
    neg = sum(w in NEGATIVE_WORDS for w in words)
    return round((pos - neg) / (pos + neg + 1), 2)


def _label(score: float, labels: list[str]) -> str:
    if "very_positive" in labels and score >= 0.6:
        return "very_positive"
    if "very_negative" in labels and score <= -0.6:
        return "very_negative"
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def _first(candidates: tuple[str, ...], labels: list[str]) -> str | None:
    return next((c for c in candidates if c in labels), None)


def analyse_text(text: str, prompted: Prompted) -> dict[str, Any]:
    """The fake model's parts for one text (without the id), for the parts asked for."""
    score = word_score(text)
    confidence = round(0.5 + abs(score) / 2, 2)
    out: dict[str, Any] = {}
    if "sentiment" in prompted.parts:
        label = _label(score, prompted.sentiment_labels or ["positive", "neutral", "negative"])
        five = _label(score, ["very_positive", "very_negative"])
        rest = round((1 - confidence) / 4, 4)
        scores = {k: rest for k in ("very_positive", "positive", "neutral", "negative", "very_negative")}
        scores[five] = confidence
        out["sentiment"] = {"label": label, "score": score, "confidence": confidence, "scores": scores}
    if "emotions" in prompted.parts:
        labels = prompted.emotion_labels
        if score > 0:
            emotion = _first(("joy", "admiration", "trust"), labels)
        elif score < 0:
            emotion = _first(("anger", "disappointment", "sadness"), labels)
        else:
            emotion = _first(("neutral",), labels)
        detected = [{"emotion": emotion, "score": confidence}] if emotion else []
        out["emotions"] = {
            "primary": emotion,
            "primary_score": confidence if emotion else 0.0,
            "detected": detected,
        }
    if "summary" in prompted.parts:
        out["summary"] = {"text": text[:60].strip(), "key_points": [text[:30].strip()] if text else []}
    if "insights" in prompted.parts:
        words = [w for w in _WORD_RE.findall(text.lower()) if len(w) > 3]
        out["insights"] = {
            "pros": [text[:40].strip()] if score > 0 else [],
            "cons": [text[:40].strip()] if score < 0 else [],
            "topics": [{"topic": words[0], "sentiment": score}] if words else [],
        }
    return out


def tokens(text: str) -> int:
    """The fake's token count of ``text``: characters / 4, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class FakeLLM:
    """Registers both protocols' endpoints on ``server`` (see the module docstring)."""

    def __init__(self, server: HTTPServer, *, api_key: str | None = None):
        self.server = server
        self.api_key = api_key
        self.calls: list[Call] = []
        self.default: Mode = "ok"
        self.retry_after = 1
        self.slow_seconds = 1.0
        self._script: deque[Mode] = deque()
        self._lock = threading.Lock()
        server.expect_request(OPENAI_PATH, method="POST").respond_with_handler(self._openai)
        server.expect_request(ANTHROPIC_PATH, method="POST").respond_with_handler(self._anthropic)

    @property
    def openai_base_url(self) -> str:
        return self.server.url_for("/v1")

    @property
    def anthropic_base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def base_url(self, protocol: str) -> str:
        """The base URL for ``protocol`` ("anthropic", else OpenAI's)."""
        return self.anthropic_base_url if protocol == "anthropic" else self.openai_base_url

    def then(self, *modes: Mode) -> FakeLLM:
        """Queue behaviours for the next requests, one each, in order."""
        with self._lock:
            self._script.extend(modes)
        return self

    def expected(self, text: str, system: str) -> dict[str, Any]:
        """What the fake answers for ``text`` under a system message."""
        return analyse_text(text, read_system(system))

    @property
    def total_usage(self) -> tuple[int, int]:
        """(prompt, completion) tokens of every answered request."""
        answered = [c.usage for c in self.calls if c.usage is not None]
        return sum(u[0] for u in answered), sum(u[1] for u in answered)

    # --- handlers -----------------------------------------------------------------------
    def _openai(self, request: Request) -> Response:
        body = request.get_json(force=True)
        messages = body.get("messages") or []
        system = "\n".join(m["content"] for m in messages if m.get("role") == "system")
        user = "\n".join(m["content"] for m in messages if m.get("role") == "user")
        supplied = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        call = Call("openai", body, dict(request.headers), system, user, read_items(user))
        return self._handle(call, supplied, len(messages))

    def _anthropic(self, request: Request) -> Response:
        body = request.get_json(force=True)
        messages = body.get("messages") or []
        user = "\n".join(m["content"] for m in messages if m.get("role") == "user")
        system = body.get("system") or ""
        supplied = request.headers.get("x-api-key") or ""
        call = Call("anthropic", body, dict(request.headers), system, user, read_items(user))
        return self._handle(call, supplied, len(messages) + 1)

    def _handle(self, call: Call, supplied: str, n_messages: int) -> Response:
        protocol, body = call.protocol, call.body
        with self._lock:
            mode = self._script.popleft() if self._script else self.default
        call.mode = mode if isinstance(mode, str) else getattr(mode, "__name__", "custom")
        self.calls.append(call)
        if self.api_key is not None and supplied != self.api_key:
            return self._error(protocol, 401, "authentication_error", "invalid x-api-key / Bearer key")
        if callable(mode):
            return mode(call)
        if mode == "rate_limit":
            response = self._error(protocol, 429, "rate_limit_error", "Rate limit reached, slow down")
            response.headers["Retry-After"] = str(self.retry_after)
            return response
        if mode == "server_error":
            return self._error(protocol, 500, "api_error", "internal error")
        if mode == "unauthorized":
            return self._error(protocol, 401, "authentication_error", "Incorrect API key provided")
        if mode == "slow":
            time.sleep(self.slow_seconds)
        text = self._answer_text(call, mode)
        call.usage = (tokens(call.system) + tokens(call.user) + TOKENS_PER_MESSAGE * n_messages, tokens(text))
        payload = self._payload(protocol, body, text, call.usage, with_usage=mode != "no_usage")
        return Response(json.dumps(payload), status=200, content_type="application/json")

    def _answer_text(self, call: Call, mode: str) -> str:
        prompted = read_system(call.system)
        entries = [{"id": item["id"], **analyse_text(item["text"], prompted)} for item in call.items]
        if mode == "drop_half":
            entries = entries[::2]
        if mode == "invalid_first" and entries and "sentiment" in entries[0]:
            entries[0]["sentiment"]["score"] = 7
        text = json.dumps({"results": entries}, ensure_ascii=False, separators=(",", ":"))
        if mode == "malformed":
            return "Sure! Here is the analysis: {results: [id 1 positive"
        if mode == "fenced":
            return f"```json\n{text}\n```"
        if mode == "truncated":
            # The first half of the entries complete, then half of the next one: an answer cut
            # at max_tokens looks like this.
            keep = max(1, len(entries) // 2)
            dumped = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in entries]
            cut = '{"results":[' + ",".join(dumped[:keep])
            if keep < len(dumped):
                cut += "," + dumped[keep][: len(dumped[keep]) // 2]
            return cut
        return text

    @staticmethod
    def _payload(protocol: str, body: dict, text: str, usage: tuple[int, int], with_usage: bool) -> dict:
        if protocol == "anthropic":
            payload = {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
            }
        else:
            payload = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": usage[0],
                    "completion_tokens": usage[1],
                    "total_tokens": sum(usage),
                },
            }
        if not with_usage:
            payload.pop("usage")
        return payload

    @staticmethod
    def _error(protocol: str, status: int, kind: str, message: str) -> Response:
        if protocol == "anthropic":
            payload = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            payload = {"error": {"message": message, "type": kind, "code": None}}
        return Response(json.dumps(payload), status=status, content_type="application/json")
