"""Noise in scraped text that must never become an aspect or sit inside a quote.

:func:`mask_noise` returns the text with every noise span replaced by spaces (line breaks kept),
so the masked text has the same length as the original: offsets found in it are offsets into
what the user wrote, and a quote cut from the original between masked spans is an exact
substring of it.

Noise is: links (``http(s)://``, ``www.``, bare domains with a common top-level domain such as
``example.com``, e-mail addresses), Markdown link targets (``[text](url)`` keeps ``text``),
HTML tags and entities, BBCode tags (``[b]``, ``[h1]``, ``[list]``, ``[*]``, ``[url=...]``,
...), file and image names (``meme.gif``, ``screenshot.png``), user and community names
(``@name``, ``u/name``, ``r/name``), hashtags, words that mix digits and letters (``60fps``,
``v1.2``), Reddit's ``[deleted]``/``[removed]``, and quoted lines (``> ...``): those are another
person's words, repeated from the comment being answered, and counting them again would count
one opinion twice.
"""

from __future__ import annotations

import re

_FILES = (
    "gifv?|png|jpe?g|webp|bmp|svg|ico|tiff?|mp[34]|webm|mov|avi|mkv|wav|ogg|flac|pdf|zip|rar|7z|exe|msi|dmg|"
    "apk|iso|dll|txt|log|json|csv|xml|ya?ml|docx?|xlsx?|pptx?"
)
_TLDS = (
    "com|net|org|edu|gov|io|gg|tv|co|uk|us|de|fr|es|it|pt|br|nl|ru|jp|cn|in|info|biz|me|app|dev|"
    "ly|be|gl|to|ca|au|eu|ch|at|se|no|pl|xyz|site|online|store|shop|link|page|html?|php"
)
# (what a text must hold for the pattern to match at all: a string or a compiled pattern, the
# pattern): a text is only searched
# for the patterns whose trigger it holds, which keeps masking cheap on ordinary prose.
_PATTERNS = [
    # Quoted lines of a reply (Markdown, or as an HTML entity when the platform escaped it).
    (">", r"(?m)^[ \t]*(?:>|&gt;).*$"),
    # Links and e-mail addresses.
    ("://", r"(?i)\b(?:https?|ftp)://[^\s\]\[)(<>\"']+"),
    (re.compile(r"(?i)www"), r"(?i)\bwww\.[^\s\]\[)(<>\"']+"),
    ("@", r"(?i)[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # A bare domain is written in lower case; "game.In" is two sentences without a space.
    (re.compile(rf"\.(?:{_TLDS})\b"), rf"\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/\S*)?"),
    # Markdown link targets: "[text](target)" keeps its text.
    ("](", r"\]\([^)\s]*\)"),
    # HTML tags and entities; a script or a style element with its content.
    ("<", r"(?is)<(script|style)\b[^>]*>.*?</\1\s*>"),
    ("<", r"</?[A-Za-z][^<>]{0,300}>"),
    ("&", r"&(?:#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});"),
    # BBCode (Steam, forums) and Reddit's placeholders for removed text.
    (
        "[",
        r"(?i)\[/?(?:b|i|u|s|h[1-6]|strike|spoiler|list|olist|\*|url|img|quote|code|table|tr|td|th|"
        r"noparse|hr|youtube|previewyoutube|color|size|center)(?:=[^\]]*)?\]",
    ),
    ("[", r"(?i)\[(?:deleted|removed)\]"),
    # File and image names.
    (re.compile(rf"(?i)\.(?:{_FILES})\b"), rf"(?i)\b[\w-]+\.(?:{_FILES})\b"),
    # User, community and tag names.
    ("@", r"(?<![\w@])@[\w.-]+"),
    ("/", r"(?i)(?<![\w/])/?(?:u|r|user)/[\w-]+"),
    ("#", r"(?<![\w&])#\w+"),
    # Words mixing digits and letters ("60fps", "v1.2", "x64"); plain numbers are dropped by the
    # tokenizer, which takes letters only.
    (re.compile(r"\d"), r"\b(?:\d+[^\W\d_]|[^\W\d_]+\d)[\w.]*"),
]


def _scoped(pattern: str) -> str:
    """A pattern with leading inline flags ("(?i)...") as a scoped group ("(?i:...)"), so that
    patterns with different flags can share one alternation."""
    match = re.match(r"\(\?([a-z]+)\)", pattern)
    return f"(?{match.group(1)}:{pattern[match.end() :]})" if match else f"(?:{pattern})"


def _trigger(trigger: str | re.Pattern):
    """A test of whether a text holds ``trigger``: a literal string or a compiled pattern."""
    if isinstance(trigger, re.Pattern):
        return lambda text: trigger.search(text) is not None
    return lambda text: trigger in text


_COMPILED = [(_trigger(t), re.compile(_scoped(p))) for t, p in _PATTERNS]


def noise_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every noise span of ``text`` (see the module docstring), in order,
    overlapping spans merged."""
    text = text or ""
    spans = sorted(
        (m.start(), m.end()) for holds, pattern in _COMPILED if holds(text) for m in pattern.finditer(text)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mask_noise(text: str) -> str:
    """``text`` with its noise spans replaced by spaces (line breaks kept): same length, same
    offsets."""
    text = text or ""
    spans = noise_spans(text)
    if not spans:
        return text
    pieces, cursor = [], 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        pieces.append("".join("\n" if ch == "\n" else " " for ch in text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
