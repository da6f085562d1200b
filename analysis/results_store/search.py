"""Searching results by what they say: one function, two ways to run it.

:func:`search_results` narrows a queryset of results (already limited to what
the viewer may see) to those matching a query, and returns the terms to
highlight. Which path runs depends on the server:

- **Text index path** (a real MongoDB, where the ``results_text`` index of
  ``sentimatrix.dbindexes`` exists): a ``$text`` query, with MongoDB's
  stemming, stop words and weights (a title match counts double a text
  match). Any word may match; ``"quoted phrases"`` must appear and ``-words``
  must not (MongoDB's own syntax). The queryset is annotated with
  ``search_score`` (``{"$meta": "textScore"}``) and ordered by it, best first.
- **Pattern path** (the embedded SecantusDB server, which refuses text
  indexes, and any server without the index): a case-insensitive substring
  match on ``content.text`` or ``content.title`` with the user's input
  regex-escaped. Without a relevance score, every word and phrase must appear
  (so results stay precise) and ``-words`` must not; the queryset keeps the
  order it came with.

The query syntax and its plain matcher live in :mod:`sentimatrix.search_syntax`
(keyword monitors use them too); they are re-exported here for the explorer.

Either way the result is a queryset inside the one given, so the explorer can
count, paginate, filter and re-order it like any other. The pattern path is also
a check on raw documents (:func:`pattern_check`), with the same rules as its
query (:func:`pattern_q`), for the embedded server's windowed reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import NotSupportedError, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from analysis.models import Result
from sentimatrix.mongo import get_db
from sentimatrix.search_syntax import ParsedQuery, matcher, parse_query

#: How long a process trusts what it learnt about the server's text index.
TEXT_INDEX_CACHE_SECONDS = 300.0
_text_index_cache: dict[tuple[str, str], tuple[float, bool]] = {}


@dataclass
class SearchOutcome:
    """What a search found: a queryset to paginate and the terms to highlight."""

    queryset: QuerySet
    terms: list[str]
    mode: str  # "text" (index, ranked by relevance), "pattern" (substring) or "none" (empty query)

    @property
    def ranked(self) -> bool:
        """True when the queryset is ordered by relevance (``search_score``)."""
        return self.mode == "text"


def has_text_index(alias: str = "default") -> bool:
    """Whether ``results`` has a text index on this connection's database (cached per process)."""
    db = get_db(alias)
    key = (alias, db.name)
    now = time.monotonic()
    cached = _text_index_cache.get(key)
    if cached and now - cached[0] < TEXT_INDEX_CACHE_SECONDS:
        return cached[1]
    found = any(_is_text_index(info) for info in db[Result._meta.db_table].index_information().values())
    _text_index_cache[key] = (now, found)
    return found


def _is_text_index(info: dict) -> bool:
    # MongoDB stores a text index as {_fts: "text", _ftsx: 1} with its weights beside.
    return "weights" in info or any(direction == "text" for _, direction in info.get("key", ()))


def forget_text_index() -> None:
    """Drop the cached answers of :func:`has_text_index` (after creating or dropping the index)."""
    _text_index_cache.clear()


class TextSearch(models.Lookup):
    """``content__textsearch="..."``: MongoDB's ``$text`` query on the results' text index.

    ``$text`` must sit in the first ``$match`` of a pipeline, outside ``$expr``:
    it works on querysets filtered on the results' own fields (no joins).
    """

    lookup_name = "textsearch"
    prepare_rhs = False

    @property
    def can_use_path(self) -> bool:
        return True

    def as_mql_path(self, compiler: Any, connection: BaseDatabaseWrapper) -> dict:
        return {"$text": {"$search": str(self.rhs)}}

    def as_mql_expr(self, compiler: Any, connection: BaseDatabaseWrapper) -> dict:
        raise NotSupportedError("$text cannot be used inside an expression; filter on results' own fields.")

    # Django 5.2 joins params as lists; its stubs already describe the tuples of later versions.
    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:  # type: ignore[override]
        if connection.vendor != "mongodb":
            raise NotSupportedError("Text search needs MongoDB.")
        # Django compiles every node to SQL text on the way; the backend only runs as_mql().
        return "TEXTSEARCH", []


class TextScore(models.Expression):
    """The ``$text`` relevance of each document (only meaningful with :class:`TextSearch`)."""

    output_field = models.FloatField()

    def as_mql(self, compiler: Any, connection: BaseDatabaseWrapper, as_expr: bool = False) -> dict:
        return {"$meta": "textScore"}

    # Django 5.2 joins params as lists; its stubs already describe the tuples of later versions.
    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:  # type: ignore[override]
        if connection.vendor != "mongodb":
            raise NotSupportedError("Text search needs MongoDB.")
        return "TEXTSCORE", []


Result._meta.get_field("content").register_lookup(TextSearch)


def _pattern(field_path: str, term: str) -> Q:
    # icontains escapes the term (re.escape) and matches case-insensitively.
    return Q(**{f"{field_path}__icontains": term})


def _either_field(term: str) -> Q:
    return _pattern("content__text", term) | _pattern("content__title", term)


def pattern_q(parsed: ParsedQuery) -> Q:
    """Every term in the text or the title, no excluded term in either."""
    q = Q()
    for term in parsed.terms:
        q &= _either_field(term)
    for term in parsed.excluded:
        q &= ~_either_field(term)
    return q


def pattern_check(parsed: ParsedQuery) -> Callable[[dict], bool]:
    """:func:`pattern_q` on a raw document: the same escaped, case-insensitive patterns."""
    plain = matcher(parsed)

    def check(doc: dict) -> bool:
        content = doc.get("content") or {}
        return plain(content.get("text"), content.get("title"))

    return check


def pattern_search(queryset: QuerySet, parsed: ParsedQuery) -> QuerySet:
    """The queryset narrowed by :func:`pattern_q`."""
    return queryset.filter(pattern_q(parsed))


def text_search(queryset: QuerySet, query: str) -> QuerySet:
    """The ``$text`` query, annotated with ``search_score`` and ordered by it."""
    return (
        queryset.filter(content__textsearch=query)
        .annotate(search_score=TextScore())
        .order_by("-search_score", "-pk")
    )


def _can_use_text_index(queryset: QuerySet, parsed: ParsedQuery) -> bool:
    # $text cannot express "only exclusions", and it must be in the pipeline's first
    # stage, which a join ($lookup) would take: those queries take the pattern path.
    joined = len([a for a, n in queryset.query.alias_refcount.items() if n]) > 1
    return bool(parsed.terms) and not joined and has_text_index(queryset.db)


def search_results(queryset: QuerySet, query: str) -> SearchOutcome:
    """Narrow ``queryset`` (results the viewer may see) to those matching ``query``.

    The returned queryset never leaves the one given; ``terms`` are the words
    and phrases to highlight. See the module docstring for which path runs where.
    """
    parsed = parse_query(query)
    if not parsed:
        return SearchOutcome(queryset, [], "none")
    if _can_use_text_index(queryset, parsed):
        return SearchOutcome(text_search(queryset, query.strip()), parsed.terms, "text")
    return SearchOutcome(pattern_search(queryset, parsed), parsed.terms, "pattern")
