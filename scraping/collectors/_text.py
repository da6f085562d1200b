"""Text helpers shared by the collectors: HTML to plain text, numbers written
for people, and the stable id of an item whose platform gives none."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from bs4 import BeautifulSoup

_BLOCK_TAGS = ["p", "div", "li", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol"]
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def squash(text: str | None) -> str:
    """Collapse runs of whitespace inside a line and blank-line runs between paragraphs."""
    if not text:
        return ""
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: paragraphs become blank lines, ``<br>``
    line breaks, entities decoded. Links whose text is a shortened copy of their
    address (as Hacker News writes them) get the full address back."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return squash(html)
    soup = BeautifulSoup(html, "lxml")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for link in soup.find_all("a", href=True):
        label = link.get_text()
        if label.endswith("...") and link["href"].startswith(label[:-3]):
            link.string = link["href"]
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    return squash(soup.get_text())


def parse_number(value: object) -> float | None:
    """The first number in a value: ``4``, ``"4.5"``, ``"4,0 von 5 Sternen"``, ``"4/5"``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.search(str(value))
    if not match:
        return None
    return float(match.group(0).replace(",", "."))


def parse_count(value: object) -> int | None:
    """A count written for people, thousands separators included: ``"1,234"``, ``"1.234"``, ``"1 234"``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = re.search(r"\d[\d,.\u00a0\u202f ]*", str(value))
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(0))
    return int(digits) if digits else None


def fallback_id(author: str, moment: datetime | None, text: str) -> str:
    """A stable id from author, date and text, for items the platform does not number."""
    key = "\x1f".join([author or "", moment.isoformat() if moment else "", text or ""])
    return "h-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
