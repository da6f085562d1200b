"""Mastodon search for a keyword monitor, on the instances the monitor names.

A query that is one hashtag reads the instance's public tag timeline,
``GET https://{instance}/api/v1/timelines/tag/{tag}?limit=40&since_id=…&max_id=…``, which needs
no account. Any other query asks full-text search,
``GET https://{instance}/api/v2/search?q=…&type=statuses&limit=40&min_id=…&max_id=…``, which
most instances answer only for a signed-in account (empty or 401 without one): the coverage
says so instead of passing for "no mentions".

Both listings are newest first and page backwards with ``max_id`` (the ``Link: rel="next"``
address, else the last status' id). Status ids are per instance but time-ordered snowflakes
(milliseconds << 16), so the cursor is a time, the newest ``created_at`` seen on any instance,
and each instance is asked for ids after that time's snowflake. The same status seen through
two instances is one mention: its ``platform_id`` is the status' ActivityPub ``uri``.

An instance is a host the user typed, so every request goes through the SSRF guard.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests
from django.conf import settings

from projects.platforms import Platform
from scraping.collectors._dates import in_window, parse_date
from scraping.collectors._guard import guarded
from scraping.collectors._text import html_to_text, squash
from scraping.collectors.base import CollectedItem, CollectorError, FetchContext, LayoutChangedError
from scraping.collectors.search.base import SearchPage, SearchQuery, SearchSource
from scraping.collectors.search.syntax import QueryTerms, parse_query
from sentimatrix.http import BlockedURLError, HttpStatusError, NetworkError, NotJSONError, decode_json
from sentimatrix.timeutil import as_utc

#: Statuses per request (the API's maximum for both listings).
PAGE_SIZE = 40
#: Pages read from one instance in one run (400 statuses at most).
PAGES_PER_INSTANCE = 10
NEEDS_ACCOUNT = "full-text search needs an account on that instance; hashtags work without one"
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")


def instance_base(instance: str) -> str:
    """The base URL of an instance named by its host ("mastodon.social" -> https://mastodon.social).

    A scheme may be given: ``https://`` always, ``http://`` only where collectors may reach this
    machine (the tests' local servers, ``SCRAPING_ALLOW_LOOPBACK``). Anything with a path, a
    query or odd characters is refused with a message naming it.
    """
    raw = (instance or "").strip().rstrip("/")
    scheme, host = "https", raw
    if "://" in raw:
        parts = urlsplit(raw)
        scheme, host = parts.scheme.lower(), parts.netloc
        allowed = {"https", "http"} if settings.SCRAPING_ALLOW_LOOPBACK else {"https"}
        if scheme not in allowed or parts.path or parts.query or parts.fragment:
            raise CollectorError(
                f"{instance!r} is not a Mastodon instance: give its host name, like mastodon.social"
            )
    host = host.lower()
    if not _HOST_RE.match(host):
        raise CollectorError(
            f"{instance!r} is not a Mastodon instance: give its host name, like mastodon.social"
        )
    return f"{scheme}://{host}"


def snowflake(moment: datetime) -> str:
    """The smallest Mastodon status id of ``moment``'s millisecond (ids are ms << 16 + sequence)."""
    return str(int(as_utc(moment).timestamp() * 1000) << 16)


def map_status(status: Any, instance: str) -> CollectedItem | None:
    """A Mastodon status as a mention; None for a boost or a status with no text."""
    try:
        uri = str(status["uri"])
        status_id = str(status["id"])
        account = status["account"]
        acct = str(account["acct"])
        created = parse_date(status["created_at"])
        content = status["content"]
    except (KeyError, TypeError) as exc:
        raise LayoutChangedError(f"a Mastodon status lacks {exc}") from exc
    if status.get("reblog"):
        return None  # a boost repeats a status; the status itself is the mention
    text = html_to_text(content)
    if not text:
        return None
    host = urlsplit(instance).hostname or ""
    # Local accounts are written without their server; the full address tells them apart.
    author = acct if "@" in acct else f"{acct}@{host}"
    url = str(status.get("url") or uri)
    metadata = {
        "source_url": url,
        "instance": host,
        "status_id": status_id,
        "language": status.get("language"),
        "favourites_count": status.get("favourites_count"),
        "reblogs_count": status.get("reblogs_count"),
        "replies_count": status.get("replies_count"),
        "author_name": squash(account.get("display_name")) or None,
        "author_url": account.get("url"),
    }
    return CollectedItem(
        platform_id=uri,
        text=text,
        title=squash(status.get("spoiler_text")),
        author=author,
        date=created,
        url=url,
        metadata={key: value for key, value in metadata.items() if value is not None},
    )


class MastodonSearch(SearchSource):
    """Hashtag timelines or full-text search of the chosen instances (see the module's docstring)."""

    platform = Platform.MASTODON

    def search(self, query: SearchQuery, ctx: FetchContext, since: str | None = None) -> Iterator[SearchPage]:
        """Pages of statuses newer than ``since`` (an ISO time), one instance after the other."""
        if not query.instances:
            raise CollectorError("choose at least one Mastodon instance to search")
        # An instance named twice ("mastodon.social", "https://mastodon.social/") is asked once.
        bases = list(dict.fromkeys(instance_base(instance) for instance in query.instances))
        terms = parse_query(query.text)
        if not (terms.words or terms.phrases):
            raise CollectorError("the keyword monitor's query has no words to search Mastodon for")
        after = parse_date(since) if since else None
        state = _RunState(newest=after)
        failures: list[tuple[str, Exception]] = []
        for base in bases:
            try:
                yield from self._instance(base, terms, ctx, language=query.language, after=after, state=state)
            except (HttpStatusError, NetworkError, BlockedURLError, LayoutChangedError) as exc:
                # One instance down, closed or not running Mastodon does not hide what the others say.
                failures.append((_failure(base, terms, exc), exc))
                yield SearchPage(items=[], requests_made=0, newest=state.cursor(), searched=[failures[-1][0]])
        if len(failures) == len(bases):
            if len(failures) == 1 and isinstance(failures[0][1], LayoutChangedError):
                raise failures[0][1]
            raise CollectorError("; ".join(message for message, _exc in failures))

    def _instance(
        self,
        base: str,
        terms: QueryTerms,
        ctx: FetchContext,
        *,
        language: str,
        after: datetime | None,
        state: _RunState,
    ) -> Iterator[SearchPage]:
        tag = terms.hashtag()
        host = urlsplit(base).netloc
        if tag:
            url = f"{base}/api/v1/timelines/tag/{quote(tag, safe='')}"
            params = {"limit": str(PAGE_SIZE), **({"since_id": snowflake(after)} if after else {})}
            asked = f"#{tag} on {host}"
        else:
            text = terms.search_syntax()
            # Instances with full-text search (4.2+) read "language:xx" as a filter.
            q = f"{text} language:{language}" if language else text
            url = f"{base}/api/v2/search"
            params = {
                "q": q,
                "type": "statuses",
                "limit": str(PAGE_SIZE),
                "resolve": "false",
                **({"min_id": snowflake(after)} if after else {}),
            }
            asked = f'full-text search for "{text}" on {host}'
        if language:
            asked += f" (language {language})"
        for number in range(PAGES_PER_INSTANCE):
            response, spent = _fetch(ctx, url, params)
            statuses = _statuses(response, tag=bool(tag))
            items = []
            for status in statuses:
                item = map_status(status, base)
                if item is None or item.platform_id in state.seen:
                    continue
                if after is not None and item.date is not None and item.date <= after:
                    continue
                # Read is read: a status left out below is not asked for again next run.
                state.note(item.date)
                if not in_window(item.date, ctx) or not self._wanted(item, terms, language):
                    continue
                state.seen.add(item.platform_id)
                items.append(item)
            searched = []
            if number == 0:
                found = f"{asked}: nothing found ({NEEDS_ACCOUNT})" if not statuses and not tag else asked
                searched.append(found)
            older = [parse_date(status.get("created_at")) for status in statuses if isinstance(status, dict)]
            passed = after is not None and any(moment and moment <= after for moment in older)
            next_max = _next_max_id(response, statuses)
            done = not next_max or passed or number + 1 == PAGES_PER_INSTANCE
            yield SearchPage(items=items, requests_made=spent, newest=state.cursor(), searched=searched)
            if done:
                return
            params = {**params, "max_id": next_max}

    @staticmethod
    def _wanted(item: CollectedItem, terms: QueryTerms, language: str) -> bool:
        spoken = str(item.metadata.get("language") or "")
        if language and spoken and spoken.split("-", maxsplit=1)[0].lower() != language.lower():
            return False
        # Instances without full-text search syntax may ignore "-word"; check it here.
        return not terms.excludes(f"{item.title}\n{item.text}")


class _RunState:
    """What one run has seen across instances: status uris, and the newest time."""

    def __init__(self, newest: datetime | None):
        self.seen: set[str] = set()
        self.newest = newest

    def note(self, moment: datetime | None) -> None:
        if moment and (self.newest is None or moment > self.newest):
            self.newest = moment

    def cursor(self) -> str | None:
        return self.newest.isoformat(timespec="milliseconds").replace("+00:00", "Z") if self.newest else None


def _fetch(ctx: FetchContext, url: str, params: dict) -> tuple[requests.Response, int]:
    """GET through the SSRF guard (the instance is user-typed); counted on the job's client too."""
    client = guarded(ctx.http)
    before = client.requests_made
    try:
        return client.get(
            url, params=params, headers={"Accept": "application/json"}
        ), client.requests_made - before
    finally:
        if client is not ctx.http:
            ctx.http.requests_made += client.requests_made - before


def _statuses(response: requests.Response, *, tag: bool) -> list:
    try:
        data = decode_json(response)
    except NotJSONError as exc:
        raise LayoutChangedError(str(exc)) from exc
    if tag:
        if not isinstance(data, list):
            raise LayoutChangedError("the Mastodon tag timeline is not a list of statuses")
        return data
    if not isinstance(data, dict) or not isinstance(data.get("statuses"), list):
        raise LayoutChangedError("the Mastodon search answer has no list of statuses")
    return data["statuses"]


def _next_max_id(response: requests.Response, statuses: list) -> str | None:
    """The ``max_id`` of the next (older) page, None after the last one.

    Mastodon links the next page (``Link: rel="next"``) while a page has statuses, so with the
    header an instance that serves fewer than asked for is still read to the end; without it a
    short page is the last, and the next starts below the last status.
    """
    if not statuses:
        return None
    link = (response.links.get("next") or {}).get("url")
    if link:
        values = parse_qs(urlsplit(link).query).get("max_id")
        if values:
            return values[0]
    if "Link" in response.headers or len(statuses) < PAGE_SIZE:
        return None
    last = statuses[-1]
    return str(last["id"]) if isinstance(last, dict) and last.get("id") else None


def _failure(base: str, terms: QueryTerms, exc: Exception) -> str:
    host = urlsplit(base).netloc
    status = getattr(exc, "status", None)
    if status in (401, 403) and not terms.hashtag():
        return f"full-text search on {host} was refused ({status}): {NEEDS_ACCOUNT}"
    if status in (401, 403, 422):
        return f"{host} shows its hashtag timelines to signed-in accounts only ({status})"
    if isinstance(exc, LayoutChangedError):
        return f"{host} did not answer as a Mastodon instance: {exc}"
    return f"{host} could not be searched: {exc}"
