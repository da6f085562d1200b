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
:data:`LIST_SEPARATOR`; dates are ISO 8601 in UTC in CSV and JSON Lines.

**Aspects** (:func:`aspect_rows`, :func:`aspects_export`): the aspects of a project or of one
target, one row per aspect (:data:`ASPECT_COLUMNS`), read from the cached insights document
(:func:`analysis.insights_cache.get_insights`), the same one the dashboard and the comparison
show, so the counts agree; every row says which sample it comes from (``sample_size``,
``computed_at``). Same formats, same formula guard.
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


def _joined(values) -> str:
    return LIST_SEPARATOR.join(str(v) for v in values or [] if v is not None and str(v) != "")


def _scored(name: str, score) -> str:
    return f"{name}:{score:g}" if isinstance(score, int | float) else str(name)


def flatten(doc: dict, target_labels: dict[str, str]) -> dict:
    """One result document as a flat row of :data:`COLUMNS` (dates as aware datetimes)."""
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
        "emotions_detected": _joined(
            f"{e.get('emotion')}:{e.get('score'):g}"
            for e in emotions.get("detected") or []
            if e.get("emotion")
        ),
        "summary": summary.get("text") or "",
        "key_points": _joined(summary.get("key_points")),
        "pros": _joined(insights.get("pros")),
        "cons": _joined(insights.get("cons")),
        "topics": _joined(
            _scored(t.get("topic"), t.get("sentiment"))
            for t in insights.get("topics") or []
            if t.get("topic")
        ),
        "analysis_engine": analysis.get("engine") or "",
        "rating_disagreement": bool((doc.get("flags") or {}).get("rating_disagreement")),
        "excluded": bool(doc.get("excluded")),
        "pinned": bool(doc.get("pinned")),
        "tags": _joined(doc.get("tags")),
        "scrape_job_id": str(doc["scrape_job_id"]) if doc.get("scrape_job_id") else "",
    }


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
            row = flatten(doc, target_labels)
            lines.append(
                json.dumps({c: _text_value(row[c]) if row[c] is not None else None for c in COLUMNS})
            )
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


def aspect_rows(found: dict) -> list[dict]:
    """One row per aspect of an insights document (what :func:`analysis.insights_cache.get_insights`
    returns), in :data:`ASPECT_COLUMNS`."""
    summary = found.get("summary") or {}
    rows = []
    for entry in summary.get("topics") or []:
        judged = entry.get("sentiment") or {}
        trend = entry.get("trend") or {}
        older, recent = trend.get("older") or {}, trend.get("recent") or {}
        rows.append(
            {
                "aspect": entry.get("topic") or "",
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
                "forms": _joined(entry.get("forms")),
                "quotes": _joined(q.get("span") for q in entry.get("quotes") or []),
                "result_ids": _joined(entry.get("result_ids")),
                "target_id": str(found.get("target_id") or ""),
                "sample_size": found.get("sample_size"),
                "computed_at": found.get("computed_at"),
            }
        )
    return rows


def aspects_export(found: dict, fmt: str) -> bytes:
    """The aspects of an insights document as a whole file in ``fmt`` (a few dozen rows)."""
    rows = aspect_rows(found)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(ASPECT_COLUMNS)
        for row in rows:
            writer.writerow([csv_safe(_text_value(row[c])) for c in ASPECT_COLUMNS])
        return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    if fmt == "jsonl":
        lines = [
            json.dumps({c: _text_value(row[c]) if row[c] is not None else None for c in ASPECT_COLUMNS})
            for row in rows
        ]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
    header = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = workbook.add_worksheet("Aspects")
    for col, name in enumerate(ASPECT_COLUMNS):
        sheet.write_string(0, col, name, header)
    for index, row in enumerate(rows, start=1):
        for col, name in enumerate(ASPECT_COLUMNS):
            _write_cell(sheet, index, col, row[name], when)
    workbook.close()
    return buffer.getvalue()
