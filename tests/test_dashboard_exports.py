"""Exports of what the dashboard shows (aspects, pros and cons, sentiment over time, targets
compared) and of the comparison page: each file holds the page's own figures for the same
options, in CSV, JSON Lines and Excel (sized columns, an autofilter), counts against the plan,
and is the owner's only."""

import csv
import io
import json

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import AuditLog
from analysis import exports
from analysis.dashboard.tables import TABLES
from tests.factories import make_user
from tests.results_seed import seed
from tests.test_exports import ASPECT_TEXTS


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=len(ASPECT_TEXTS) * 3, texts=ASPECT_TEXTS * 3)


def export(client, project, table, fmt, query=""):
    url = reverse("analysis:dashboard_export", args=[project.pk, table, fmt]) + (f"?{query}" if query else "")
    response = client.post(url)
    assert response.status_code == 200, response.content[:300]
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def number(text: str):
    return None if text == "" else float(text)


def page_data(client, project, query=""):
    url = reverse("analysis:dashboard", args=[project.pk]) + (f"?{query}" if query else "")
    return client.get(url).context["data"]


def column_widths(sheet) -> list[float]:
    """Each column's width as Excel reads it (a run of equal widths is one range there)."""
    widths = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            widths[index] = dimension.width
    return [widths.get(index) for index in range(1, sheet.max_column + 1)]


def chart_table(data, chart_id):
    return next(c for c in data["charts"] if c["id"] == chart_id)["table"]


def test_the_sentiment_over_time_export_is_the_charts_table(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    query = "period=all&granularity=week&group=target"
    table = chart_table(page_data(client, project, query), "over_time")
    assert len(table["rows"]) > 2 and len(table["columns"]) == 1 + 2 * 3

    rows = csv_rows(export(client, project, "over_time", "csv", query))

    assert list(rows[0]) == table["columns"]
    assert len(rows) == len(table["rows"])
    for got, want in zip(rows, table["rows"], strict=True):
        cells = list(got.values())
        assert cells[0] == want["cells"][0]
        assert [number(c) for c in cells[1:]] == [
            pytest.approx(v) if v is not None else None for v in want["cells"][1:]
        ]
    # Other options, other figures: the file follows the query string as the page does.
    monthly = csv_rows(export(client, project, "over_time", "csv", "period=all&granularity=month"))
    assert len(monthly) == len(
        chart_table(page_data(client, project, "period=all&granularity=month"), "over_time")["rows"]
    )


def test_the_targets_export_agrees_with_the_per_target_and_rating_charts(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    data = page_data(client, project, "period=all")
    per_target = {r["cells"][0]: r["cells"][1:] for r in chart_table(data, "per_target")["rows"]}
    ratings = {r["cells"][0]: r["cells"][1:] for r in chart_table(data, "rating_vs_sentiment")["rows"]}

    rows = csv_rows(export(client, project, "targets", "csv", "period=all"))

    assert {r["Target"] for r in rows} == set(per_target) == {t.label for t in seeded.targets}
    for row in rows:
        results, average, *buckets = per_target[row["Target"]]
        assert (
            int(row["Results"])
            == results
            == data["per_target"][next(str(t.pk) for t in seeded.targets if t.label == row["Target"])][
                "count"
            ]
        )
        assert number(row["Average sentiment"]) == pytest.approx(average)
        assert [int(row[c]) for c in list(row)[3:6]] == buckets
        average_rating, _, rated, flagged = ratings[row["Target"]]
        assert number(row["Average rating"]) == (
            pytest.approx(average_rating) if average_rating is not None else None
        )
        assert int(row["Rated results"]) == rated and int(row["Rating/text disagree"]) == flagged


def test_topics_and_pros_cons_exports_agree_with_the_dashboard_in_every_format(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    data = page_data(client, project)
    topics = {
        t["topic"]: (t["count"], t["sentiment"]["positive"], t["sentiment"]["negative"])
        for t in data["topics"]
    }
    assert {"puzzles", "price"} <= set(topics)

    exported = {
        r["aspect"]: (int(r["results"]), int(r["praise"]), int(r["criticise"]))
        for r in csv_rows(export(client, project, "topics", "csv"))
    }
    assert exported == topics

    lines = [
        json.loads(line)
        for line in export(client, project, "pros_cons", "jsonl").content.decode().splitlines()
    ]
    assert [(r["kind"], r["aspect"]) for r in lines] == [("pro", p["text"]) for p in data["pros"]] + [
        ("con", c["text"]) for c in data["cons"]
    ]
    assert ("con", "price") in [(r["kind"], r["aspect"]) for r in lines]
    assert all(isinstance(r["quotes"], list) and isinstance(r["result_ids"], list) for r in lines)
    assert {r["sample_size"] for r in lines} == {data["insights"]["sample_size"]}

    workbook = openpyxl.load_workbook(io.BytesIO(export(client, project, "topics", "xlsx").content))
    sheet = workbook["Aspects"]
    header = [c.value for c in sheet[1]]
    assert tuple(header) == exports.ASPECT_COLUMNS
    got = {
        row[0]: (row[header.index("results")], row[header.index("praise")], row[header.index("criticise")])
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert got == topics


@pytest.mark.parametrize("table", list(TABLES))
def test_every_xlsx_has_sized_columns_and_an_autofilter(seeded, client, table):
    project = seeded.project
    client.force_login(project.user)
    response = export(client, project, table, "xlsx", "period=all")
    assert response["Content-Type"] == exports.FORMATS["xlsx"][0]
    assert f"-{table.replace('_', '-')}-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == TABLES[table]
    width = sheet.max_column
    letter = openpyxl.utils.get_column_letter(width)
    assert sheet.auto_filter.ref == f"A1:{letter}{sheet.max_row}"
    widths = column_widths(sheet)
    assert all(exports.MIN_WIDTH <= w <= exports.MAX_WIDTH + 1 for w in widths), widths
    header = [c.value for c in sheet[1]]
    # A column is at least as wide as its header (up to the cap).
    for name, w in zip(header, widths, strict=True):
        assert w >= min(len(name), exports.MAX_WIDTH), name


def test_the_aspects_xlsx_has_sized_columns_and_an_autofilter_too(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    response = client.post(reverse("analysis:aspects_export", args=[project.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}{sheet.max_row}"
    assert all(w >= exports.MIN_WIDTH for w in column_widths(sheet))


def test_the_dashboard_links_every_table_in_every_format_with_its_options(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    page = client.get(
        reverse("analysis:dashboard", args=[project.pk]), {"period": "90", "granularity": "week"}
    )
    actions = {
        f["action"] for f in BeautifulSoup(page.content, "html.parser").select(".dashboard-exports form")
    }
    for table in TABLES:
        for fmt in exports.FORMATS:
            url = reverse("analysis:dashboard_export", args=[project.pk, table, fmt])
            assert f"{url}?period=90&granularity=week" in actions


def test_dashboard_exports_are_the_owners_count_against_the_plan_and_are_audited(seeded, client):
    project = seeded.project
    owner = project.user
    client.force_login(owner)
    export(client, project, "over_time", "csv")
    owner.refresh_from_db()
    assert owner.usage.api_calls_this_month == 1
    entry = AuditLog.objects.get(event_type="data.export", user=owner)
    assert entry.metadata["scope"] == "dashboard.over_time"
    url = reverse("analysis:dashboard_export", args=[project.pk, "over_time", "csv"])
    assert client.get(url).status_code == 405
    assert (
        client.post(reverse("analysis:dashboard_export", args=[project.pk, "nothing", "csv"])).status_code
        == 404
    )
    assert (
        client.post(reverse("analysis:dashboard_export", args=[project.pk, "topics", "pdf"])).status_code
        == 404
    )

    client.force_login(make_user(email="other@example.com"))
    for table in TABLES:
        assert (
            client.post(reverse("analysis:dashboard_export", args=[project.pk, table, "xlsx"])).status_code
            == 404
        )


def test_the_comparison_export_has_one_row_per_compared_target_with_the_pages_figures(seeded, client):
    project = seeded.project
    client.force_login(project.user)
    first, second = seeded.targets[0], seeded.targets[2]
    params = {"target": [str(first.pk), str(second.pk)], "period": "all"}
    page = client.get(reverse("analysis:compare", args=[project.pk]), params)
    columns = page.context["data"]["columns"]
    forms = BeautifulSoup(page.content, "html.parser").select(".compare-exports form")
    assert {f["action"].split("?")[0] for f in forms} == {
        reverse("analysis:compare_export", args=[project.pk, fmt]) for fmt in exports.FORMATS
    }
    query = forms[0]["action"].split("?", 1)[1]
    assert f"target={first.pk}" in query and f"target={second.pk}" in query

    response = client.post(reverse("analysis:compare_export", args=[project.pk, "jsonl"]) + "?" + query)
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.content.decode().splitlines()]

    assert (
        [line["target_id"] for line in lines] == [c["id"] for c in columns] == [str(first.pk), str(second.pk)]
    )
    for line, column in zip(lines, columns, strict=True):
        assert line["analysed_results"] == column["totals"]["count"]
        assert line["average_sentiment"] == pytest.approx(column["totals"]["average"])
        assert line["positive_share"] == column["totals"]["shares"]["positive"]
        assert line["rating_text_disagree"] == column["totals"]["flagged"]
        assert line["pros"] == [p["text"] for p in column["pros"]]
        assert line["most_discussed_aspects"] == [t["topic"] for t in column["topics"]]

    sheet = openpyxl.load_workbook(
        io.BytesIO(
            client.post(reverse("analysis:compare_export", args=[project.pk, "xlsx"]) + "?" + query).content
        )
    ).active
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}3"
    client.force_login(make_user(email="stranger@example.com"))
    assert (
        client.post(reverse("analysis:compare_export", args=[project.pk, "csv"]) + "?" + query).status_code
        == 404
    )
