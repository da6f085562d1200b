"""The search syntax of the explorer and of keyword monitors, and its plain matcher.

``battery "screen glare" -refund``: words, ``"quoted phrases"`` and ``-exclusions``. The
explorer turns a parsed query into database filters (``analysis.results_store.search``); a
keyword monitor translates it into each platform's search syntax and checks every mention
it gets back with :func:`matches`, so a platform's fuzzy search never lets in what the
explorer would not find. This module is the one home of both rules and needs no ORM, so
every app may import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class ParsedQuery:
    terms: list[str] = field(default_factory=list)  # words and phrases that must (or may) appear
    excluded: list[str] = field(default_factory=list)  # words and phrases that must not

    def __bool__(self) -> bool:
        return bool(self.terms or self.excluded)


def parse_query(query: str) -> ParsedQuery:
    """Split a search box's input into terms and excluded terms.

    ``battery "screen glare" -refund`` gives terms ``battery`` and
    ``screen glare`` and the excluded term ``refund``. Case is kept (matching
    ignores it), duplicates are dropped.
    """
    terms: list[str] = []
    excluded: list[str] = []
    for negated_phrase, phrase, word in _TOKEN_RE.findall(query or ""):
        if phrase or negated_phrase:
            value, negated = phrase.strip(), bool(negated_phrase)
        else:
            negated = word.startswith("-") and len(word) > 1
            value = word[1:] if negated else word
        value = " ".join(value.split())
        if not value:
            continue
        target = excluded if negated else terms
        if value.lower() not in {t.lower() for t in target}:
            target.append(value)
    return ParsedQuery(terms, excluded)


def matcher(parsed: ParsedQuery) -> Callable[..., bool]:
    """A check of texts against ``parsed``: every term appears in one of them (case-insensitive
    substring, the user's input taken literally) and no excluded term appears in any."""
    terms = [re.compile(re.escape(t), re.IGNORECASE) for t in parsed.terms]
    excluded = [re.compile(re.escape(t), re.IGNORECASE) for t in parsed.excluded]

    def check(*texts: object) -> bool:
        fields = [t for t in texts if isinstance(t, str) and t]
        return all(any(rx.search(f) for f in fields) for rx in terms) and not any(
            rx.search(f) for rx in excluded for f in fields
        )

    return check


def matches(parsed: ParsedQuery, *texts: object) -> bool:
    """Whether the texts (a mention's text and title...) match ``parsed``; see :func:`matcher`."""
    return matcher(parsed)(*texts)
