"""Exports of the explorer's filter: CSV, JSON Lines and xlsx parse back to the same rows and
columns, follow the filter, keep scraped text as text, count against the plan, are audited, and
stream in batches with flat memory."""

import csv
import io
import json
import math
import tracemalloc
from datetime import UTC, datetime

import openpyxl
import pytest
from django.http import QueryDict
from django.urls import reverse

from accounts.models import AuditLog
from analysis import exports, stats
from analysis.results_store import reads
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import FORMULA, XSS, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=30, extra=[XSS, FORMULA, "-1 star, refund please"])


def download(client, seeded, fmt, query=""):
    url = reverse("analysis:export", args=[seeded.project.pk, fmt]) + (f"?{query}" if query else "")
    response = client.post(url)
    assert response.status_code == 200, response.content[:300]
    assert response.streaming
    return response, b"".join(response.streaming_content)


def expected_rows(seeded, query="", row=exports.flatten):
    """The explorer's rows for the same filter, flattened, in the explorer's order."""

    queryset = reads.select(seeded.project.user, seeded.project, QueryDict(query)).queryset
    labels = {str(t.pk): t.label for t in seeded.targets}
    by_id = {d["_id"]: d for d in seeded.docs}
    return [row(by_id[pk], labels) for pk in queryset.values_list("pk", flat=True)]


def as_text(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return "" if value is None else value


def test_csv_parses_back_with_the_same_rows_and_columns(seeded, client):
    client.force_login(seeded.project.user)
    response, body = download(client, seeded, "csv")
    assert body.startswith("\ufeff".encode())
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="seeded-project-results-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == exports.COLUMNS
    want = expected_rows(seeded)
    assert len(rows) - 1 == len(want) == len(seeded.visible())
    for got, row in zip(rows[1:], want, strict=True):
        assert got == [str(exports.csv_safe(as_text(row[c]))) for c in exports.COLUMNS]
    texts = {r[exports.COLUMNS.index("text")] for r in rows[1:]}
    assert XSS in texts  # text stays text, not escaped, not dropped
    assert "'" + FORMULA in texts and FORMULA not in texts  # never a live formula
    assert "'-1 star, refund please" in texts


def test_jsonl_parses_back_with_the_same_rows_and_columns(seeded, client):
    client.force_login(seeded.project.user)
    query = "sentiment=negative&sentiment=very_negative&sort=score_asc"
    response, body = download(client, seeded, "jsonl", query)
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in body.decode().splitlines()]
    want = expected_rows(seeded, query, row=exports.result_row)
    assert want and len(want) < len(seeded.visible())
    assert [tuple(line) for line in lines] == [exports.COLUMNS] * len(want)
    assert lines == [
        {c: exports.json_value(as_text(row[c])) if row[c] is not None else None for c in exports.COLUMNS}
        for row in want
    ]
    assert all(line["sentiment_label"] in {"negative", "very_negative"} for line in lines)


def test_jsonl_writes_list_values_as_json_arrays(seeded, client):
    client.force_login(seeded.project.user)
    _, body = download(client, seeded, "jsonl", "status=all")
    lines = [json.loads(line) for line in body.decode().splitlines()]
    for name in ("emotions_detected", "key_points", "pros", "cons", "topics", "tags"):
        assert all(isinstance(line[name], list) for line in lines), name
    tagged = [line for line in lines if line["tags"]]
    assert tagged and all(line["tags"] == ["battery"] for line in tagged)
    assert not any(exports.LIST_SEPARATOR in json.dumps(line["tags"]) for line in lines)
    scored = next(line for line in lines if line["topics"])
    assert scored["topics"][0]["topic"] == "puzzles" and isinstance(scored["topics"][0]["sentiment"], float)
    detected = next(line for line in lines if line["emotions_detected"])
    assert set(detected["emotions_detected"][0]) == {"emotion", "score"}
    assert next(line for line in lines if line["key_points"])["key_points"][0]
    # CSV keeps one cell per list, joined.
    _, csv_body = download(client, seeded, "csv", "status=all")
    rows = list(csv.DictReader(io.StringIO(csv_body.decode("utf-8-sig"))))
    assert {r["tags"] for r in rows} == {"battery", ""}
    assert all(
        " | " in r["emotions_detected"] or ":" in r["emotions_detected"]
        for r in rows
        if r["emotions_detected"]
    )


def test_xlsx_results_have_column_widths_and_an_autofilter(seeded, client):
    client.force_login(seeded.project.user)
    _, body = download(client, seeded, "xlsx", "status=all")
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Results"]
    last_column = openpyxl.utils.get_column_letter(len(exports.COLUMNS))
    assert sheet.auto_filter.ref == f"A1:{last_column}{len(seeded.docs) + 1}"
    widths = {}
    for dimension in sheet.column_dimensions.values():  # a run of equal widths is one range
        for index in range(dimension.min, dimension.max + 1):
            widths[exports.COLUMNS[index - 1]] = dimension.width
    assert set(widths) == set(exports.COLUMNS)
    for name, width in widths.items():
        assert width == pytest.approx(exports.RESULT_WIDTHS[name], abs=1), name


def test_xlsx_parses_back_with_the_same_rows_and_columns(seeded, client):
    client.force_login(seeded.project.user)
    response, body = download(client, seeded, "xlsx", "status=all")
    assert response["Content-Type"] == exports.FORMATS["xlsx"][0]
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True)["Results"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.COLUMNS
    want = expected_rows(seeded, "status=all")
    assert len(rows) - 1 == len(want) == len(seeded.docs)
    for got, row in zip(rows[1:], want, strict=True):
        expected = []
        for c in exports.COLUMNS:
            value = row[c]
            if isinstance(value, datetime):
                value = value.astimezone(UTC).replace(tzinfo=None)
            expected.append(None if value == "" else value)
        assert list(got) == expected
    # Scraped text that looks like a formula is a string cell, never a formula.
    cells = openpyxl.load_workbook(io.BytesIO(body))["Results"]
    text_col = exports.COLUMNS.index("text") + 1
    formula_cell = next(
        cells.cell(row=r, column=text_col)
        for r in range(2, cells.max_row + 1)
        if cells.cell(row=r, column=text_col).value == FORMULA
    )
    assert formula_cell.data_type == "s"


def test_exports_count_against_the_plan_and_are_audited(seeded, client):
    user = seeded.project.user
    client.force_login(user)
    download(client, seeded, "csv", "platform=steam")
    user.refresh_from_db()
    assert user.usage.api_calls_this_month == 1
    entry = AuditLog.objects.get(event_type="data.export", user=user)
    assert entry.success and entry.metadata["format"] == "csv" and entry.metadata["scope"] == "results"
    assert entry.metadata["filter"] == "platform=steam" and entry.metadata["project"] == str(
        seeded.project.pk
    )
    limit = user.get_plan().api_calls_per_month
    collection("users").update_one({"_id": user.pk}, {"$set": {"usage.api_calls_this_month": limit}})
    refused = client.post(reverse("analysis:export", args=[seeded.project.pk, "xlsx"]) + "?platform=steam")
    assert refused.status_code == 302 and refused["Location"].endswith("?platform=steam")
    failed = AuditLog.objects.filter(event_type="data.export", success=False).get()
    assert failed.metadata["format"] == "xlsx"
    assert "allows" in client.get(refused["Location"]).content.decode()  # the plan's message


def test_exports_are_post_only_and_formats_are_known(seeded, client):
    client.force_login(seeded.project.user)
    assert client.get(reverse("analysis:export", args=[seeded.project.pk, "csv"])).status_code == 405
    assert client.post(reverse("analysis:export", args=[seeded.project.pk, "pdf"])).status_code == 404


def test_an_empty_filter_exports_a_header_only(seeded, client):
    client.force_login(seeded.project.user)
    _, body = download(client, seeded, "csv", "q=zzzznothingzzzz")
    assert body.decode("utf-8-sig").strip() == ",".join(exports.COLUMNS)
    _, body = download(client, seeded, "xlsx", "q=zzzznothingzzzz")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(body), read_only=True)["Results"].iter_rows(values_only=True)
    )
    assert rows == [exports.COLUMNS]


ROWS_FOR_MEMORY = 5000
BATCH = 500


def _consume(selection, fmt, labels):
    """Peak traced memory while streaming an export, and the rows in each chunk (CSV)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    chunks = 0
    rows_per_chunk = []
    for chunk in exports.export_stream(selection, fmt, labels, batch_size=BATCH):
        chunks += 1
        if fmt == "csv":
            rows_per_chunk.append(chunk.count(b"\r\n"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, chunks, rows_per_chunk


def test_streaming_holds_one_batch_whatever_the_size(db):
    """5,000 rows in batches of 500: every CSV chunk is one batch, and the peak memory of the whole
    export stays near that of a one-batch export (all rows in memory would be about ten times it).
    The xlsx writer's memory is measured at 100k rows by bench/export_rate.py."""
    user = make_user()
    small = seed(user, count=0, texts=[], name="Small")
    big = seed(user, count=0, texts=[], name="Big")
    text = "A long enough review text about puzzles, music and the price. " * 8
    for project, count in ((small.project, BATCH), (big.project, ROWS_FOR_MEMORY)):
        target = project.targets.first()
        collection("results").insert_many(
            {
                "project_id": project.pk,
                "target_id": target.pk,
                "user_id": user.pk,
                "platform": "steam",
                "content": {"text": f"{i} {text}", "platform_id": str(i), "author": "a", "rating": 4.0},
                "analysis": {"sentiment": {"label": "positive", "score": 0.5, "confidence": 0.9}},
                "excluded": False,
                "tags": [],
                "pinned": False,
                "flags": {"rating_disagreement": False},
                "created_at": datetime.now(UTC),
                "language": "en",
                "word_count": 80,
            }
            for i in range(count)
        )
    peaks = {}
    for name, project, count in (("small", small.project, BATCH), ("big", big.project, ROWS_FOR_MEMORY)):
        peak, chunks, rows_per_chunk = _consume(reads.select(user, project, {}), "csv", {})
        assert chunks == 1 + math.ceil(count / BATCH)  # the header, then one chunk per batch
        assert max(rows_per_chunk[1:]) == BATCH and sum(rows_per_chunk) == count + 1
        peaks[name] = peak
    assert peaks["big"] < 2 * peaks["small"], peaks


def test_exports_read_with_a_plain_find_when_the_pipeline_allows(seeded):
    user, project = seeded.project.user, seeded.project
    for sort, keys in (
        ("collected", [("created_at", -1), ("_id", -1)]),
        ("newest", [("content.date", -1), ("_id", -1)]),
        ("score_asc", [("analysis.sentiment.score", 1), ("_id", 1)]),
    ):
        queryset = reads.select(user, project, {"sort": sort, "platform": "steam"}).queryset
        query, got = reads.find_spec(reads.mql_pipeline(queryset))
        assert got == keys, sort
        assert collection("results").count_documents(query) == queryset.count()
    assert reads.find_spec([{"$match": {}}, {"$group": {"_id": None}}]) is None
    assert reads.find_spec([{"$addFields": {"x": {"$meta": "textScore"}}}]) is None


# --- aspects ------------------------------------------------------------------------------------

ASPECT_TEXTS = [
    "The puzzles are clever and fair. The price is ridiculous and greedy.",
    "Brilliant puzzles. Sadly the price is awful.",
    "I love the puzzles, but the price is terrible.",
    '=HYPERLINK("http://evil.example","x") The puzzles are wonderful <3 and the soundtrack is lovely.',
    "Great soundtrack. The puzzles are excellent.",
    "The soundtrack is relaxing and beautiful.",
]


@pytest.fixture
def one_target(db, seed_clock):
    """A project whose results all belong to its first target: the project's sample and that
    target's are the same results."""

    found = seed(make_user(), count=len(ASPECT_TEXTS) * 3, texts=ASPECT_TEXTS * 3)
    first = found.targets[0]
    collection("results").update_many(
        {"project_id": found.project.pk},
        {"$set": {"target_id": first.pk, "excluded": False, "language": "en", "platform": first.platform}},
    )
    collection("results").update_many(
        {"project_id": found.project.pk, "analysis.sentiment": None},
        {"$set": {"analysis.sentiment": {"label": "neutral", "score": 0.0, "confidence": 0.5}}},
    )
    stats.rebuild(found.project.pk)
    return found


def aspects_download(client, project, fmt, target=None):
    url = reverse("analysis:aspects_export", args=[project.pk, fmt]) + (
        f"?target={target.pk}" if target else ""
    )
    response = client.post(url)
    assert response.status_code == 200, response.content[:300]
    return response, response.content


def counts(entries):
    return {
        e.get("topic") or e.get("text"): (e["count"], e["sentiment"]["positive"], e["sentiment"]["negative"])
        for e in entries
    }


def test_aspect_counts_agree_between_dashboard_compare_and_export(one_target, client):
    project, first, second = one_target.project, one_target.targets[0], one_target.targets[1]
    client.force_login(project.user)
    dashboard_data = client.get(reverse("analysis:dashboard", args=[project.pk])).context["data"]
    compare_data = client.get(
        reverse("analysis:compare", args=[project.pk]), {"target": [str(first.pk), str(second.pk)]}
    ).context["data"]
    column = compare_data["columns"][0]
    _, body = aspects_download(client, project, "csv")
    exported = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    _, target_body = aspects_download(client, project, "jsonl", target=first)
    target_rows = [json.loads(line) for line in target_body.decode().splitlines()]

    in_export = {r["aspect"]: (int(r["results"]), int(r["praise"]), int(r["criticise"])) for r in exported}
    in_target_export = {r["aspect"]: (r["results"], r["praise"], r["criticise"]) for r in target_rows}
    dashboard_counts = counts(dashboard_data["topics"])
    assert {"puzzles", "price", "soundtrack"} <= set(dashboard_counts)
    assert dashboard_counts == in_export == in_target_export
    assert counts(column["topics"]) == {k: dashboard_counts[k] for k in counts(column["topics"])}
    assert [p["text"] for p in column["pros"]] == [p["text"] for p in dashboard_data["pros"]][
        : len(column["pros"])
    ]
    assert [c["text"] for c in column["cons"]] == [c["text"] for c in dashboard_data["cons"]] == ["price"]
    # Every count says which sample it comes from, and it is the same sample everywhere.
    sample = dashboard_data["insights"]["sample_size"]
    assert sample == column["sample_size"] == len(ASPECT_TEXTS) * 3
    assert {int(r["sample_size"]) for r in exported} == {r["sample_size"] for r in target_rows} == {sample}
    assert {r["target_id"] for r in target_rows} == {str(first.pk)}


def test_aspect_exports_keep_text_as_text_and_are_audited(one_target, client):
    project = one_target.project
    user = project.user
    client.force_login(user)
    response, body = aspects_download(client, project, "csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="seeded-project-aspects-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == exports.ASPECT_COLUMNS
    puzzles = next(r for r in rows if r["aspect"] == "puzzles")
    assert puzzles["verdict"] == "pro" and int(puzzles["praise"]) >= 3
    for row in rows:
        for name in ("aspect", "forms", "quotes"):
            assert not row[name].startswith(("=", "+", "-", "@")), row[name]
    _, xlsx = aspects_download(client, project, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in sheet[1]]
    assert tuple(header) == exports.ASPECT_COLUMNS
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    user.refresh_from_db()
    assert user.usage.api_calls_this_month == 2
    entries = AuditLog.objects.filter(event_type="data.export", user=user)
    assert {e.metadata["scope"] for e in entries} == {"aspects"} and entries.count() == 2
    assert client.get(reverse("analysis:aspects_export", args=[project.pk, "csv"])).status_code == 405
    assert client.post(reverse("analysis:aspects_export", args=[project.pk, "pdf"])).status_code == 404
    other = make_user(email="other@example.com")
    client.force_login(other)
    assert client.post(reverse("analysis:aspects_export", args=[project.pk, "csv"])).status_code == 404
