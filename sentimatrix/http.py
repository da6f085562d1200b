"""The polite HTTP client the collectors and the LLM providers fetch through.

One ``HttpClient`` per job run (or per engine): it spaces requests to the same host by
``rate_limit_delay``, retries 5xx answers and network errors with exponential backoff and
full jitter, honours ``Retry-After`` on 429, caps the size of a response body, sends a
User-Agent naming the product, and counts the requests it sends (``requests_made``) so the
runner can enforce daily request caps. With ``guard=True`` (or a ``netguard.Policy``) every
URL, including each redirect hop and each retry, must pass ``sentimatrix.netguard.check_url``,
and the connection goes to the address that was checked (no second DNS answer is used).

Final failures raise ``FetchError`` subclasses whose messages an analyst can read. They are this
module's own: the collectors turn them into a target's failure and the LLM providers into a
provider's error, each in its own words where it needs to.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings

from sentimatrix import netguard
from sentimatrix.timeutil import as_utc

#: Longest ``Retry-After`` the client waits out; a longer one fails the request.
MAX_RETRY_AFTER = 120.0
#: Backoff never sleeps longer than this between two attempts.
MAX_BACKOFF = 30.0
MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
#: Failures worth another attempt: the next one may well succeed.
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class FetchError(Exception):
    """A request failed for good (after retries), or its answer is not what was asked for.

    ``url`` has secrets in its query string masked; ``status`` is the last HTTP status, if any.
    Messages name the host, never the full URL, since API keys travel in query strings.
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None):
        super().__init__(message)
        self.url = redact_url(url)
        self.status = status


class HttpStatusError(FetchError):
    """The server answered with an error status (4xx, or 5xx after every retry).

    ``response`` is the answer, body read, so callers can turn a platform's error payload
    (quota exhausted, comments disabled, ...) into a better message.
    """

    def __init__(self, message: str, *, response: requests.Response):
        super().__init__(message, url=response.url, status=response.status_code)
        self.response = response


class RateLimitedError(FetchError):
    """The server kept answering 429, or asked for a wait longer than the client accepts."""


class ResponseTooLargeError(FetchError):
    """The response body is larger than ``max_bytes``."""


class NetworkError(FetchError):
    """Connection errors or timeouts on every attempt."""


class TooManyRedirectsError(FetchError):
    """More than ``MAX_REDIRECTS`` redirects, or a redirect without a Location."""


class BlockedURLError(FetchError, netguard.BlockedAddressError):
    """The SSRF guard refused the URL (or a redirect hop); nothing was sent to it."""


class NotJSONError(FetchError):
    """The answer to a request for JSON is not JSON (an error page, a captcha, nothing)."""


#: Query parameters whose values never appear in errors or logs.
SECRET_PARAMS = frozenset(
    {"key", "api_key", "apikey", "access_token", "token", "client_secret", "password", "secret", "sig"}
)


def redact_url(url: str) -> str:
    """``url`` with the values of secret-looking query parameters replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (name, "***" if name.lower() in SECRET_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def host_of(url: str) -> str:
    """The host (and port, when given) requests to ``url`` are rate-limited under."""
    return urlsplit(url).netloc.lower().rsplit("@", 1)[-1]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (as_utc(when) - (now or datetime.now(UTC))).total_seconds())


def excerpt(text: str | bytes, limit: int = 120) -> str:
    """A short one-line excerpt of a body, for error messages."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode_json(response: requests.Response) -> Any:
    """The JSON body of ``response``; ``NotJSONError`` with an excerpt when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        host = host_of(response.url)
        body = excerpt(response.content)
        shown = f'it begins "{body}"' if body else "the body is empty"
        raise NotJSONError(
            f"{host} did not answer JSON: {shown}", url=response.url, status=response.status_code
        ) from exc


class HttpClient:
    """A ``requests.Session`` with per-host spacing, retries, size caps and an SSRF guard.

    ``sleep`` is injectable so tests can record waits instead of sleeping. Not shared
    between processes: spacing is per client (one client per job run).
    """

    def __init__(  # noqa: PLR0917 - the signature other modules were promised
        self,
        rate_limit_delay: float = 1.0,
        timeout: float | None = None,
        max_retries: int | None = None,
        max_bytes: int | None = None,
        guard: bool | netguard.Policy = False,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        backoff_base: float = 1.0,
        max_retry_after: float = MAX_RETRY_AFTER,
        allow_loopback: bool | None = None,
    ):
        self.rate_limit_delay = max(0.0, float(rate_limit_delay))
        self.timeout = float(timeout if timeout is not None else settings.SCRAPING_TIMEOUT)
        self.max_retries = int(max_retries if max_retries is not None else settings.SCRAPING_MAX_RETRIES)
        self.max_bytes = int(max_bytes if max_bytes is not None else settings.SCRAPING_MAX_RESPONSE_BYTES)
        self.guard = guard
        self.allow_loopback = allow_loopback
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.requests_made = 0
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent or settings.SCRAPING_USER_AGENT
        # Guarded requests are checked and pinned to the checked address by this transport;
        # others pass through it unchanged (the guarded copy of a client shares the session).
        # Every scheme is mounted, so a guarded redirect to file:// meets the guard's refusal.
        adapter = netguard.PinnedAdapter()
        for prefix in ("", "http://", "https://"):
            self.session.mount(prefix, adapter)
        self._host_delay: dict[str, float] = {}
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def policy(self) -> netguard.Policy | None:
        """What the guard lets through, or None when this client is not guarded.

        ``guard=True`` refuses every non-public address; loopback passes only with
        ``allow_loopback`` (default: ``settings.SCRAPING_ALLOW_LOOPBACK``, for tests).
        """
        if isinstance(self.guard, netguard.Policy):
            return self.guard
        if not self.guard:
            return None
        allow = self.allow_loopback
        return netguard.Policy(
            allow_loopback=bool(settings.SCRAPING_ALLOW_LOOPBACK if allow is None else allow)
        )

    # --- public API ---------------------------------------------------------------------
    def get(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> requests.Response:
        """GET ``url``; raises ``FetchError`` subclasses when it fails for good."""
        return self.request("GET", url, params=params, headers=headers)

    def post(
        self,
        url: str,
        *,
        data: Any = None,
        json: Any = None,
        headers: dict | None = None,
        auth: Any = None,
    ) -> requests.Response:
        """POST to ``url``; same retries and errors as ``get``."""
        return self.request("POST", url, data=data, json=json, headers=headers, auth=auth)

    def get_json(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> Any:
        """GET and decode JSON; ``NotJSONError`` (with an excerpt) when the body is not JSON."""
        return decode_json(self.get(url, params=params, headers=headers))

    def post_json(self, url: str, **kwargs: Any) -> Any:
        """POST (same arguments as ``post``) and decode the JSON answer."""
        return decode_json(self.post(url, **kwargs))

    def get_text(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> str:
        """GET and decode the body as text (declared charset, else UTF-8, else a guess)."""
        response = self.get(url, params=params, headers=headers)
        if "charset=" in response.headers.get("Content-Type", "").lower():
            return response.text
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError:
            return response.content.decode(response.apparent_encoding or "latin-1", errors="replace")

    def set_min_delay(self, host_or_url: str, seconds: float) -> None:
        """Space requests to one host by at least ``seconds`` (a platform's own rate limit)."""
        host = host_of(host_or_url) if "//" in host_or_url else host_or_url.lower()
        with self._lock:
            self._host_delay[host] = max(self._host_delay.get(host, 0.0), seconds)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the request loop ------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        data: Any = None,
        json: Any = None,
        auth: Any = None,
    ) -> requests.Response:
        """Send one logical request, following redirects by hand (each hop checked when guarded)."""
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send_with_retries(
                method, url, params=params, headers=headers, data=data, json=json, auth=auth
            )
            if response.status_code not in REDIRECT_STATUSES:
                return self._finish(response)
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise TooManyRedirectsError(
                    f"{host_of(url)} answered {response.status_code} without a Location", url=url
                )
            target = urljoin(response.url, location)
            if host_of(target) != host_of(url):
                # Credentials meant for one host never travel to another.
                auth = None
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, data, json = "GET", None, None
            url, params = target, None
        raise TooManyRedirectsError(f"more than {MAX_REDIRECTS} redirects starting from {url}", url=url)

    def _send_with_retries(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        host = host_of(url)
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            self._throttle(host)
            try:
                response = self._send_once(method, url, **kwargs)
            except netguard.BlockedAddressError as exc:
                raise BlockedURLError(str(exc), url=url) from exc
            except _TRANSIENT as exc:
                if last:
                    kind = "timed out" if _is_timeout(exc) else "could not be reached"
                    # The exception text repeats the URL (and any key in it): name its type only.
                    raise NetworkError(
                        f"{host} {kind} after {attempts} attempts ({type(exc).__name__})", url=url
                    ) from exc
                self.sleep(self._backoff(attempt))
                continue
            except requests.RequestException as exc:
                raise FetchError(f"cannot fetch {redact_url(url)} ({type(exc).__name__})", url=url) from exc
            status = response.status_code
            if status == 429:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                response.close()
                if wait is not None and wait > self.max_retry_after:
                    raise RateLimitedError(
                        f"{host} is rate limiting us and asks to wait {wait:.0f} s; try again later",
                        url=url,
                        status=429,
                    )
                if last:
                    raise RateLimitedError(
                        f"{host} is still rate limiting us after {attempts} attempts; try again later",
                        url=url,
                        status=429,
                    )
                self.sleep(wait if wait is not None else self._backoff(attempt))
                continue
            if status >= 500 and not last:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                response.close()
                if wait is None or wait > self.max_retry_after:
                    wait = self._backoff(attempt)
                self.sleep(wait)
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _send_once(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        with self._lock:
            self.requests_made += 1
        # What Session.request does, with the guard's mark on the prepared request.
        prepared = self.session.prepare_request(requests.Request(method, url, **kwargs))
        policy = self.policy
        if policy is not None:
            netguard.guard_request(prepared, policy)
        environment = self.session.merge_environment_settings(prepared.url, {}, True, None, None)
        response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False, **environment)
        if response.status_code not in REDIRECT_STATUSES and response.status_code != 429:
            self._read_body(response)
        return response

    def _read_body(self, response: requests.Response) -> None:
        """Read the (decompressed) body, refusing it past ``max_bytes``."""
        host = host_of(response.url)
        limit = self.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLargeError(
                f"{host} sent a response of {int(declared):,} bytes; the limit is {limit:,}",
                url=response.url,
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLargeError(
                        f"{host} sent a response larger than the limit of {limit:,} bytes", url=response.url
                    )
                chunks.append(chunk)
        finally:
            response.close()
        # Hand the body to requests as if it had read it itself (.content / .text / .json()).
        response._content = b"".join(chunks)
        response._content_consumed = True

    def _finish(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status < 400:
            return response
        host = host_of(response.url)
        attempts = self.max_retries + 1
        suffix = f" after {attempts} attempts" if status >= 500 and attempts > 1 else ""
        reason = f" {response.reason}" if response.reason else ""
        raise HttpStatusError(f"{host} answered {status}{reason}{suffix}", response=response)

    def _throttle(self, host: str) -> None:
        """Wait until ``host`` has not been contacted for its delay, then note the time."""
        with self._lock:
            delay = max(self.rate_limit_delay, self._host_delay.get(host, 0.0))
            last = self._last_request.get(host)
        wait = 0.0 if last is None else last + delay - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        with self._lock:
            self._last_request[host] = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait in [0, base * 2^(attempt-1)], capped."""
        return random.uniform(0, min(MAX_BACKOFF, self.backoff_base * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not a secret


def _is_timeout(exc: Exception) -> bool:
    if isinstance(exc, requests.Timeout):
        return True
    return "timed out" in str(exc).lower()
