"""A monitor's query in the explorer's search syntax, read once and written for each platform.

The syntax is the explorer's: ``battery "screen glare" -refund`` asks for the words
``battery``, the phrase ``screen glare`` and nothing that says ``refund``. It is read by the
explorer's own reader (:mod:`sentimatrix.search_syntax`), so a query means the same thing in the
explorer and in a monitor; this module only writes it for each platform.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sentimatrix.search_syntax import ParsedQuery, matches
from sentimatrix.search_syntax import parse_query as read_query

#: A hashtag as Mastodon accepts one in a tag timeline's path.
_HASHTAG_RE = re.compile(r"#(\w+)")


def written(terms: Sequence[str], excluded: Sequence[str], *, exclude: str = "-") -> str:
    """Terms and excluded terms in a search engine's syntax: a term of several words in double
    quotes, each excluded term after ``exclude`` ("-", or Reddit's "NOT ")."""

    def quoted(term: str) -> str:
        return f'"{term}"' if " " in term else term

    return " ".join([*map(quoted, terms), *(f"{exclude}{quoted(term)}" for term in excluded)])


@dataclass(frozen=True)
class QueryTerms:
    """Words, phrases and excluded terms of a query, in the order they were typed."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def search_syntax(self) -> str:
        """The query as the search engines with this syntax (YouTube, Mastodon, Bluesky) take
        it: words as they are, phrases in double quotes, exclusions with a leading minus."""
        return written([*self.words, *self.phrases], self.excluded)

    def hashtag(self) -> str | None:
        """The tag (without ``#``) when the whole query is one hashtag, else None."""
        if len(self.words) == 1 and not self.phrases and not self.excluded:
            match = _HASHTAG_RE.fullmatch(self.words[0])
            if match:
                return match.group(1)
        return None

    def excludes(self, text: str) -> bool:
        """Whether ``text`` says one of the excluded terms (case ignored). Platforms whose search
        ignores exclusions get their answers checked with this, by the explorer's matcher."""
        return not matches(ParsedQuery(excluded=list(self.excluded)), text)


def parse_query(text: str) -> QueryTerms:
    """Split a query into words, phrases and excluded terms (duplicates dropped, case kept), as
    the explorer's reader splits it; a term of several words is a phrase."""
    parsed = read_query(text)
    return QueryTerms(
        words=tuple(term for term in parsed.terms if " " not in term),
        phrases=tuple(term for term in parsed.terms if " " in term),
        excluded=tuple(parsed.excluded),
    )
