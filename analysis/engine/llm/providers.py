"""The two wire protocols an LLM provider speaks, over the project's polite HTTP client.

- :class:`OpenAIChat`: OpenAI chat completions, ``POST {base}/chat/completions`` with a Bearer
  key and ``response_format={"type": "json_object"}``. OpenAI, Groq, OpenRouter, Ollama and
  vLLM (any "OpenAI-compatible" endpoint) speak it; ``base`` ends in ``/v1``.
- :class:`AnthropicMessages`: Anthropic messages, ``POST {base}/v1/messages`` with
  ``x-api-key`` and ``anthropic-version: 2023-06-01``. Anthropic has no JSON mode; the prompt
  asks for JSON and :mod:`.schema` digs the object out of the text.

Each ``complete()`` returns a :class:`Completion`: the answer's text and the token counts of
the response's ``usage``. A server that reports no usage (some local ones) gets an estimate from
the request's and answer's sizes (:func:`.prompt.estimate_tokens`), flagged ``estimated``.

Failures become :class:`ProviderError` with a message an analyst can read (the provider's own
error message when it sent one, never the key). Rate limits and 5xx answers are retried by
:class:`sentimatrix.http.HttpClient` (``Retry-After`` honoured); what still fails arrives here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from analysis.engine.llm.prompt import estimate_tokens
from sentimatrix import netguard
from sentimatrix.http import (
    FetchError,
    HttpClient,
    HttpStatusError,
    NetworkError,
    RateLimitedError,
    excerpt,
    host_of,
)

ANTHROPIC_VERSION = "2023-06-01"
OPENAI = "openai"
ANTHROPIC = "anthropic"
#: Statuses that will not get better by asking again with the same key, model and request
#: shape: a wrong key, a model the account cannot use, a request the server rejects.
FATAL_STATUSES = frozenset({400, 401, 403, 404, 422})
#: OpenAI models that take ``max_completion_tokens`` and only the default temperature.
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


class ProviderError(Exception):
    """A provider call failed for good. ``fatal`` means no later request of this run will do
    better (bad key, unknown model); ``status`` is the HTTP status, if there was one."""

    def __init__(self, message: str, *, status: int | None = None, fatal: bool = False):
        super().__init__(message)
        self.status = status
        self.fatal = fatal


@dataclass(frozen=True)
class Completion:
    """One answer: its text and the tokens it cost (``estimated`` when the server did not say)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False


class Protocol:
    """A provider endpoint: base URL, key, and the client requests go through."""

    name = ""

    def __init__(self, base_url: str, api_key: str, http: HttpClient):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http

    def complete(
        self, *, system: str, user: str, model: str, temperature: float, max_tokens: int
    ) -> Completion:
        """Send one system + user message pair; raises :class:`ProviderError`."""
        raise NotImplementedError

    def _url(self, path: str) -> str:
        """``path`` under the base URL, never moved into a query or fragment of it."""
        try:
            return netguard.join_path(self.base_url, path)
        except netguard.BlockedAddressError as exc:
            raise ProviderError(f"the provider's base URL is not usable: {exc}", fatal=True) from exc

    def _post(self, url: str, body: dict, headers: dict) -> Any:
        try:
            response = self.http.post(url, json=body, headers=headers)
        except HttpStatusError as exc:
            status = exc.status
            detail = _error_detail(exc.response)
            message = f"{host_of(url)} answered {status}" + (f": {detail}" if detail else "")
            raise ProviderError(message, status=status, fatal=status in FATAL_STATUSES) from exc
        except RateLimitedError as exc:
            raise ProviderError(str(exc), status=429) from exc
        except NetworkError as exc:
            raise ProviderError(str(exc)) from exc
        except FetchError as exc:  # too large, redirects, an address the guard refuses
            raise ProviderError(str(exc), fatal=True) from exc
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProviderError(f"{host_of(url)} did not answer JSON: {excerpt(response.content)}") from exc


class OpenAIChat(Protocol):
    """OpenAI chat completions (and every server that copies it)."""

    name = OPENAI

    def complete(
        self, *, system: str, user: str, model: str, temperature: float, max_tokens: int
    ) -> Completion:
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": {"type": "json_object"},
        }
        if model.lower().split("/")[-1].startswith(_REASONING_PREFIXES):
            # OpenAI's reasoning models refuse max_tokens and any temperature but the default.
            body["max_completion_tokens"] = max_tokens
        else:
            body["max_tokens"] = max_tokens
            body["temperature"] = temperature
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        data = self._post(self._url("/chat/completions"), body, headers)
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderError(f"{host_of(self.base_url)} answered without a message") from exc
        usage = data.get("usage") if isinstance(data, dict) else None
        return _completion(text, system + user, usage, "prompt_tokens", "completion_tokens")


class AnthropicMessages(Protocol):
    """Anthropic's messages API."""

    name = ANTHROPIC

    def complete(
        self, *, system: str, user: str, model: str, temperature: float, max_tokens: int
    ) -> Completion:
        body = {
            "model": model,
            "system": system,
            "messages": [{"role": "user", "content": user}],
            "max_tokens": max_tokens,
            # Anthropic takes 0..1; a project may store up to 2 for OpenAI-style providers.
            "temperature": min(1.0, max(0.0, temperature)),
        }
        headers = {"x-api-key": self.api_key, "anthropic-version": ANTHROPIC_VERSION}
        data = self._post(self._url("/v1/messages"), body, headers)
        try:
            text = "".join(block.get("text", "") for block in data["content"] if block.get("type") == "text")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProviderError(f"{host_of(self.base_url)} answered without content") from exc
        usage = data.get("usage") if isinstance(data, dict) else None
        return _completion(text, system + user, usage, "input_tokens", "output_tokens")


def protocol_for(provider: str, base_url: str, api_key: str, http: HttpClient) -> Protocol:
    """Anthropic's protocol for ``anthropic``, OpenAI's for every other provider."""
    cls = AnthropicMessages if provider == ANTHROPIC else OpenAIChat
    return cls(base_url, api_key, http)


def _completion(text: str, sent: str, usage: Any, prompt_key: str, completion_key: str) -> Completion:
    usage = usage if isinstance(usage, dict) else {}
    prompt, completion = usage.get(prompt_key), usage.get(completion_key)
    if isinstance(prompt, int) and isinstance(completion, int):
        return Completion(text, prompt, completion)
    return Completion(text, estimate_tokens(sent), estimate_tokens(text), estimated=True)


def _error_detail(response) -> str:
    """The provider's error message from its JSON error body (both protocols nest it under
    ``error.message``), else an excerpt of the body."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return excerpt(response.content or b"", 200)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return excerpt(str(error["message"]), 200)
    if isinstance(error, str):
        return excerpt(error, 200)
    return excerpt(response.content or b"", 200)
