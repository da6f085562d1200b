"""The interface every platform collector implements.

A collector turns one target into pages of items. It knows the platform's
endpoints, pagination and field mapping, and nothing about jobs, the database
or limits: the runner that drives it stops at ``max_items``, at items already
stored (incremental runs) and on cancellation, between pages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from sentimatrix.http import HttpClient, NotJSONError


class CollectorError(Exception):
    """A target-level failure with a message the analyst can act on.

    Permanent: the runner fails the target at once with this message and does not
    try it again. Any other exception is taken for a failure of the worker, and the
    target is re-queued until it has used its attempts; so a collector raises this
    (or a subclass) for every problem that a second run would meet again. The HTTP
    client's :class:`~sentimatrix.http.FetchError` (a request that failed after its
    retries) is such a problem too: the runner treats it the same way.
    """


class LayoutChangedError(CollectorError):
    """The page or payload no longer has the shape the collector expects."""

    def __init__(self, detail: str = ""):
        message = "no reviews found where expected: the page layout may have changed"
        super().__init__(f"{message} ({detail})" if detail else message)


class MissingCredentialError(CollectorError):
    """The platform needs an API key the user has not stored in the vault."""


class MalformedFileError(CollectorError):
    """The target's file cannot be read as what it claims to be (CSV, JSON, text).

    The message names where (``line 12, column 5: ...``) and what is wrong, so the
    analyst can fix the file and upload it again.
    """

    def __init__(self, problem: str, line: int | None = None, column: int | None = None):
        self.problem, self.line, self.column = problem, line, column
        where = f"line {line}" if line else ""
        if where and column:
            where += f", column {column}"
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True)
class TargetSpec:
    """What a collector needs to know about a target."""

    platform: str
    url: str
    platform_data: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    id: str | None = None
    # What earlier runs stored on the target (a keyword monitor's since-cursors).
    metadata: dict = field(default_factory=dict)


@dataclass
class CollectedItem:
    """One review/comment/post, mapped to the ``content`` of the schema."""

    platform_id: str
    text: str
    title: str = ""
    author: str = ""
    rating: float | None = None
    date: datetime | None = None  # timezone-aware
    url: str = ""
    parent_id: str | None = None  # replies keep the id of what they answer
    metadata: dict = field(default_factory=dict)  # votes, playtime, app version, ...
    # The platform the item came from when it is not the target's (a keyword monitor's
    # mentions come from Reddit, Hacker News ...); "" for the target's own.
    platform: str = ""


@dataclass
class Page:
    items: list[CollectedItem]
    next_cursor: str | None = None  # None: this was the last page
    reported_total: int | None = None  # what the platform says exists, when it says
    requests_made: int = 1
    # The platform's name of the target (product, video, post), when the page carries it.
    target_name: str = ""
    # Fields to ``$set`` on the target once the run has ended (a monitor's new since-cursors
    # and what it searched); only the last page's are kept, and only a run that reaches that
    # page stores them, so a run stopped half-way asks again from the old cursors.
    target_updates: dict | None = None
    # A part of the target that failed while the rest was collected ("Bluesky: rate limited,
    # try later"): the run ends partial with this message.
    problem: str = ""
    # What each part of the target searched and found (a monitor's platforms), recorded on
    # the job's entry of the target; the last page's is kept.
    coverage: dict | None = None


@dataclass
class FetchContext:
    http: HttpClient
    max_items: int = 100
    include_replies: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None
    credentials: dict[str, str] = field(default_factory=dict)  # provider -> plaintext key


class Collector(ABC):
    platform: str = ""
    #: Short caveat shown on the target, e.g. a platform cap on reviews.
    caveat: str = ""
    #: Vault providers whose keys this collector may use; a job decrypts no others.
    credential_providers: tuple[str, ...] = ()
    #: An incremental run stops at a page of items stored by earlier jobs. A collector that
    #: keeps its own since-cursors (a keyword monitor) sets False: a page of known mentions
    #: on one platform says nothing of the next platform.
    stops_at_known_items: bool = True

    def run_limit(self, target: TargetSpec, max_items: int) -> int:
        """The most items one run of ``target`` stores, given the per-target limit
        ``max_items`` (which is also ``ctx.max_items``). A monitor applies the limit to each
        platform it searches."""
        return max_items

    def pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """Yield pages of items, newest first where the platform allows it (what
        :meth:`read_pages` reads). An answer that is not JSON where the platform answers JSON
        is a changed layout, in the words every collector uses for it."""
        try:
            yield from self.read_pages(target, ctx, cursor)
        except NotJSONError as exc:
            raise LayoutChangedError(str(exc)) from exc

    @abstractmethod
    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        """The platform's pages of items; see :meth:`pages`."""

    def fetch_name(self, target: TargetSpec, ctx: FetchContext) -> str:
        """The platform's name of the target, for collectors whose pages do not carry it
        (one extra request, made on the target's first collection only); "" when unknown."""
        return ""

    def credentials_needed(self, target: TargetSpec) -> tuple[str, ...]:
        """The vault providers whose keys collecting ``target`` may use (least privilege:
        the runner decrypts these and nothing else)."""
        return self.credential_providers

    @staticmethod
    def credential(ctx: FetchContext, provider: str, missing: str) -> str:
        """The plaintext key stored for ``provider``; ``missing`` tells the user what to add."""
        key = (ctx.credentials.get(provider) or "").strip()
        if not key:
            raise MissingCredentialError(missing)
        return key

    @staticmethod
    def identifier(target: TargetSpec, key: str, missing: str) -> str:
        """A required ``platform_data`` value as text; ``missing`` says how to fix the target."""
        value = str(target.platform_data.get(key) or "").strip()
        if not value:
            raise CollectorError(missing)
        return value

    @staticmethod
    def base_url(platform: str) -> str:
        """The platform's base URL; a setting so tests point it at a local server."""
        return settings.PLATFORM_BASE_URLS[platform].rstrip("/")
