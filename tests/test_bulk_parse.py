"""Adding many targets at once: pasted lines and uploaded CSV files."""

import codecs

import pytest

from projects.platforms import Platform
from projects.recognition import (
    MAX_LINES,
    BulkParseError,
    parse_bulk,
    parse_bulk_csv,
    recognize,
    split_line,
)

MAP_LINK = "https://www.google.com/maps/place/Big+Ben/@51.5007292,-0.1246254,17z"

PASTED = "\n".join(
    [
        "# targets for the launch report",  # 1: comment
        "https://www.amazon.de/dp/B08N5WRWNW",  # 2
        "",  # 3: blank
        "https://youtu.be/dQw4w9WgXcQ?si=abc\tLaunch video",  # 4: tab label
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",  # 5: duplicate of 4
        "https://www.amazon.com/s?k=earbuds",  # 6: search page
        "   https://store.steampowered.com/app/570/Dota_2/ , Dota 2 reviews   ",  # 7: comma label
        "not a url at all",  # 8
        "https://redd.it/3hahrw",  # 9
        "https://old.reddit.com/r/AskReddit/comments/3hahrw/title/",  # 10: duplicate of 9
        f"{MAP_LINK},Big Ben",  # 11: commas inside the link
        "http://192.168.0.10/reviews",  # 12: internal
        "   # indented comment",  # 13
        "https://www.amazon.de/Some-Name/dp/B08N5WRWNW/ref=sr_1_1",  # 14: duplicate of 2
        'https://news.ycombinator.com/item?id=8863,"Dropbox, launch thread"',  # 15: quoted label
        "https://example.com/a https://example.com/b",  # 16: two URLs
    ]
)


def test_mixed_paste_keeps_every_valid_line():
    result = parse_bulk(PASTED)

    assert [(v.line_no, v.recognition.platform, v.label) for v in result.valid] == [
        (2, Platform.AMAZON, recognize("https://www.amazon.de/dp/B08N5WRWNW").label),
        (4, Platform.YOUTUBE, "Launch video"),
        (7, Platform.STEAM, "Dota 2 reviews"),
        (9, Platform.REDDIT, recognize("https://redd.it/3hahrw").label),
        (11, Platform.GOOGLE, "Big Ben"),
        (15, Platform.HACKERNEWS, "Dropbox, launch thread"),
    ]
    assert [(d.line_no, d.first_line_no) for d in result.duplicates] == [(5, 4), (10, 9), (14, 2)]
    assert result.duplicates[0].raw == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s"

    invalid = {line.line_no: line for line in result.invalid}
    assert sorted(invalid) == [6, 8, 12, 16]
    assert invalid[6].reason == "this looks like an Amazon search page, not a product"
    assert invalid[6].raw == "https://www.amazon.com/s?k=earbuds"
    assert "contains spaces" in invalid[8].reason
    assert "internal addresses are not allowed" in invalid[12].reason
    assert "two URLs on one line" in invalid[16].reason


def test_map_link_keeps_its_coordinates():
    result = parse_bulk(f"{MAP_LINK}\n{MAP_LINK},2024 trip\n")
    assert result.valid[0].recognition.url == MAP_LINK
    assert result.valid[0].label == "Google Maps: Big Ben"
    assert [(d.line_no, d.first_line_no) for d in result.duplicates] == [(2, 1)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("https://example.com/a", ("https://example.com/a", "")),
        ("https://example.com/a\tMy label", ("https://example.com/a", "My label")),
        ("https://example.com/a,My label", ("https://example.com/a", "My label")),
        ("https://example.com/a, My label ", ("https://example.com/a", "My label")),
        ('https://example.com/a,"Quoted, with ""comma"""', ("https://example.com/a", 'Quoted, with "comma"')),
        (f"{MAP_LINK}", (MAP_LINK, "")),
        (f"{MAP_LINK},Big Ben", (MAP_LINK, "Big Ben")),
        (f"{MAP_LINK},2024 trip", (MAP_LINK, "2024 trip")),
        ("https://en.wikipedia.org/wiki/Paris,_Texas", ("https://en.wikipedia.org/wiki/Paris,_Texas", "")),
        ("https://example.com/a , My label", ("https://example.com/a", "My label")),
        ("https://example.com/a some label", ("https://example.com/a some label", "")),
    ],
)
def test_split_line(line, expected):
    assert split_line(line) == expected


def test_existing_targets_of_the_project_are_reported():
    existing = [recognize("https://youtu.be/dQw4w9WgXcQ").canonical_url]
    result = parse_bulk(
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\nhttps://youtu.be/jNQXAC9IVRw\n", existing=existing
    )
    assert [v.line_no for v in result.valid] == [2]
    assert [(i.line_no, i.reason) for i in result.invalid] == [(1, "this target is already in the project")]


def test_empty_and_comment_only_input_gives_nothing():
    for text in ("", "\n\n", "# only a comment\n   \n"):
        result = parse_bulk(text)
        assert (result.valid, result.invalid, result.duplicates) == ([], [], [])


def test_at_most_500_urls_at_once():
    lines = [f"https://store.steampowered.com/app/{n}/" for n in range(1, MAX_LINES + 1)]
    # Blank and comment lines do not count towards the cap.
    result = parse_bulk("# header\n\n" + "\n".join(lines))
    assert len(result.valid) == MAX_LINES
    assert result.valid[-1].line_no == MAX_LINES + 2
    with pytest.raises(BulkParseError, match=r"too many lines: 501 URLs given, at most 500"):
        parse_bulk("\n".join([*lines, "https://youtu.be/dQw4w9WgXcQ"]))


def test_csv_with_bom_and_header():
    data = (
        codecs.BOM_UTF8
        + (
            "url,label\r\n"
            "https://www.amazon.co.uk/dp/B07FZ8S74R,Echo Dot Küche\r\n"
            "https://smile.amazon.co.uk/gp/product/B07FZ8S74R,Again\r\n"
            "\r\n"
            "https://www.youtube.com/@MrBeast,Channel\r\n"
            '"https://news.ycombinator.com/item?id=8863","Dropbox, on HN"\r\n'
            "https://apps.apple.com/gb/app/spotify/id324684580\r\n"
            ",No URL here\r\n"
            "https://www.trustpilot.com/review/not_a_domain,Bad\r\n"
        ).encode()
    )
    result = parse_bulk_csv(data)
    assert [(v.line_no, v.label) for v in result.valid] == [
        (2, "Echo Dot Küche"),
        (6, "Dropbox, on HN"),
        (7, recognize("https://apps.apple.com/gb/app/spotify/id324684580").label),
    ]
    assert [(d.line_no, d.first_line_no) for d in result.duplicates] == [(3, 2)]
    reasons = {line.line_no: line.reason for line in result.invalid}
    assert reasons[5] == "this is a YouTube channel, not a video"
    assert reasons[8] == "the URL is empty"
    assert "is not a valid company domain" in reasons[9]


def test_csv_with_semicolons_label_first_and_extra_columns():
    data = (
        "Label;URL;notes\n"
        "Dota 2;https://store.steampowered.com/app/570/;main game\n"
        "Big Ben;" + MAP_LINK + ";commas inside\n"
    ).encode()
    result = parse_bulk_csv(data)
    assert [(v.line_no, v.label, v.recognition.platform) for v in result.valid] == [
        (2, "Dota 2", Platform.STEAM),
        (3, "Big Ben", Platform.GOOGLE),
    ]
    assert result.valid[1].recognition.url == MAP_LINK


def test_csv_url_column_only_and_unquoted_map_link():
    result = parse_bulk_csv(f"url\n{MAP_LINK}\nhttps://redd.it/3hahrw\n".encode())
    assert [v.recognition.url for v in result.valid] == [MAP_LINK, "https://redd.it/3hahrw"]

    # An unquoted map link in a url,label file is split at its coordinates by the CSV rules.
    result = parse_bulk_csv(f"url,label\n{MAP_LINK},Big Ben\n".encode())
    assert [(v.recognition.url, v.label) for v in result.valid] == [(MAP_LINK, "Big Ben")]


def test_csv_without_header_is_read_as_url_label():
    result = parse_bulk_csv(b"https://youtu.be/dQw4w9WgXcQ,Video\nhttps://redd.it/3hahrw\n")
    assert [(v.line_no, v.label) for v in result.valid] == [
        (1, "Video"),
        (2, recognize("https://redd.it/3hahrw").label),
    ]


def test_csv_in_utf16_as_spreadsheets_save_it():
    result = parse_bulk_csv("url,label\nhttps://youtu.be/dQw4w9WgXcQ,Vidéo\n".encode("utf-16"))
    assert [(v.recognition.platform, v.label) for v in result.valid] == [(Platform.YOUTUBE, "Vidéo")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("url,label\nhttps://example.com/caf\xe9\n".encode("latin-1"), "the file is not UTF-8 text"),
        (b"name,comment\nfoo,bar\n", "needs a header row with a 'url' column"),
        (b"url\n" + b"a" * 200_000 + b"\n", "the CSV could not be read (line 2)"),
    ],
)
def test_unreadable_csv_files_are_refused(data, reason):
    with pytest.raises(BulkParseError) as caught:
        parse_bulk_csv(data)
    assert reason in str(caught.value)


def test_csv_cap_counts_rows():
    rows = "".join(f"https://news.ycombinator.com/item?id={n}\n" for n in range(1, MAX_LINES + 2))
    with pytest.raises(BulkParseError, match="at most 500"):
        parse_bulk_csv(("url\n" + rows).encode())
