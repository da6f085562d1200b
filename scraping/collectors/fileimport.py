"""Reviews imported from an uploaded CSV, JSON or JSON Lines file.

The file lives under the upload directory (``settings.MEDIA_ROOT``, else
``var/uploads``); ``target.platform_data["file_path"]`` names it. Columns are
mapped to content fields by ``target.options["mapping"]`` (``{"text":
"review_body", "rating": "stars"}``; JSON keys may be dotted paths such as
``"user.name"``), or, without a mapping, by their usual names (``review``,
``stars``, ``created_at``, ...). Columns that map to no field are kept in the
item's metadata. No HTTP is involved.

A file that cannot be read (not text, a CSV field past the csv module's limit,
JSON that is cut short, invalid or nested deeper than the results collection
can store) raises :class:`MalformedFileError` naming the line: the target fails
at once, as running it again would meet the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from projects.platforms import Platform
from projects.uploads import upload_root
from scraping.collectors._dates import in_window, parse_date
from scraping.collectors._text import fallback_id, parse_number, squash
from scraping.collectors.base import (
    CollectedItem,
    Collector,
    CollectorError,
    FetchContext,
    MalformedFileError,
    Page,
    TargetSpec,
)
from sentimatrix.textfiles import ADVICE, NotTextError, decode_text

FIELDS = ("text", "title", "author", "rating", "date", "url", "platform_id", "parent_id")
#: Column names recognised without a mapping, best first, after normalisation
#: (lower case, camelCase split, punctuation to "_").
AUTO_COLUMNS = {
    "text": (
        "text", "review_text", "review_body", "review", "body", "content", "review_content", "comment",
        "comment_text", "comments", "message", "feedback", "opinion", "description",
    ),
    "title": ("title", "review_title", "headline", "summary", "subject"),
    "author": (
        "author", "author_name", "reviewer", "reviewer_name", "username", "user_name", "user", "customer",
        "customer_name", "profile_name", "name",
    ),
    "rating": (
        "rating", "stars", "star_rating", "review_rating", "rating_value", "score", "review_score", "overall",
    ),
    "date": (
        "date", "review_date", "created_at", "created", "published_at", "published", "posted_at",
        "submitted_at", "timestamp", "datetime", "date_time", "time", "updated_at",
    ),
    "url": ("url", "review_url", "link", "permalink"),
    "platform_id": ("review_id", "platform_id", "id", "comment_id", "uid"),
    "parent_id": ("parent_id", "in_reply_to", "reply_to"),
}  # fmt: skip
#: Where a JSON document that is an object keeps its list of rows.
_JSON_LIST_KEYS = ("reviews", "items", "data", "results", "records", "rows", "comments")
#: Keys of an object column that hold its value (``"user": {"name": "Ivy"}``).
_OBJECT_VALUE_KEYS = ("name", "displayName", "display_name", "username", "text", "value")
PAGE_SIZE = 200
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Deepest nesting of arrays and objects read from a JSON file. A row is stored three levels
#: down in a result (``content.metadata.<column>``) and MongoDB refuses documents nested past
#: 100 levels; Python's parser gives up near 1,000. Reviews need a handful.
MAX_JSON_DEPTH = 32
#: Most characters one row may hold: a result is one document, which MongoDB caps at 16 MiB.
MAX_ROW_CHARS = 1_000_000
#: Integers MongoDB stores as numbers (8 bytes); longer ones are kept as their digits.
_INT64 = range(-(2**63), 2**63)
#: A JSON string (no raw line break: JSON has none inside strings, so lines keep their numbers).
_JSON_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def normalise_column(name: str) -> str:
    """``"Review Text"``, ``"reviewText"`` and ``"review-text"`` all become ``"review_text"``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def resolve_upload(file_path: str) -> Path:
    """The upload's path, refused when it points outside the upload directory."""
    if not file_path:
        raise CollectorError("the target has no uploaded file")
    root = upload_root().resolve()
    path = Path(file_path)
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_relative_to(root):
        raise CollectorError("the file to import must be an upload of this site")
    if not path.is_file():
        raise CollectorError(f"the uploaded file {path.name} is missing; upload it again")
    return path


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused past ``max_bytes``."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CollectorError(f"the file {path.name} is larger than the import limit of {max_bytes:,} bytes")
    return data


def decode(data: bytes) -> str:
    """Text of the file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252;
    refused, naming the line, when it is none of them (a binary file named .csv)."""
    try:
        return decode_text(data)
    except NotTextError as exc:
        raise MalformedFileError(f"{exc.problem}; {ADVICE}", line=exc.line) from exc


def _detect_format(text: str, name: str, requested: str | None) -> str:
    if requested:
        return requested.lower().replace("ndjson", "jsonl")
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (
            f"a field is longer than {csv.field_size_limit():,} characters, the most the importer "
            "reads in one field (a quote left open makes the rest of the file one field)"
        )
    return f"the CSV cannot be read ({exc})"


def _csv_rows(text: str) -> list[dict]:
    header = text.split("\n", 1)[0]
    # The delimiter the header uses most; header cells rarely contain one quoted.
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        if not reader.fieldnames:
            return []
        while True:
            start = reader.line_num + 1  # where the next record begins (it may span lines)
            row = next(reader, None)
            if row is None:
                return rows
            rows.append({key: value for key, value in row.items() if key is not None})
    except csv.Error as exc:
        raise MalformedFileError(_csv_problem(exc), line=start) from exc


def _too_deep(text: str) -> int | None:
    """The line where arrays and objects first nest past ``MAX_JSON_DEPTH``, else None.

    Counted on the text, before parsing: a parser would recurse once per level."""
    bare = _JSON_STRING.sub('""', text)
    depth = 0
    for match in _JSON_BRACKET.finditer(bare):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return bare.count("\n", 0, match.start()) + 1
        else:
            depth -= 1
    return None


def _nesting_error(line: int) -> MalformedFileError:
    return MalformedFileError(
        f"arrays or objects are nested more than {MAX_JSON_DEPTH} levels deep, "
        "deeper than the importer reads",
        line=line,
    )


def _decode_error(exc: json.JSONDecodeError, text: str, line: int | None = None) -> MalformedFileError:
    """Where and what: a JSON document (or, with ``line``, one line of JSON Lines) that
    stops early is named at its last line."""
    content = text.rstrip()
    # A string left open runs to the end of the text: JSON strings hold no line break.
    if exc.pos >= len(content) or exc.msg.startswith("Unterminated string"):
        if line is not None:
            return MalformedFileError(f"the line ends before its JSON is complete ({exc.msg})", line=line)
        return MalformedFileError(
            "the JSON ends before it is complete: is the file cut short?", line=content.count("\n") + 1
        )
    first_line = line or 1
    return MalformedFileError(
        f"not valid JSON ({exc.msg})", line=first_line + exc.lineno - 1, column=exc.colno
    )


def _json_int(digits: str) -> int | str:
    # Python refuses to convert more than 4,300 digits, and BSON stores 64 bits.
    if len(digits) <= 18:
        return int(digits)
    if len(digits.lstrip("-")) > 19:
        return digits
    value = int(digits)
    return value if value in _INT64 else digits


def _lines(text: str) -> list[str]:
    # Not splitlines(): JSON strings may hold U+2028 and other separators it splits on.
    return text.split("\n")


def _json_lines(text: str) -> list[dict]:
    rows = []
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        if line.count("[") + line.count("{") > MAX_JSON_DEPTH and _too_deep(line):
            raise _nesting_error(number)
        try:
            row = json.loads(line, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            raise _decode_error(exc, line, number) from exc
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _json_rows(text: str, kind: str) -> list[dict]:
    if kind != "json":
        return _json_lines(text)
    deep = _too_deep(text)
    if deep:
        raise _nesting_error(deep)
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        # May well be JSON Lines with a .json name. If its first line is no JSON either,
        # it is a JSON document, and the document's error says where it breaks.
        try:
            return _json_lines(text)
        except MalformedFileError as line_error:
            first = next((n for n, line in enumerate(_lines(text), start=1) if line.strip()), 1)
            if line_error.line == first:
                raise _decode_error(exc, text) from exc
            raise
    if isinstance(data, dict):
        lists = [data[key] for key in _JSON_LIST_KEYS if isinstance(data.get(key), list)]
        data = lists[0] if lists else [data]
    if not isinstance(data, list):
        raise CollectorError("the JSON file must hold a list of objects")
    return [row for row in data if isinstance(row, dict)]


def _check_row_sizes(rows: list[dict]) -> None:
    """Refuse the file before any row is stored when one row is too large to store."""
    for number, row in enumerate(rows, start=1):
        size = len(json.dumps(row, ensure_ascii=False, default=str))
        if size > MAX_ROW_CHARS:
            raise MalformedFileError(
                f"row {number} holds {size:,} characters, more than the {MAX_ROW_CHARS:,} "
                "the importer stores for one review"
            )


def parse_rows(data: bytes, name: str = "", file_format: str | None = None) -> list[dict]:
    """The rows of a CSV, JSON (a list of objects) or JSON Lines file; ``MalformedFileError``
    naming the line (or row) and the problem when the file cannot be imported."""
    text = decode(data)
    kind = _detect_format(text, name, file_format)
    if kind == "csv":
        rows = _csv_rows(text)
    elif kind in ("json", "jsonl"):
        rows = _json_rows(text, kind)
    else:
        raise CollectorError(f"unknown file format {file_format!r}: use csv, json or jsonl")
    _check_row_sizes(rows)
    return rows


def _lookup(row: dict, column: str) -> object:
    if column in row:
        return row[column]
    value: object = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _object_keys(rows: list[dict]) -> dict[str, set[str]]:
    """Columns whose values are JSON objects, with the keys those objects have."""
    keys: dict[str, set[str]] = {}
    for row in rows:
        for column, value in row.items():
            if isinstance(value, dict):
                keys.setdefault(column, set()).update(value)
    return keys


def _checked_mapping(columns: list[str], mapping: dict) -> dict[str, str]:
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise CollectorError(f"unknown field(s) in the column mapping: {', '.join(unknown)}")
    resolved = {}
    for field_name, column in mapping.items():
        if not column:
            continue
        if column not in columns and column.split(".", 1)[0] not in columns:
            raise CollectorError(
                f"the mapping names column {column!r} for {field_name}, "
                f"but the file has only: {', '.join(columns)}"
            )
        resolved[field_name] = column
    return resolved


def _auto_column(
    field_name: str, by_normalised: dict[str, str], objects: dict[str, set[str]], used: set
) -> str:
    """The first usual column name for ``field_name`` that the file has and no field uses yet."""
    for candidate in AUTO_COLUMNS[field_name]:
        column = by_normalised.get(candidate)
        if not column or column in used:
            continue
        if column not in objects:
            return column
        inner = next((key for key in _OBJECT_VALUE_KEYS if key in objects[column]), None)
        if inner is not None:
            return f"{column}.{inner}"
    return ""


def resolve_mapping(
    columns: list[str], mapping: dict | None, sample: list[dict] | None = None
) -> dict[str, str]:
    """Field -> column. An explicit mapping is checked against the columns; without
    one (or for ``text`` when the mapping leaves it out) the usual names are used.
    A usual name holding an object (``"user": {"name": ...}``) maps through the
    object's own name-like key (``user.name``), else is left to the metadata."""
    resolved = _checked_mapping(columns, mapping) if mapping else {}
    objects = _object_keys(sample or [])
    by_normalised: dict[str, str] = {}
    for column in columns:
        by_normalised.setdefault(normalise_column(column), column)
    used = set(resolved.values())
    for field_name in FIELDS if not mapping else ("text",):
        if field_name not in resolved:
            column = _auto_column(field_name, by_normalised, objects, used)
            if column:
                resolved[field_name] = column
                used.add(column)
    if "text" not in resolved:
        raise CollectorError(
            "the file has no text column: map one of its columns "
            f"({', '.join(columns) or 'none found'}) to text"
        )
    return resolved


def _plain(value: object) -> str:
    if value is None:
        return ""
    return squash(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def map_row(row: dict, mapping: dict[str, str], number: int) -> CollectedItem | None:
    """One row as an item; ``None`` when it has no text."""
    text = _plain(_lookup(row, mapping["text"]))
    if not text:
        return None
    values = {field_name: _lookup(row, column) for field_name, column in mapping.items()}
    author = _plain(values.get("author"))
    moment = parse_date(values.get("date"))
    rating = values.get("rating")
    # A dotted path uses part of an object: the object itself stays in the metadata.
    used = set(mapping.values())
    metadata = {key: value for key, value in row.items() if key not in used and value not in (None, "")}
    metadata["row"] = number
    platform_id = _plain(values.get("platform_id"))
    parent = _plain(values.get("parent_id"))
    return CollectedItem(
        platform_id=platform_id or fallback_id(author, moment, text),
        text=text,
        title=_plain(values.get("title")),
        author=author,
        rating=parse_number(rating) if rating not in (None, "") else None,
        date=moment,
        url=_plain(values.get("url")),
        parent_id=parent or None,
        metadata=metadata,
    )


class FileImportCollector(Collector):
    platform = Platform.FILE.value

    def read_pages(self, target: TargetSpec, ctx: FetchContext, cursor: str | None = None) -> Iterator[Page]:
        path = resolve_upload(str(target.platform_data.get("file_path") or ""))
        max_bytes = int(getattr(settings, "FILE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
        file_format = target.options.get("format") or target.platform_data.get("format")
        rows = parse_rows(read_capped(path, max_bytes), path.name, file_format)
        if not rows:
            raise CollectorError(f"the file {path.name} has no rows")
        columns = list(dict.fromkeys(key for row in rows[:100] for key in row))
        mapping = resolve_mapping(columns, target.options.get("mapping"), rows[:100])
        if not any(_plain(_lookup(row, mapping["text"])) for row in rows):
            raise CollectorError(f"no row of {path.name} has text in the column {mapping['text']!r}")
        offset = int(cursor or 0)
        collected = 0
        while True:
            chunk = rows[offset : offset + PAGE_SIZE]
            items = [
                item
                for number, row in enumerate(chunk, start=offset + 1)
                if (item := map_row(row, mapping, number)) is not None
            ]
            offset += len(chunk)
            collected += len(items)
            done = offset >= len(rows) or collected >= ctx.max_items
            yield Page(
                items=[item for item in items if in_window(item.date, ctx)],
                next_cursor=None if done else str(offset),
                reported_total=len(rows),
                requests_made=0,
            )
            if done:
                return
