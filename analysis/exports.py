"""Exports of the explorer's current filter: CSV, JSON Lines and Excel, streamed.

One row per result, the analysis flattened into columns (:data:`COLUMNS`, the same in every
format). Rows are read from the database in batches of :data:`BATCH_SIZE` through one cursor
over the explorer's selection (:func:`analysis.results_store.reads.export_batches`), and each
batch is written out before the next is read, so an export of any size holds one batch:

- **CSV**: UTF-8 with a byte-order mark (spreadsheet tools then read the accents right), one
  chunk per batch. A text cell that a spreadsheet would take for a formula (it starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an apostrophe:
  scraped text is data, never a formula (:func:`csv_safe`).
- **JSON Lines**: one JSON object per line, one chunk per batch.
- **Excel** (xlsx, XlsxWriter in ``constant_memory`` mode): each row is flushed to a temporary
  file as it is written; the finished workbook is then streamed from disk in chunks. Every
  text goes in as a string cell (never a formula or a link); dates are date cells, in UTC.

List values (pros, cons, tags, key points, detected emotions, topics) are joined with
:data:`LIST_SEPARATOR` in CSV and Excel cells and are JSON arrays in JSON Lines (a detected
emotion or a topic with its score as an object); dates are ISO 8601 in UTC in CSV and JSON Lines.

Every Excel sheet has its columns sized to what they hold and an autofilter on its header, so
it opens ready to sort and filter (:func:`size_and_filter`).

**Aspects** (:func:`aspect_rows`, :func:`aspects_export`): the aspects of a project or of one
target, one row per aspect (:data:`ASPECT_COLUMNS`), read from the cached insights document
(:func:`analysis.insights_cache.get_insights`), the same one the dashboard and the comparison
show, so the counts agree; every row says which sample it comes from (``sample_size``,
``computed_at``). Same formats, same formula guard. Small tables of that kind (the dashboard's
figures, :mod:`analysis.dashboard.tables`) are written whole by :func:`table_export`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import xlsxwriter
from django.utils.text import slugify

from analysis.results_store import reads

BATCH_SIZE = 1000
FILE_CHUNK = 64 * 1024
LIST_SEPARATOR = " | "
EXCEL_MAX_ROWS = 1_048_576  # per sheet, the header included
EXCEL_MAX_CELL = 32_767  # characters in one cell
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv", "CSV"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl", "JSON Lines"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel"),
}
COLUMNS = (
    "id", "target_id", "target", "platform", "url", "author", "title", "text", "rating", "posted_at",
    "collected_at", "language", "word_count", "sentiment_label", "sentiment_score", "sentiment_confidence",
    "emotion_primary", "emotion_primary_score", "emotions_detected", "summary", "key_points", "pros", "cons",
    "topics", "analysis_engine", "rating_disagreement", "excluded", "pinned", "tags", "scrape_job_id",
)  # fmt: skip
DATE_COLUMNS = frozenset({"posted_at", "collected_at"})
PROJECTION = {
    "target_id": 1, "platform": 1, "content.url": 1, "content.author": 1, "content.title": 1,
    "content.text": 1, "content.rating": 1, "content.date": 1, "created_at": 1, "language": 1,
    "word_count": 1, "analysis": 1, "flags": 1, "excluded": 1, "pinned": 1, "tags": 1, "scrape_job_id": 1,
}  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Scraped text is written as text, never read as a number, formula or link.
WORKBOOK_OPTIONS = {
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "remove_timezone": True,
}


def _scored(name: str, score) -> str:
    return f"{name}:{score:g}" if isinstance(score, int | float) else str(name)


def _item_text(item) -> str:
    """One list element as a cell shows it: a scored entry as ``name:score``."""
    if isinstance(item, dict):
        name, score = list(item.values())[:2]
        return _scored(name, score)
    return str(item)


def _joined(values) -> str:
    return LIST_SEPARATOR.join(_item_text(v) for v in values or [] if v is not None and str(v) != "")


def _listed(values) -> list:
    return [v for v in values or [] if v is not None and str(v) != ""]


def result_row(doc: dict, target_labels: dict[str, str]) -> dict:
    """One result document as a row of :data:`COLUMNS` with its list values as lists (what JSON
    Lines writes); dates as aware datetimes."""
    content = doc.get("content") or {}
    analysis = doc.get("analysis") or {}
    sentiment = analysis.get("sentiment") or {}
    emotions = analysis.get("emotions") or {}
    summary = analysis.get("summary") or {}
    insights = analysis.get("insights") or {}
    target_id = str(doc.get("target_id") or "")
    return {
        "id": str(doc["_id"]),
        "target_id": target_id,
        "target": target_labels.get(target_id, ""),
        "platform": doc.get("platform") or "",
        "url": content.get("url") or "",
        "author": content.get("author") or "",
        "title": content.get("title") or "",
        "text": content.get("text") or "",
        "rating": content.get("rating"),
        "posted_at": content.get("date"),
        "collected_at": doc.get("created_at"),
        "language": doc.get("language") or "",
        "word_count": doc.get("word_count"),
        "sentiment_label": sentiment.get("label") or "",
        "sentiment_score": sentiment.get("score"),
        "sentiment_confidence": sentiment.get("confidence"),
        "emotion_primary": emotions.get("primary") or "",
        "emotion_primary_score": emotions.get("primary_score"),
        "emotions_detected": [
            {"emotion": e.get("emotion"), "score": e.get("score")}
            for e in emotions.get("detected") or []
            if e.get("emotion")
        ],
        "summary": summary.get("text") or "",
        "key_points": _listed(summary.get("key_points")),
        "pros": _listed(insights.get("pros")),
        "cons": _listed(insights.get("cons")),
        "topics": [
            {"topic": t.get("topic"), "sentiment": t.get("sentiment")}
            for t in insights.get("topics") or []
            if t.get("topic")
        ],
        "analysis_engine": analysis.get("engine") or "",
        "rating_disagreement": bool((doc.get("flags") or {}).get("rating_disagreement")),
        "excluded": bool(doc.get("excluded")),
        "pinned": bool(doc.get("pinned")),
        "tags": _listed(doc.get("tags")),
        "scrape_job_id": str(doc["scrape_job_id"]) if doc.get("scrape_job_id") else "",
    }


def joined_lists(row: dict) -> dict:
    """``row`` with each list value joined into one cell (CSV and Excel)."""
    return {k: _joined(v) if isinstance(v, list) else v for k, v in row.items()}


def flatten(doc: dict, target_labels: dict[str, str]) -> dict:
    """One result document as a flat row of :data:`COLUMNS` (dates as aware datetimes, lists
    joined): what CSV and Excel write."""
    return joined_lists(result_row(doc, target_labels))


def json_value(value):
    """A value as JSON Lines writes it: dates in ISO 8601 (UTC), lists as arrays."""
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def csv_safe(value):
    """A cell as CSV writes it: text that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text_value(value) -> str | float | int | bool:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return "" if value is None else value


def csv_chunks(batches: Iterable[list[dict]], target_labels: dict[str, str]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for doc in batch:
            row = flatten(doc, target_labels)
            writer.writerow([csv_safe(_text_value(row[c])) for c in COLUMNS])
        yield buffer.getvalue().encode("utf-8")


def jsonl_chunks(batches: Iterable[list[dict]], target_labels: dict[str, str]) -> Iterator[bytes]:
    for batch in batches:
        lines = []
        for doc in batch:
            row = result_row(doc, target_labels)
            lines.append(json.dumps({c: json_value(row[c]) for c in COLUMNS}))
        yield ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_chunks(batches: Iterable[list[dict]], target_labels: dict[str, str]) -> Iterator[bytes]:
    handle, path = tempfile.mkstemp(prefix="sentimatrix-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, **WORKBOOK_OPTIONS})
        header = workbook.add_format({"bold": True})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet, row_index, sheets = None, EXCEL_MAX_ROWS, 0
        for batch in batches:
            for doc in batch:
                if row_index >= EXCEL_MAX_ROWS:
                    if sheet is not None:
                        size_and_filter(sheet, COLUMNS, row_index - 1, RESULT_WIDTHS)
                    sheets += 1
                    sheet = workbook.add_worksheet("Results" if sheets == 1 else f"Results {sheets}")
                    for col, name in enumerate(COLUMNS):
                        sheet.write_string(0, col, name, header)
                    sheet.freeze_panes(1, 0)
                    row_index = 1
                row = flatten(doc, target_labels)
                for col, name in enumerate(COLUMNS):
                    _write_cell(sheet, row_index, col, row[name], when)
                row_index += 1
        if sheet is None:  # no results: still a workbook with its header
            sheet = workbook.add_worksheet("Results")
            for col, name in enumerate(COLUMNS):
                sheet.write_string(0, col, name, header)
            row_index = 1
        size_and_filter(sheet, COLUMNS, row_index - 1, RESULT_WIDTHS)
        workbook.close()
        with open(path, "rb") as finished:
            while chunk := finished.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _write_cell(sheet, row: int, col: int, value, date_format) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value.astimezone(UTC).replace(tzinfo=None), date_format)
    else:
        sheet.write_string(row, col, str(value)[:EXCEL_MAX_CELL])


# Excel column widths (characters) of the results sheet: streamed rows cannot be measured before
# the sheet is laid out, so each column gets the width its content usually needs.
RESULT_WIDTHS = {
    "id": 26, "target_id": 26, "target": 30, "platform": 12, "url": 40, "author": 20, "title": 30,
    "text": 80, "rating": 8, "posted_at": 20, "collected_at": 20, "language": 10, "word_count": 12,
    "sentiment_label": 16, "sentiment_score": 16, "sentiment_confidence": 20, "emotion_primary": 16,
    "emotion_primary_score": 22, "emotions_detected": 40, "summary": 60, "key_points": 50, "pros": 40,
    "cons": 40, "topics": 40, "analysis_engine": 16, "rating_disagreement": 20, "excluded": 10,
    "pinned": 8, "tags": 24, "scrape_job_id": 26,
}  # fmt: skip
MIN_WIDTH, MAX_WIDTH = 8, 60


def size_and_filter(sheet, columns, last_row: int, widths: dict[str, float]) -> None:
    """Give each column of ``sheet`` its width and put an autofilter over the header and the
    ``last_row`` rows below it (the sheet opens ready to sort and filter)."""
    for col, name in enumerate(columns):
        sheet.set_column(col, col, widths.get(name, max(MIN_WIDTH, len(name) + 2)))
    sheet.autofilter(0, 0, max(last_row, 0), len(columns) - 1)


def measured_widths(columns, rows: list[dict]) -> dict[str, float]:
    """Widths that fit a whole table's header and cells, between MIN_WIDTH and MAX_WIDTH."""
    widths = {}
    for name in columns:
        longest = max([len(str(name))] + [len(_cell_text(row.get(name))) for row in rows])
        widths[name] = min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))
    return widths


def _cell_text(value) -> str:
    if isinstance(value, list):
        return _joined(value)
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm:ss"
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


WRITERS = {"csv": csv_chunks, "jsonl": jsonl_chunks, "xlsx": xlsx_chunks}


def export_stream(
    selection: reads.Selection, fmt: str, target_labels: dict[str, str], batch_size: int = BATCH_SIZE
) -> Iterator[bytes]:
    """The export of a selection in ``fmt`` (a key of :data:`FORMATS`), as byte chunks."""
    return WRITERS[fmt](reads.export_batches(selection, PROJECTION, batch_size), target_labels)


def export_filename(project, fmt: str, now: datetime | None = None, kind: str = "results") -> str:
    now = now or datetime.now(UTC)
    name = slugify(project.name) or "project"
    return f"{name}-{kind}-{now:%Y%m%d-%H%M}.{FORMATS[fmt][1]}"


# --- aspects ----------------------------------------------------------------------------------

ASPECT_COLUMNS = (
    "aspect", "verdict", "results", "mentions", "praise", "neutral", "criticise", "not_judged",
    "average_sentiment", "older_half_results", "newer_half_results", "older_half_sentiment",
    "newer_half_sentiment", "mentions_trend", "sentiment_trend", "forms", "quotes", "result_ids",
    "target_id", "sample_size", "computed_at",
)  # fmt: skip


def aspect_row(entry: dict, found: dict) -> dict:
    """One aspect entry (a topic, a pro or a con) of an insights document as a row of
    :data:`ASPECT_COLUMNS` (forms, quotes and result ids as lists)."""
    judged = entry.get("sentiment") or {}
    trend = entry.get("trend") or {}
    older, recent = trend.get("older") or {}, trend.get("recent") or {}
    return {
        "aspect": entry.get("topic") or entry.get("text") or "",
        "verdict": entry.get("verdict") or "",
        "results": entry.get("count"),
        "mentions": entry.get("mentions"),
        "praise": judged.get("positive"),
        "neutral": judged.get("neutral"),
        "criticise": judged.get("negative"),
        "not_judged": judged.get("unscored"),
        "average_sentiment": entry.get("mean_sentiment"),
        "older_half_results": older.get("results"),
        "newer_half_results": recent.get("results"),
        "older_half_sentiment": older.get("mean_sentiment"),
        "newer_half_sentiment": recent.get("mean_sentiment"),
        "mentions_trend": trend.get("mentions") or "",
        "sentiment_trend": trend.get("sentiment") or "",
        "forms": _listed(entry.get("forms")),
        "quotes": _listed(q.get("span") for q in entry.get("quotes") or []),
        "result_ids": [str(i) for i in _listed(entry.get("result_ids"))],
        "target_id": str(found.get("target_id") or ""),
        "sample_size": found.get("sample_size"),
        "computed_at": found.get("computed_at"),
    }


def aspect_rows(found: dict) -> list[dict]:
    """One row per aspect of an insights document (what :func:`analysis.insights_cache.get_insights`
    returns), in :data:`ASPECT_COLUMNS`."""
    summary = found.get("summary") or {}
    return [aspect_row(entry, found) for entry in summary.get("topics") or []]


def aspects_export(found: dict, fmt: str) -> bytes:
    """The aspects of an insights document as a whole file in ``fmt`` (a few dozen rows)."""
    return table_export("Aspects", ASPECT_COLUMNS, aspect_rows(found), fmt)


def table_export(title: str, columns, rows: list[dict], fmt: str) -> bytes:
    """A small table (rows of ``columns``, list values as lists) as a whole file in ``fmt``:
    CSV with the formula guard, JSON Lines with arrays, or one Excel sheet named ``title``
    with measured column widths and an autofilter."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            cells = joined_lists(row)
            writer.writerow([csv_safe(_text_value(cells[c])) for c in columns])
        return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    if fmt == "jsonl":
        lines = [json.dumps({c: json_value(row[c]) for c in columns}) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
    header = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = workbook.add_worksheet(title[:31])
    for col, name in enumerate(columns):
        sheet.write_string(0, col, name, header)
    for index, row in enumerate(rows, start=1):
        cells = joined_lists(row)
        for col, name in enumerate(columns):
            _write_cell(sheet, index, col, cells[name], when)
    sheet.freeze_panes(1, 0)
    size_and_filter(sheet, columns, len(rows), measured_widths(columns, rows))
    workbook.close()
    return buffer.getvalue()
