"""Adding many targets at once: pasted lines or an uploaded CSV.

Every line is recognised on its own, so one bad line never loses the good ones: the result
lists valid lines, invalid lines with their reason, and duplicates (lines whose canonical URL
an earlier line already has). At most ``MAX_LINES`` URLs are taken at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .base import Recognition, UnrecognizedURL
from .dispatch import recognize

MAX_LINES = 500

# After a comma, these continue the URL rather than start a label: map coordinates
# (@48.85,2.29,17z; @40.7,-74.0) and titles such as /wiki/Paris,_Texas.
_URL_CONTINUES = frozenset("0123456789-_%+")
_FIRST_WORD = re.compile(r"(\S+)(.*)", re.DOTALL)
_SECOND_URL = re.compile(r"\s+(?:https?://|www\.)", re.IGNORECASE)


class BulkParseError(ValueError):
    """The input as a whole cannot be taken (too many lines, unreadable file); says why."""


class ValidLine(NamedTuple):
    line_no: int
    recognition: Recognition
    label: str


class InvalidLine(NamedTuple):
    line_no: int
    raw: str
    reason: str


class DuplicateLine(NamedTuple):
    line_no: int
    raw: str
    first_line_no: int


@dataclass
class BulkParse:
    valid: list[ValidLine] = field(default_factory=list)
    invalid: list[InvalidLine] = field(default_factory=list)
    duplicates: list[DuplicateLine] = field(default_factory=list)


def _clean_label(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"').strip()
    return text


def split_line(line: str) -> tuple[str, str]:
    """(url, label) of one pasted line: ``url``, ``url<TAB>label`` or ``url,label``.

    A URL has no spaces, so it ends at the first space at the latest. Within that, the label
    starts after the first comma not followed by a digit, '-', '_', '%' or '+' (those continue
    a URL: map coordinates like ``@48.85,2.29,17z``); when no comma qualifies but a label with
    spaces follows, after the last comma (``...,17z,2024 trip``). A label may be quoted.
    """
    line = line.strip()
    if "\t" in line:
        url, _, label = line.partition("\t")
        return url.strip(), _clean_label(label)
    match = _FIRST_WORD.match(line)
    if not match:
        return "", ""
    head, tail = match.groups()
    commas = [i for i, char in enumerate(head) if char == ","]
    for i in commas:
        if head[i + 1 : i + 2] not in _URL_CONTINUES:  # also a comma that ends the word
            return head[:i], _clean_label(head[i + 1 :] + tail)
    if commas and tail.strip():
        return head[: commas[-1]], _clean_label(head[commas[-1] + 1 :] + tail)
    if tail.strip().startswith(","):  # "url , label"
        return head, _clean_label(tail.strip()[1:])
    # No separator: the whole line is the URL, and recognising it says what is wrong.
    return line, ""


def _collect(entries: list[tuple[int, str, str, str]], existing: Iterable[str]) -> BulkParse:
    """Recognise (line_no, raw, url, label) entries into valid, invalid and duplicate lines."""
    if len(entries) > MAX_LINES:
        raise BulkParseError(
            f"too many lines: {len(entries)} URLs given, at most {MAX_LINES} can be added at once"
        )
    existing = set(existing)
    first_seen: dict[str, int] = {}
    result = BulkParse()
    for line_no, raw, url, label in entries:
        if _SECOND_URL.search(url) or _SECOND_URL.match(" " + label):
            result.invalid.append(InvalidLine(line_no, raw, "two URLs on one line: put each on its own line"))
            continue
        try:
            recognition = recognize(url)
        except UnrecognizedURL as exc:
            result.invalid.append(InvalidLine(line_no, raw, exc.message))
            continue
        canonical = recognition.canonical_url
        if canonical in first_seen:
            result.duplicates.append(DuplicateLine(line_no, raw, first_seen[canonical]))
        elif canonical in existing:
            result.invalid.append(InvalidLine(line_no, raw, "this target is already in the project"))
        else:
            first_seen[canonical] = line_no
            result.valid.append(ValidLine(line_no, recognition, label or recognition.label))
    return result


def parse_bulk(text: str, *, existing: Iterable[str] = ()) -> BulkParse:
    """Recognise pasted lines, one URL per line.

    Blank lines and lines starting with ``#`` are skipped; line numbers count every line.
    ``existing`` holds canonical URLs already in the project: those lines come back invalid.
    Raises ``BulkParseError`` for more than ``MAX_LINES`` URLs.
    """
    entries = []
    for line_no, line in enumerate((text or "").lstrip("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        url, label = split_line(stripped)
        entries.append((line_no, stripped, url, label))
    return _collect(entries, existing)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkParseError("the file is not UTF-8 text: save the CSV as UTF-8 and upload it again") from exc


class _Columns(NamedTuple):
    url: int
    label: int | None
    count: int  # columns of the header; 2 (url,label) without one
    header: bool

    @property
    def plain(self) -> bool:
        """``url`` or ``url,label``: a row with more cells is a link with commas in it."""
        return self.url == 0 and (self.count == 1 or (self.count == 2 and self.label == 1))


def _columns(first_row: list[str]) -> _Columns:
    names = [cell.strip().lower() for cell in first_row]
    if "url" in names:
        label = names.index("label") if "label" in names else None
        return _Columns(names.index("url"), label, len(names), header=True)
    first = names[0] if names else ""
    if "." in first or "/" in first:
        return _Columns(0, 1, 2, header=False)
    raise BulkParseError("the CSV needs a header row with a 'url' column (and optionally 'label')")


def parse_bulk_csv(file_bytes: bytes, *, existing: Iterable[str] = ()) -> BulkParse:
    """Recognise the rows of an uploaded CSV with columns ``url`` and (optionally) ``label``.

    UTF-8 with or without BOM (UTF-16 with BOM too); comma or semicolon separated, chosen by
    the header. A file without header is read as url,label when its first cell is a URL.
    Line numbers are the file's. Raises ``BulkParseError`` for unreadable files or more than
    ``MAX_LINES`` rows.
    """
    text = _decode(file_bytes)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    entries: list[tuple[int, str, str, str]] = []
    columns: _Columns | None = None
    try:
        for row in reader:
            if not any(cell.strip() for cell in row) or row[0].strip().startswith("#"):
                continue
            if columns is None:
                columns = _columns(row)
                if columns.header:
                    continue
            raw = delimiter.join(row).strip()
            if delimiter == "," and columns.plain and len(row) > columns.count:
                # An unquoted map link split at its coordinates: read the row as a pasted line.
                url, label = split_line(raw) if columns.count == 2 else (raw, "")
            else:
                url = row[columns.url].strip() if columns.url < len(row) else ""
                has_label = columns.label is not None and columns.label < len(row)
                label = row[columns.label].strip() if has_label else ""
            entries.append((reader.line_num, raw, url, label))
    except csv.Error as exc:
        raise BulkParseError(f"the CSV could not be read (line {reader.line_num}): {exc}") from exc
    return _collect(entries, existing)
