"""The text of an uploaded file, or why it is not text.

Files of reviews are read in the encodings spreadsheet programs and scripts save them in:
UTF-16 with its byte order mark, UTF-8 (with or without one), else Windows-1252. A file that is
none of these (a PDF, an Excel workbook or a picture renamed ``.csv``) would otherwise be read
as Windows-1252, which maps almost any byte to some character, and import as rows of junk.
The upload form refuses such a file and the import refuses it again (for files stored before),
both with the reason and the line where the first non-text byte is.
"""

from __future__ import annotations

import codecs

#: Leading bytes of the binary formats people upload by mistake, with what they are.
SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive such as an Excel .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office document (.xls, .doc)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: What to do about it, for the messages of the form and the import.
ADVICE = "save it as CSV or JSON in UTF-8 and upload that"


class NotTextError(ValueError):
    """The bytes are not text in a supported encoding; ``message`` says where and why."""

    def __init__(self, problem: str, line: int):
        self.problem = problem
        self.line = line
        self.message = f"line {line}: {problem}"
        super().__init__(self.message)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def binary_kind(data: bytes) -> str:
    """What a known binary format the bytes start with is (``"a PDF document"``), else ``""``."""
    return next((kind for signature, kind in SIGNATURES if data.startswith(signature)), "")


def decode_text(data: bytes) -> str:
    """The text of ``data``: UTF-16 with BOM, UTF-8 (BOM or not), else Windows-1252.

    Raises :class:`NotTextError` for a known binary format, a NUL byte (no text in these
    encodings has one; a UTF-16 file without its byte order mark does), or a byte that is
    not text in any of them.
    """
    kind = binary_kind(data)
    if kind:
        raise NotTextError(f"the file is {kind}, not text", 1)
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            before = data[: exc.start].decode("utf-16", errors="replace")
            raise NotTextError(
                f"the file is marked as UTF-16 but byte {exc.start + 1:,} is not UTF-16 text",
                before.count("\n") + 1,
            ) from exc
    nul = data.find(b"\x00")
    if nul >= 0:
        raise NotTextError(
            f"byte {nul + 1:,} is a NUL byte, so the file is not text (it is binary, or UTF-16 "
            "without its byte order mark)",
            _line_of(data, nul),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        value = data[exc.start]
        raise NotTextError(
            f"byte {exc.start + 1:,} (0x{value:02X}) is not text in UTF-8 or Windows-1252, "
            "so the file is not text",
            _line_of(data, exc.start),
        ) from exc
