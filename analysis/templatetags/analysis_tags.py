"""Template helpers of the explorer and dashboards.

``highlight`` is the only place that marks scraped text up: it escapes the text first and then
wraps the matches in ``<mark>``, so nothing of the text is ever taken as HTML. ``web_url`` is the
only way a scraped address becomes a link: anything but http(s) is dropped, whatever was stored.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from analysis.result_display import author_of, rating_of
from analysis.stats import bucket as to_bucket
from scraping.results_store import safe_web_url

register = template.Library()


def highlight_html(text: str, terms) -> str:
    """``text`` escaped, with case-insensitive matches of ``terms`` wrapped in ``<mark>``."""
    text = "" if text is None else str(text)
    words = sorted({t for t in terms or [] if t and t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


@register.filter
def highlight(text, terms):
    """``{{ text|highlight:terms }}``: escaped text with the search terms in ``<mark>``."""
    return mark_safe(highlight_html(text, terms))  # noqa: S308 - every piece of the text was escaped above


@register.filter
def web_url(url) -> str:
    """``{% with original=result.content.url|web_url %}``: the address if it is http(s), else
    ``""``, for pages to link to the original only when clicking it opens a web page."""
    return safe_web_url(url)


# What an engine may store as the primary emotion of a text in which none stood out.
NO_EMOTION = frozenset({"", "none", "null"})


@register.filter
def emotion_name(value) -> str:
    """An emotion's name for a badge, or "" when there is none (never a literal "None")."""
    if value is None or str(value).strip().lower() in NO_EMOTION:
        return ""
    return str(value).strip().capitalize()


@register.filter
def percent(value) -> str:
    """0.42 -> "42%"; nothing -> an en dash."""
    if value is None or value == "":
        return "\u2013"
    return f"{float(value) * 100:.0f}%"


@register.filter
def signed(value, digits: int = 2) -> str:
    """0.1234 -> "+0.12"; nothing -> an en dash."""
    if value is None or value == "":
        return "\u2013"
    return f"{float(value):+.{int(digits)}f}"


@register.filter
def bucket(label: str) -> str:
    """The 3-class bucket of a 3- or 5-class sentiment label (for the chip's colour)."""
    return to_bucket(label) or ""


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template, trying the key as text too (ObjectIds key dicts by str)."""
    if mapping is None or not hasattr(mapping, "get"):
        return None
    value = mapping.get(key)
    return mapping.get(str(key)) if value is None else value


@register.simple_tag
def explorer_query(state, display=None, **changes) -> str:
    """``{% explorer_query state display page=2 %}``: the state's query string with changes, and
    the explorer's display parameters (layout, columns, page size) when given."""
    query = state.query_string(**changes)
    return display.join(query) if display is not None else query


EXCERPT_LENGTH = 140


@register.filter
def excerpt(text, terms) -> str:
    """``{{ text|excerpt:terms|highlight:terms }}``: about :data:`EXCERPT_LENGTH` characters of
    ``text`` around the first search match (its start without one), with "…" where cut, so a
    table row shows why it matched. Plain text: ``highlight`` escapes it."""
    text = " ".join(str(text or "").split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    words = [t for t in terms or [] if t and t.strip()]
    found = [i for w in words if (i := text.lower().find(w.lower())) >= 0]
    start = max(0, min(found) - EXCERPT_LENGTH // 3) if found else 0
    start = min(start, len(text) - EXCERPT_LENGTH)
    # Cut at a space so no word is split (the search term itself is never cut).
    if start:
        space = text.find(" ", start, start + 20)
        start = space + 1 if space >= 0 and (not found or space < min(found)) else start
    end = start + EXCERPT_LENGTH
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        end = space if space > start else end
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


@register.simple_tag
def result_author(result, anonymous: str = "Anonymous"):
    """The result's author by display name, linked to their profile when there is one."""
    content = result.content
    author = author_of(result.platform, content.author, content.metadata)
    if not author.name:
        return anonymous
    title = format_html(' title="{}"', author.full) if author.full else ""
    if author.url:
        return format_html(
            '<a href="{}" rel="noopener noreferrer nofollow" target="_blank"{}>{}</a>',
            author.url,
            title,
            author.name,
        )
    return format_html("<span{}>{}</span>", title, author.name) if title else author.name


@register.simple_tag
def result_rating(result, empty: str = ""):
    """👍/👎 for a thumbs answer, ★ and the value for a rating; ``empty`` when there is none."""
    rating = rating_of(result.content.rating, result.content.metadata)
    if rating is None:
        return empty
    if rating.thumbs:
        return format_html(
            '<span role="img" aria-label="{}" title="{}">{}</span>', rating.text, rating.text, rating.symbol
        )
    return format_html('<span title="Rating">{} {}</span>', rating.symbol, rating.text)


# Words a readable label writes in capitals.
_ACRONYMS = {"api": "API", "id": "ID", "url": "URL", "ip": "IP", "llm": "LLM", "csv": "CSV"}
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@register.filter
def readable_key(key) -> str:
    """A stored key as a person reads it: ``playtime_forever`` becomes "Playtime forever",
    ``api_calls`` "API calls". Keys that are not snake_case identifiers (a CSV's own column
    names) are shown as they are."""
    key = "" if key is None else str(key)
    if not _IDENTIFIER.match(key):
        return key
    words = [_ACRONYMS.get(word, word) for word in key.split("_")]
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])
