"""Every date of the product is written one way, in the signed-in user's time zone."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, timezone

from sentimatrix import when
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user

ROOT = Path(__file__).resolve().parent.parent
# Machine formats a form field needs (``<input type="date" value="2026-12-07">``) are allowed;
# every date a person reads goes through the ``when``/``day``/``ago`` filters.
INPUT_VALUE = re.compile(r"""\|date:['"]Y-m-d['"]""")
STRAY = re.compile(r"""\|date:|\|time:|naturaltime|naturalday|timesince|timeuntil|\{% now """)
MOMENT = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 7 Dec 2026, 08:30 in Tokyo


def _templates():
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        yield from (p for p in folder.rglob("*") if p.suffix in {".html", ".txt"})


def test_no_template_writes_a_date_its_own_way():
    stray = []
    for path in _templates():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STRAY.search(INPUT_VALUE.sub("", line)):
                stray.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert stray == []


def test_no_python_module_formats_a_date_with_djangos_locale_formats():
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("accounts", "projects", "scraping", "analysis", "notifications", "sentimatrix")
        for path in (ROOT / app).rglob("*.py")
        if "DATETIME_FORMAT" in path.read_text(encoding="utf-8")
        and not {"settings", "formats"} & set(path.parts)  # where the format is defined
    ]
    assert offenders == []


def _render(source, **context):
    return Template(source).render(Context(context))


def test_the_filters_write_one_family_in_the_active_time_zone():
    with timezone.override("Asia/Tokyo"):
        assert _render("{{ v|when }}", v=MOMENT) == (
            '<time datetime="2026-12-07T08:30:00+09:00">7 Dec 2026, 08:30</time>'
        )
        assert _render('{{ v|when:"seconds,zone" }}', v=MOMENT.replace(second=15)) == (
            '<time datetime="2026-12-07T08:30:15+09:00">7 Dec 2026, 08:30:15 JST</time>'
        )
        assert _render("{{ v|day }}", v=MOMENT) == '<time datetime="2026-12-07">7 Dec 2026</time>'
        assert _render('{{ v|day:"text" }}', v=MOMENT) == "7 Dec 2026"
        # Dates (UTC day buckets) are not shifted; ISO strings from raw documents are read.
        assert _render("{{ v|day }}", v=date(2026, 12, 6)) == '<time datetime="2026-12-06">6 Dec 2026</time>'
        assert _render('{{ v|when:"text" }}', v="2026-12-06T23:30:00+00:00") == "7 Dec 2026, 08:30"
    assert when.format_when(MOMENT) == "6 Dec 2026, 23:30"  # no zone active: UTC
    # An empty value stays empty, so |default works after the filters.
    assert _render('{{ v|when|default:"never" }}', v=None) == "never"


def test_ago_says_how_long_ago_with_the_full_date_as_its_title():
    with timezone.override("Asia/Tokyo"):
        html = _render("{{ v|ago }}", v=timezone.now())
    assert html.startswith('<time datetime="') and 'title="' in html and "now" in html


@pytest.mark.django_db
def test_pages_write_dates_in_the_users_time_zone(client):
    user = make_user()
    user.settings.timezone = "Asia/Tokyo"
    user.save()
    project = make_project(user, name="Headphones launch")
    collection("projects").update_one({"_id": project.pk}, {"$set": {"stats.last_scrape_at": MOMENT}})
    client.force_login(user)
    for url in (reverse("projects:list"), reverse("projects:detail", args=[project.pk])):
        page = client.get(url).content.decode()
        assert '<time datetime="2026-12-07T08:30:00+09:00">7 Dec 2026, 08:30</time>' in page, url
        assert "a.m." not in page and "p.m." not in page


def test_djangos_own_date_output_uses_the_same_family():
    with timezone.override("Asia/Tokyo"):
        local = timezone.localtime(MOMENT)
        assert formats.date_format(local, "DATETIME_FORMAT") == "7 Dec 2026, 08:30"
        assert formats.date_format(local, "DATE_FORMAT") == "7 Dec 2026"
        assert _render("{{ v }}", v=MOMENT) == "7 Dec 2026, 08:30"
