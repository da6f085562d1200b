"""A keyword monitor: one query searched on several platforms, new mentions since the last run.

For each platform chosen (``platform_data.search_platforms``) the platform's search source
(:mod:`scraping.collectors.search`) is asked for mentions newer than the cursor the last
complete run stored (``metadata.search_cursors[platform]``). Every mention is

* checked against the query locally (:mod:`sentimatrix.search_syntax`, the explorer's own
  rule), since a platform's search is fuzzier than the query says (with what the mention
  answers, when the platform found it through that: a YouTube comment through its video);
* dropped when an earlier mention of the run has the same address or the same text (a
  cross-post: the same words posted on two platforms count once), or the same text as one of
  the latest mentions of earlier runs (``metadata.recent_prints``);
* kept up to the per-run cap, for each platform;
* given the platform it came from (``item.platform``), an id unique across platforms
  (``<platform>:<id>``) and ``metadata.matched_query``.

A platform that fails is recorded with its error and the others are searched all the same;
its cursor stays where it was. The last page carries what the run stores on the target: the
new cursors and, per platform, what was searched, found, kept and asked
(``metadata.monitor_summary``), the project page's per-platform counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.utils import timezone

from projects.platforms import SEARCH_PLATFORMS, Platform
from scraping.collectors.base import CollectedItem, Collector, CollectorError, FetchContext, Page, TargetSpec
from scraping.collectors.search.base import SearchQuery, SearchSource, search_source
from sentimatrix.http import FetchError, RateLimitedError
from sentimatrix.search_syntax import matcher, parse_query

#: Fingerprints of the latest mentions kept on the target, so a cross-post found by a later
#: run than the original still counts once (16 hex digits each: a few kB per monitor).
RECENT_PRINTS = 500
#: Fewer words than this make no fingerprint: two "Great game!" are not a cross-post.
FINGERPRINT_MIN_WORDS = 6
#: Query parameters that say who shared a link, not what it is.
TRACKING = ("utm_", "ref", "si", "feature", "share")
_WORD = re.compile(r"\w+")
NO_TERM = 'The monitor needs at least one word or "phrase" to search for; edit its query.'


def monitor_query(target: TargetSpec) -> SearchQuery:
    """The monitor's question as its search sources take it."""
    data = target.platform_data
    return SearchQuery(
        text=str(data.get("query") or "").strip(),
        language=str(target.options.get("language") or "").strip(),
        instances=tuple(str(host) for host in data.get("instances") or ()),
    )


def monitor_platforms(target: TargetSpec) -> list[str]:
    """The platforms the monitor searches, in the order of :data:`SEARCH_PLATFORMS`."""
    chosen = set(target.platform_data.get("search_platforms") or ())
    return [str(p) for p in SEARCH_PLATFORMS if p in chosen]


def normalised_url(url: str) -> str:
    """An address compared for duplicates: no scheme, ``www.``, tracking parameters, fragment
    or final slash (the query's other parameters, sorted, stay: ``item?id=`` is the item)."""
    parts = urlsplit((url or "").strip())
    if not parts.netloc:
        return ""
    host = parts.netloc.lower().removeprefix("www.").removeprefix("old.")
    kept = sorted((k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(TRACKING))
    return f"{host}{parts.path.rstrip('/')}" + (f"?{urlencode(kept)}" if kept else "")


def fingerprint(text: str) -> str:
    """The text's words, lower-cased, hashed; "" for a text too short to say it was copied."""
    words = _WORD.findall((text or "").lower())
    if len(words) < FINGERPRINT_MIN_WORDS:
        return ""
    return hashlib.sha1(" ".join(words).encode(), usedforsecurity=False).hexdigest()[:16]


def later(a: str | None, b: str | None) -> str | None:
    """The newer of two cursors: numerically when both start with a number (``1733360000:t3_x``,
    an id), else as text (ISO dates)."""
    if a is None or b is None:
        return a if b is None else b
    try:
        return a if float(a.partition(":")[0]) >= float(b.partition(":")[0]) else b
    except ValueError:
        return max(a, b)


def source_of(platform: str) -> SearchSource:
    """The platform's search source; ``CollectorError`` when it has none (or none installed)."""
    try:
        return search_source(platform)
    except ImportError as exc:
        raise CollectorError(f"searching {platform} is not available on this server") from exc


def problem_message(platform: str, exc: Exception) -> str:
    """What the user reads about a platform that failed."""
    label = Platform(platform).label if platform in Platform.values else platform
    if isinstance(exc, RateLimitedError):
        return f"{label}: rate limited, try later"
    return f"{label}: {exc}"


@dataclass
class Deduplicator:
    """Remembers the mentions of one run (and the texts of earlier runs' latest mentions): the
    same address or the same text is one mention."""

    urls: set[str] = field(default_factory=set)
    prints: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    added: list[str] = field(default_factory=list)  # this run's fingerprints, in order

    def is_new(self, item: CollectedItem) -> bool:
        url = normalised_url(item.metadata.get("source_url") or item.url)
        text = fingerprint(item.text)
        if item.platform_id in self.ids or (url and url in self.urls) or (text and text in self.prints):
            return False
        self.ids.add(item.platform_id)
        if url:
            self.urls.add(url)
        if text:
            self.prints.add(text)
            self.added.append(text)
        return True

    def recent(self, earlier: list[str]) -> list[str]:
        """The fingerprints to keep for the next run: the latest :data:`RECENT_PRINTS`."""
        return [*earlier, *self.added][-RECENT_PRINTS:]


@dataclass
class PlatformRun:
    """One platform's part of a run, as the summary records it."""

    searched: list[str] = field(default_factory=list)
    found: int = 0  # mentions the platform returned
    kept: int = 0  # new mentions passed on to be stored
    not_matching: int = 0  # dropped by the local check of the query
    duplicates: int = 0  # already seen in this run, on this platform or another
    requests: int = 0
    error: str = ""
    items: list[CollectedItem] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "searched": self.searched[:10],
            "found": self.found,
            "new": self.kept,
            "not_matching": self.not_matching,
            "duplicates": self.duplicates,
            "requests": self.requests,
            "error": self.error,
        }


def search_platform(
    platform: str, query: SearchQuery, ctx: FetchContext, since: str | None, seen: Deduplicator
) -> tuple[PlatformRun, str | None]:
    """Search one platform: its new matching mentions (up to ``ctx.max_items``) and its new
    cursor (``since`` again when it failed)."""
    check = matcher(parse_query(query.text))
    run = PlatformRun()
    newest = since
    before = ctx.http.requests_made
    try:
        source = source_of(platform)
        for page in source.search(query, ctx, since=since):
            run.searched += page.searched
            newest = later(newest, page.newest)
            for item in page.items:
                run.found += 1
                if not check(item.text, item.title, *source.context(item)):
                    run.not_matching += 1
                    continue
                item.platform_id = f"{platform}:{item.platform_id}"
                if not seen.is_new(item):
                    run.duplicates += 1
                    continue
                item.platform = platform
                item.metadata = {**item.metadata, "matched_query": query.text}
                item.metadata.setdefault("source_url", item.url)
                if len(run.items) < ctx.max_items:
                    run.items.append(item)
            if len(run.items) >= ctx.max_items:
                break
    except (CollectorError, FetchError) as exc:
        run.error = problem_message(platform, exc)
        newest = since
    run.kept = len(run.items)
    run.requests = ctx.http.requests_made - before
    return run, newest


class KeywordMonitorCollector(Collector):
    platform = Platform.KEYWORD.value
    stops_at_known_items = False

    def credentials_needed(self, target: TargetSpec) -> tuple[str, ...]:
        providers: list[str] = []
        for platform in monitor_platforms(target):
            try:
                providers += source_of(platform).credential_providers
            except CollectorError:
                continue
        return tuple(dict.fromkeys(providers))

    def run_limit(self, target: TargetSpec, max_items: int) -> int:
        return max_items * max(1, len(monitor_platforms(target)))

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        query = monitor_query(target)
        if not parse_query(query.text).terms:
            raise CollectorError(NO_TERM)
        platforms = monitor_platforms(target)
        if not platforms:
            raise CollectorError("The monitor searches no platform; edit it to choose at least one.")
        cursors = dict((target.metadata or {}).get("search_cursors") or {})
        earlier = [str(p) for p in (target.metadata or {}).get("recent_prints") or ()]
        seen = Deduplicator(prints=set(earlier))
        summary: dict[str, dict] = {}
        for index, platform in enumerate(platforms):
            run, newest = search_platform(platform, query, ctx, cursors.get(platform), seen)
            if newest is not None:
                cursors[platform] = newest
            summary[platform] = run.summary()
            last = index == len(platforms) - 1
            failed = [s["error"] for s in summary.values() if s["error"]]
            updates = None
            if last:
                updates = {
                    "metadata.search_cursors": cursors,
                    "metadata.recent_prints": seen.recent(earlier),
                    "metadata.monitor_summary": {"ran_at": timezone.now().isoformat(), "platforms": summary},
                }
            yield Page(
                items=run.items,
                # The platforms still to search: a run stopped here (the project's daily cap)
                # is partial, and keeps the old cursors.
                next_cursor=None if last else platforms[index + 1],
                requests_made=run.requests,
                target_updates=updates,
                coverage=dict(summary) if last else None,
                problem=run.error if len(failed) < len(platforms) else "",
            )
            if last and len(failed) == len(platforms):
                raise CollectorError("; ".join(failed))
