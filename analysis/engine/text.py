"""Text helpers shared by the local engine's modules: word counting, tokenising, sentence and
clause splitting.

Sentences and clauses are returned as ``(start, end)`` character offsets into the original text,
so that whatever is quoted from them later is an exact substring of what the user wrote.
"""

from __future__ import annotations

import re

_WORD_COUNT_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*")
# Letters only (no digits, no underscore), keeping inner apostrophes: "don't", "it's".
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
# A sentence ends at . ! ? … (possibly repeated, possibly followed by closing quotes/brackets)
# when whitespace or the end of the text follows, or between a lower-case word and a capital with
# no space ("the phone.Battery life is short"), or at a line break.
_SENTENCE_END_RE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)|(?<=[a-z])[.!?]+(?=[A-Z])|\n+")
# Clause boundaries inside a sentence: semicolons, and the contrastive connectors that
# separate a good point from a bad one ("great screen but the battery is weak").
_CLAUSE_SPLIT_RE = re.compile(
    r";|,?\s+(?:but|however|although|though|except|whereas)\s+|\s+-+\s+",
    re.IGNORECASE,
)
_CURLY_APOSTROPHE = "\u2019"
_CLOSERS = "\"')]\u201d\u2019"
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "approx", "jr", "sr"})
# Characters trimmed from the edges of a span; an edge trim keeps the span a substring.
_EDGE_CHARS = " \t\r\n,;:-\u2013\u2014.\"'\u201c\u201d\u2018\u2019()[]*"
# A span never starts with the end mark of a previous sentence ("!I recommend it").
_LEADING_CHARS = _EDGE_CHARS + "!?\u2026"
_LEADING_CONNECTOR_RE = re.compile(r"(?:and|but|so|also|plus|however|although|though|yet)\b[\s,]*", re.I)

# Stop words for topics, keywords and clustering. Function words, plus verbs and adverbs that
# carry no aspect ("get", "really"), plus review boilerplate ("product", "item", "review").
STOP_WORDS = frozenset(
    # A word list reads and diffs better as text than as a list of string literals.
    """
    a about above after again against all almost along already also although always am among an and
    another any anybody anyone anything anyway anywhere are aren't around as at away back be became
    because become been before being below beside besides best better between beyond both but by can
    can't cannot come comes coming could couldn't did didn't do does doesn't doing don't done down
    during each either else enough etc even ever every everyone everything except far few first for
    from further get gets getting give given gives go goes going gone got gotten had hadn't has hasn't
    have haven't having he her here hers herself him himself his how however i i'd i'll i'm i've if in
    instead into is isn't it it's its itself just keep kept know last least less let let's like
    likely lot lots made make makes making many may maybe me might mine more most much must my myself
    need needs neither never new next no none nor not nothing now of off often oh ok okay old on once
    one ones only onto or other others otherwise our ours ourselves out over own per perhaps put quite
    rather really right said same say says see seem seemed seems seen several shall she should
    shouldn't since so some somehow someone something sometimes somewhat soon still such sure take
    taken than that that's the their theirs them themselves then there there's these they they're
    thing things think this those though through thus till to too took toward towards try tried two
    under until up upon us use used uses using very via want wanted wants was wasn't way ways we we're
    we've well went were weren't what what's whatever when where whether which while who whom whose
    why will with within without won't would wouldn't yes yet you you'd you'll you're you've your
    yours yourself yourselves item items product products review reviews bought buy buying order
    ordered star stars time times day days year years week weeks month months thank thanks lol im
    dont didnt doesnt isnt wasnt cant wont ive youre thats
    """.split()  # noqa: SIM905
)


def word_count(text: str) -> int:
    """Number of words in ``text``: runs of letters/digits, with inner apostrophes and hyphens
    kept in one word ("don't", "battery-life")."""
    return len(_WORD_COUNT_RE.findall(text or ""))


def tokens(text: str) -> list[str]:
    """Lower-cased letter tokens of ``text`` (digits and punctuation dropped); curly apostrophes
    are normalised to straight ones."""
    return [t.lower().replace(_CURLY_APOSTROPHE, "'") for t in _TOKEN_RE.findall(text or "")]


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Like :func:`tokens`, with each token's ``(start, end)`` offsets."""
    return [
        (m.group().lower().replace(_CURLY_APOSTROPHE, "'"), m.start(), m.end())
        for m in _TOKEN_RE.finditer(text or "")
    ]


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``(start, end)`` past surrounding whitespace and punctuation (a trailing "!" or "?"
    is kept) and a leading connector ("but", "and", ...). The result is still a slice of
    ``text``; it is empty when nothing is left."""
    while start < end and text[start] in _LEADING_CHARS:
        start += 1
    while end > start and text[end - 1] in _EDGE_CHARS:
        end -= 1
    match = _LEADING_CONNECTOR_RE.match(text, start, end)
    if match and match.end() < end:
        start = match.end()
        while start < end and text[start] in _LEADING_CHARS:
            start += 1
    return start, end


def _is_abbreviation(text: str, end_of_mark: int) -> bool:
    """True when the full stop ending at ``end_of_mark`` closes a known abbreviation ("Mr.")."""
    before = text[:end_of_mark].rstrip(".")
    word = before.rsplit(None, 1)[-1].lower() if before.strip() else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of ``text`` as trimmed ``(start, end)`` offsets, empty ones dropped."""
    text = text or ""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        mark = match.group()
        if mark.startswith(".") and mark.rstrip(_CLOSERS) == "." and _is_abbreviation(text, match.end()):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for span in spans:
        s, e = _strip_whitespace(text, *span)
        if e > s and any(ch.isalnum() for ch in text[s:e]):
            result.append((s, e))
    return result


def clause_spans(text: str, sentence: tuple[int, int]) -> list[tuple[int, int]]:
    """The clauses of one sentence, as trimmed offsets into ``text``: split at semicolons and
    contrastive connectors, and at commas when each side has at least two words ("excellent
    battery life, awful speaker"; but not "Sadly, it broke", where the adverb belongs to the
    rest)."""
    s_start, s_end = sentence
    clauses = []
    cursor = s_start
    for match in _CLAUSE_SPLIT_RE.finditer(text, s_start, s_end):
        clauses.extend(_comma_pieces(text, cursor, match.start()))
        cursor = match.end()
    clauses.extend(_comma_pieces(text, cursor, s_end))
    result = []
    for clause in clauses:
        start, end = trim_span(text, *clause)
        if end > start and any(ch.isalnum() for ch in text[start:end]):
            result.append((start, end))
    return result


def _comma_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` split at commas, a piece of fewer than two words staying joined to
    its neighbour."""

    def short(span: tuple[int, int]) -> bool:
        return word_count(text[span[0] : span[1]]) < 2

    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in re.finditer(",", text[start:end]):
        piece = (cursor, start + match.start())
        if pieces and short(pieces[-1]):
            pieces[-1] = (pieces[-1][0], piece[1])
        else:
            pieces.append(piece)
        cursor = start + match.end()
    last = (cursor, end)
    if pieces and (short(last) or short(pieces[-1])):
        pieces[-1] = (pieces[-1][0], end)
    else:
        pieces.append(last)
    return pieces


def _strip_whitespace(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def singular(word: str) -> str:
    """A crude singular form used to group topic words ("batteries" -> "battery",
    "screens" -> "screen"); words it cannot handle safely are returned unchanged."""
    if len(word) <= 3 or word in _SINGULAR_EXCEPTIONS:
        return word
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous", "ics")):
        return word[:-1]
    return word


_SINGULAR_EXCEPTIONS = frozenset({"series", "species", "news", "lens", "always", "perhaps", "whereas", "yes"})


def content_words(text: str, exclude: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Tokens of ``text`` minus stop words, short words and ``exclude``, in singular form."""
    return [singular(t) for t in tokens(text) if len(t) >= 3 and t not in STOP_WORDS and t not in exclude]


def shorten(text: str, start: int, end: int, max_words: int) -> tuple[int, int]:
    """Cut the span ``(start, end)`` after ``max_words`` words, at a word boundary, so it stays
    a prefix (and therefore a substring) of the original span."""
    for count, match in enumerate(_WORD_COUNT_RE.finditer(text, start, end), start=1):
        if count == max_words:
            new_end = match.end()
            return trim_span(text, start, new_end) if new_end < end else (start, end)
    return start, end
