"""File import collector on constructed CSV, JSON and JSON Lines uploads."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import Target
from scraping import jobs
from scraping.collectors import fileimport
from scraping.collectors._text import fallback_id
from scraping.collectors.base import CollectorError, FetchContext, TargetSpec
from scraping.collectors.fileimport import FileImportCollector
from scraping.collectors.registry import get_collector
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from sentimatrix.textfiles import NotTextError, decode_text
from tests.factories import make_project, make_user
from tests.page_helpers import add_target

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"


@pytest.fixture
def uploads(settings, tmp_path):
    """An upload directory holding copies of the constructed files."""
    root = tmp_path / "media"
    (root / "imports").mkdir(parents=True)
    settings.MEDIA_ROOT = str(root)
    for source in FIXTURES.glob("constructed_import_*"):
        shutil.copy(source, root / "imports" / source.name)
    return root


def collect(file_path: str, **options):
    spec = TargetSpec(platform="file", url="", platform_data={"file_path": file_path}, options=options)
    # No HTTP at all: the context has no client.
    return list(FileImportCollector().pages(spec, FetchContext(http=None)))


def items_of(pages):
    return [item for page in pages for item in page.items]


def test_registry_knows_the_collector():
    assert isinstance(get_collector("file"), FileImportCollector)


def test_csv_with_bom_and_semicolons_is_mapped_automatically(uploads):
    pages = collect("imports/constructed_import_semicolon_bom.csv")

    assert len(pages) == 1 and pages[0].next_cursor is None
    assert pages[0].requests_made == 0
    assert pages[0].reported_total == 4  # rows in the file, one of them without text
    items = items_of(pages)
    assert [item.platform_id for item in items] == ["IMP-001", "IMP-002", "IMP-003"]
    first = items[0]
    assert first.text == "Schnell; leise; schön."  # a quoted cell keeps its semicolons
    assert first.author == "Greta N."
    assert first.rating == 5.0
    assert first.date == datetime(2024, 3, 14, tzinfo=UTC)  # 14.03.2024, day first
    assert first.metadata == {"Product": "Brightwell 1.5 L", "row": 1}
    assert items[1].text == "Leaks from the spout.\nWater runs down the side."
    assert items[2].author == 'Ana "Chef" R.'
    assert items[2].rating == 4.5  # "4,5"
    assert items[2].date == datetime(2024, 3, 1, tzinfo=UTC)


def test_csv_with_an_explicit_mapping(uploads):
    mapping = {"text": "kommentar", "rating": "bewertung", "date": "wann", "author": "wer"}

    items = items_of(
        collect(str(uploads / "imports" / "constructed_import_custom_columns.csv"), mapping=mapping)
    )

    assert [item.text for item in items] == [
        "Gutes Preis-Leistungs-Verhältnis, schnell geliefert",
        "Deckel klemmt",
        "Okay",
    ]
    assert [item.rating for item in items] == [5.0, 2.0, 3.0]
    assert items[0].author == "Jana"
    assert items[0].date == datetime(2024, 3, 12, tzinfo=UTC)
    assert items[0].metadata == {"kanal": "Shop", "row": 1}
    # No id column: a stable hash of author, date and text.
    assert items[2].platform_id == fallback_id("", items[2].date, "Okay")


def test_a_file_without_a_text_column_is_a_clear_error(uploads):
    with pytest.raises(CollectorError, match="no text column") as raised:
        collect("imports/constructed_import_custom_columns.csv")
    # The message lists the columns the user can map.
    assert "kommentar" in str(raised.value)


def test_a_mapping_naming_a_missing_column_is_a_clear_error(uploads):
    with pytest.raises(CollectorError, match="'body'"):
        collect("imports/constructed_import_custom_columns.csv", mapping={"text": "body"})
    with pytest.raises(CollectorError, match="unknown field"):
        collect(
            "imports/constructed_import_custom_columns.csv",
            mapping={"text": "kommentar", "stars": "bewertung"},
        )


def test_json_list_is_mapped_automatically(uploads):
    rows = json.loads((FIXTURES / "constructed_import_reviews.json").read_text())

    items = items_of(collect("imports/constructed_import_reviews.json"))

    with_text = [row for row in rows if row["reviewText"]]
    assert [item.platform_id for item in items] == [row["id"] for row in with_text]
    first = items[0]
    assert first.text == with_text[0]["reviewText"]
    assert first.title == with_text[0]["title"]
    assert first.rating == float(with_text[0]["rating"])
    assert first.date == datetime(2024, 3, 14, 10, tzinfo=UTC)
    assert first.author == with_text[0]["user"]["name"]  # "user" is an object: its name is used
    assert first.metadata == {"user": with_text[0]["user"], "helpful": with_text[0]["helpful"], "row": 1}
    assert items[1].date == datetime.fromtimestamp(with_text[1]["createdAt"], tz=UTC)  # a Unix timestamp


def test_json_with_an_explicit_mapping_and_a_dotted_path(uploads):
    mapping = {"text": "title", "author": "user.country", "platform_id": "id"}

    items = items_of(collect("imports/constructed_import_reviews.json", mapping=mapping))

    assert [item.text for item in items] == ["Works well", "Broke"]
    assert [item.author for item in items] == ["IE", "GB"]
    assert items[0].rating is None  # not mapped: an explicit mapping is taken as it is
    assert items[0].metadata["reviewText"] == "Arrived quickly and works well."


def test_json_lines_with_and_without_mapping(uploads):
    items = items_of(collect("imports/constructed_import_reviews.jsonl"))

    assert [item.platform_id for item in items] == ["j-1001", "j-1002", "j-1004"]
    assert items[2].rating == 4.0  # "4"
    assert items[2].date == datetime(2024, 3, 2, tzinfo=UTC)  # "March 2, 2024"

    mapped = items_of(collect("imports/constructed_import_reviews.jsonl", mapping={"text": "title"}))
    assert [item.text for item in mapped] == ["Works well", "Broke", "Decent"]


def test_large_files_come_in_pages(uploads, monkeypatch):
    monkeypatch.setattr(fileimport, "PAGE_SIZE", 2)

    pages = collect("imports/constructed_import_semicolon_bom.csv")

    assert [page.next_cursor for page in pages] == ["2", None]
    resumed = list(
        FileImportCollector().pages(
            TargetSpec(
                platform="file",
                url="",
                platform_data={"file_path": "imports/constructed_import_semicolon_bom.csv"},
            ),
            FetchContext(http=None),
            cursor="2",
        )
    )
    assert [item.platform_id for item in items_of(resumed)] == ["IMP-003"]


def test_files_outside_the_upload_directory_are_refused(uploads, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("text\nhello\n")

    with pytest.raises(CollectorError, match="upload"):
        collect(str(outside))
    with pytest.raises(CollectorError, match="upload"):
        collect("../secret.csv")
    with pytest.raises(CollectorError, match="missing"):
        collect("imports/gone.csv")


def test_files_over_the_size_cap_are_refused(uploads, settings):
    size = (uploads / "imports" / "constructed_import_reviews.json").stat().st_size
    settings.FILE_IMPORT_MAX_BYTES = size - 1

    with pytest.raises(CollectorError, match="larger than the import limit"):
        collect("imports/constructed_import_reviews.json")

    settings.FILE_IMPORT_MAX_BYTES = size
    assert items_of(collect("imports/constructed_import_reviews.json"))


def test_format_recorded_at_upload_is_used_for_files_stored_without_extension(uploads):
    source = uploads / "imports" / "constructed_import_semicolon_bom.csv"
    stored = uploads / "imports" / "3f2a9c"
    shutil.copy(source, stored)
    spec = TargetSpec(
        platform="file",
        url="upload:sha256:3f2a9c",
        platform_data={"file_path": "imports/3f2a9c", "filename": source.name, "format": "csv"},
    )

    items = items_of(FileImportCollector().pages(spec, FetchContext(http=None)))

    assert [item.platform_id for item in items] == ["IMP-001", "IMP-002", "IMP-003"]


def test_json_lines_keep_their_numbers_and_text_with_unicode_line_separators(uploads):
    lines = ['{"text": "one\u2028two"}', '{"text": "three"}', '{"text": "four", "x": [}']
    (uploads / "imports" / "sep.jsonl").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CollectorError, match=r"^line 3, column 24: not valid JSON"):
        collect("imports/sep.jsonl")
    (uploads / "imports" / "sep.jsonl").write_text("\n".join(lines[:2]), encoding="utf-8")
    assert items_of(collect("imports/sep.jsonl"))[0].text.startswith("one")


# --- through a real job ----------------------------------------------------------------------


@pytest.fixture
def file_job(db, uploads):
    """Run one job over a file target holding ``data``; answers (what run_target said, the
    job, the target)."""

    def run(name: str, data: bytes, file_format: str):
        (uploads / "imports" / name).write_bytes(data)
        user = make_user()
        project = make_project(user, max_reviews_per_target=1000)
        target = add_target(
            project, f"upload:{name}", f"upload:{name}", platform="file",
            file_path=f"imports/{name}", filename=name, format=file_format,
        )  # fmt: skip
        job = jobs.start_job(project, triggered_by=user)
        said = jobs.run_target(job.pk, target.pk)
        return said, ScrapeJob.objects.get(pk=job.pk), target

    return run


def test_an_import_stores_no_script_or_data_links(file_job):
    csv_file = (
        b"review,rating,url\n"
        b"Lovely kettle,5,javascript:alert(document.cookie)\n"
        b'Loud,2,"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="\n'
        b"Fine,4, vbscript:msgbox(1)\n"
        b"Good one,5,https://shop.example/reviews/4\n"
    )
    jsonl = b"\n".join(
        json.dumps({"text": text, "link": link}).encode()
        for text, link in [("Bad", "JAVASCRIPT:alert(1)"), ("Good", "http://shop.example/r/9")]
    )

    said, _, target = file_job("links.csv", csv_file, "csv")
    said_jsonl, _, jsonl_target = file_job("links.jsonl", jsonl, "jsonl")

    assert said == said_jsonl == "completed"
    stored = {
        d["content"]["text"]: d["content"]["url"]
        for d in collection("results").find({"target_id": {"$in": [target.pk, jsonl_target.pk]}})
    }
    assert stored == {
        "Lovely kettle": "",
        "Loud": "",
        "Fine": "",
        "Good one": "https://shop.example/reviews/4",
        "Bad": "",
        "Good": "http://shop.example/r/9",
    }


# --- malformed files end their target at once, saying where and what -------------------------


def _pretty_reviews(count: int) -> str:
    return json.dumps([{"id": f"r{i}", "text": f"Review number {i}"} for i in range(count)], indent=2)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


NEWLINE = b"\n"
TRUNCATED = _pretty_reviews(40).encode()[:-200]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 8
#: A binary with no known signature, text-like in its first lines.
NO_SIGNATURE = b"review,rating\nok,5\n" + bytes(b for b in range(1, 256) if b != 0x0A) * 6 + b"\x00\x01"


MALFORMED = {
    "csv-field-too-long": (
        "long.csv",
        ('review,rating\nFine,4\n"' + "x" * 131_073 + '",5\nGood,5\n').encode(),
        "csv",
        ["line 3", "longer than 131,072 characters"],
    ),
    "csv-quote-left-open": (
        "open.csv",
        ('review,rating\nFine,4\n"Left open,5\n' + "Good,5\n" * 20_000).encode(),
        "csv",
        ["line 3", "longer than 131,072 characters", "quote"],
    ),
    "json-nested-past-the-parser": (
        "deep.json",
        ('[{"text": "ok"},\n {"text": "deep", "x": ' + _nested(50_000) + "}]").encode(),
        "json",
        ["line 2", "nested more than"],
    ),
    "json-nested-past-the-database": (
        "deeper.json",
        ('[{"text": "ok"},\n\n {"text": "deep", "x": ' + _nested(150) + "}]").encode(),
        "json",
        ["line 3", "nested more than"],
    ),
    "jsonl-nested": (
        "deep.jsonl",
        ('{"text": "ok"}\n{"text": "ok too"}\n{"text": "deep", "x": ' + _nested(5_000) + "}\n").encode(),
        "jsonl",
        ["line 3", "nested more than"],
    ),
    "json-truncated": (
        "cut.json",
        TRUNCATED,
        "json",
        [f"line {TRUNCATED.count(NEWLINE) + 1}", "ends before", "cut short"],
    ),
    "json-broken-in-the-middle": (
        "broken.json",
        _pretty_reviews(5).replace('"Review number 2"', '"Review number 2" oops').encode(),
        "json",
        ["line 12", "Expecting"],
    ),
    "jsonl-cut-short": (
        "cut.jsonl",
        b'{"text": "one"}\n{"text": "two"}\n{"text": "thr',
        "jsonl",
        ["line 3", "ends before its JSON is complete"],
    ),
    "binary-as-csv": ("image.csv", PNG, "csv", ["line 1", "PNG image", "not text"]),
    "binary-without-signature-as-csv": ("blob.csv", NO_SIGNATURE, "csv", ["line 3", "not text"]),
    "json-row-too-large-to-store": (
        "huge.json",
        # Larger than the 16 MiB a MongoDB document may be.
        json.dumps([{"text": "ok"}, {"text": "big", "notes": ["y" * 9_000_000, "z" * 9_000_000]}]).encode(),
        "json",
        ["row 2", "more than the 1,000,000"],
    ),
}


def test_numbers_too_large_for_the_database_are_kept_as_text(file_job):
    huge, long = "9" * 30, "1" * 5000
    text = f'[{{"text": "ok", "votes": 12, "order": {huge}}}, {{"text": "long", "order": {long}}}]'
    said, _, target = file_job("big-numbers.json", text.encode(), "json")

    assert said == "completed"
    stored = {
        d["content"]["text"]: d["content"]["metadata"]
        for d in collection("results").find({"target_id": target.pk})
    }
    assert stored["ok"]["votes"] == 12 and stored["ok"]["order"] == huge
    assert stored["long"]["order"] == long


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_file_fails_its_target_at_once_naming_the_line(file_job, kind):
    name, data, file_format, expected = MALFORMED[kind]
    said, job, _ = file_job(name, data, file_format)

    # Failed by the run itself (no exception for the worker to die on, no retry): one attempt.
    assert said == JobStatus.FAILED
    assert job.status == JobStatus.FAILED
    entry = job.targets[0]
    assert entry.status == JobStatus.FAILED and entry.attempts == 1
    for words in expected:
        assert words in entry.error, (kind, entry.error)
    assert job.stats.results_total == 0


# --- non-text files are refused at upload -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "line 1: the file is a PDF document",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 30, "ZIP archive such as an Excel .xlsx"),
        (PNG, "PNG image"),
        (b"review,rating\nfine,4\nbad\x00row,1\n", "line 3: byte 25 is a NUL byte"),
        (
            b"review,rating\nfine,4\nodd \x81 byte,1\n",
            "line 3: byte 26 (0x81) is not text in UTF-8 or Windows-1252",
        ),
        ("review\nnice\n".encode("utf-16-le"), "NUL byte"),  # UTF-16 without its byte order mark
    ],
)
def test_a_file_that_is_not_text_is_refused_naming_the_line(data, expected):
    with pytest.raises(NotTextError) as raised:
        decode_text(data)
    assert expected in raised.value.message


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"review\ncaf\xc3\xa9\n", "review\ncafé\n"),
        (b"\xef\xbb\xbfreview\nok\n", "review\nok\n"),
        (b"review\ncaf\xe9 \x80\n", "review\ncafé €\n"),  # Windows-1252
        ("review\nnaïve\n".encode("utf-16"), "review\nnaïve\n"),  # with its byte order mark
    ],
)
def test_the_encodings_the_importer_reads_are_accepted(data, text):
    assert decode_text(data) == text


def test_the_upload_form_refuses_a_binary_file_with_a_clear_error(db, client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    user = make_user()
    project = make_project(user)
    client.force_login(user)
    url = reverse("projects:add_target", args=[project.pk])

    def upload(name, data):
        return client.post(url, {"kind": "file", "file-file": SimpleUploadedFile(name, data, "text/csv")})

    refused = upload("reviews.csv", PNG)

    assert refused.status_code == 200
    errors = " ".join(refused.context["forms"]["file"].errors["file"])
    assert "reviews.csv is not a text file" in errors and "line 1" in errors and "PNG image" in errors
    assert "CSV or JSON in UTF-8" in errors
    assert "reviews.csv is not a text file" in refused.content.decode()
    assert not Target.objects.filter(project=project).exists()
    assert not any((tmp_path / "media").rglob("*.csv"))  # nothing stored
    # A text file in one of the encodings the importer reads is still taken, and stored whole.
    taken = upload("reviews.csv", "review,rating\nTrès bien,5\n".encode("cp1252"))
    assert taken.status_code == 302
    target = Target.objects.get(project=project)
    assert (
        tmp_path / "media" / target.platform_data.file_path
    ).read_bytes() == "review,rating\nTrès bien,5\n".encode("cp1252")
