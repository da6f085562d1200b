"""Scheduled reports: what the mail says on seeded data, when a schedule is due in its project's
time zone, and that a period is sent once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes

import pytest
import time_machine
from celery.schedules import crontab
from django.core.exceptions import ValidationError

from notifications.models import Alert, AlertRule, ReportSchedule
from notifications.reports import periods, sending, services
from notifications.reports.periods import Period, due_period
from sentimatrix.celery import app
from sentimatrix.mongo import collection
from tests.clock import SEED_NOW
from tests.factories import make_project, make_user
from tests.results_seed import XSS, seed

pytestmark = pytest.mark.django_db
UTC_ZONE = periods.ZoneInfo("UTC")


def _schedule(user, project, **fields) -> ReportSchedule:
    values = {
        "name": "Weekly",
        "recipients": ["ana@example.com", "bo@example.com"],
        "created_at": SEED_NOW - timedelta(days=90),
    }
    schedule = ReportSchedule(user=user, project=project, **{**values, **fields})
    schedule.full_clean()
    schedule.save()
    return schedule


def _day(doc) -> date:
    """The day a result counts on in the daily aggregates: posted, else collected (UTC)."""
    return (doc["content"]["date"] or doc["created_at"]).date()


def _counted_in(seeded, period: Period) -> list[dict]:
    return [d for d in seeded.counted() if period.first <= _day(d) <= period.last]


@pytest.fixture
def seeded(seed_clock):
    owner = make_user(email="owner@example.com")
    return seed(owner, 200)


def test_the_report_mail_has_the_periods_numbers_quotes_and_csv_files(seeded, mailoutbox, settings):
    owner, project = seeded.project.user, seeded.project
    schedule = _schedule(owner, project)
    period = periods.last_full_period(schedule, UTC_ZONE, SEED_NOW)
    assert (period.first, period.last) == (date(2030, 7, 8), date(2030, 7, 14))
    docs = _counted_in(seeded, period)
    assert docs, "the seed has results in the week"
    # The most positive result of the week carries markup: the mail escapes it.
    posted = [d for d in docs if d["content"]["date"]]  # the quotes are read by posted date
    top = max(posted, key=lambda d: d["analysis"]["sentiment"]["score"])
    collection("results").update_one({"_id": top["_id"]}, {"$set": {"content.text": XSS}})

    assert sending.send(schedule, period, schedule.active_recipients()) == 2
    assert [m.to for m in mailoutbox] == [["ana@example.com"], ["bo@example.com"]]
    mail = mailoutbox[0]
    html = mail.alternatives[0][0]
    assert mail.alternatives[0][1] == "text/html"
    assert project.name in mail.subject
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert "<script>" not in html and "<img src=x" not in html
    assert XSS in mail.body  # the plain-text part is text
    assert f"{settings.SITE_URL}/projects/{project.pk}/dashboard/" in html
    assert f"{settings.SITE_URL}/projects/{project.pk}/dashboard/" in mail.body
    # Each recipient has their own unsubscribe link, in the body and the headers.
    links = [m.extra_headers["List-Unsubscribe"].strip("<>") for m in mailoutbox]
    assert links[0] != links[1]
    assert links[0] in html and links[0] in mail.body and links[1] in mailoutbox[1].body
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parsed = message_from_bytes(mail.message().as_bytes())
    assert "".join(parsed["List-Unsubscribe"].split()) == f"<{links[0]}>"  # folded: a long line

    # The daily CSV: one row per day, the numbers of the counted results posted that day.
    files = {name: text for name, text, mimetype in mail.attachments}
    assert set(files) == {"daily-2030-07-08.csv", "targets-2030-07-08.csv"}
    daily = list(csv.DictReader(io.StringIO(files["daily-2030-07-08.csv"])))
    assert [r["day"] for r in daily] == [d.isoformat() for d in period.days]
    for row in daily:
        on_day = [d for d in docs if _day(d).isoformat() == row["day"]]
        assert int(row["results"]) == len(on_day)
        assert int(row["negative"]) == sum(
            d["analysis"]["sentiment"]["label"] in ("negative", "very_negative") for d in on_day
        )
        if on_day:
            expected = sum(d["analysis"]["sentiment"]["score"] for d in on_day) / len(on_day)
            assert float(row["avg_sentiment"]) == pytest.approx(expected, abs=1e-4)
        else:
            assert row["avg_sentiment"] == ""
    targets = list(csv.DictReader(io.StringIO(files["targets-2030-07-08.csv"])))
    assert sum(int(r["results"]) for r in targets) == len(docs)
    labels = {str(t.pk): t.label for t in seeded.targets}
    for row in targets:
        mine = [d for d in docs if labels[str(d["target_id"])] == row["target"]]
        assert int(row["results"]) == len(mine)
        assert int(row["positive"]) == sum(
            d["analysis"]["sentiment"]["label"] in ("positive", "very_positive") for d in mine
        )

    # Key numbers and their change against the week before.
    data = sending.report_for(schedule, period)
    before = _counted_in(seeded, period.previous(schedule.frequency))
    numbers = {row["label"]: row for row in data["numbers"]}
    assert numbers["Results"]["value"] == len(docs)
    assert numbers["Results"]["change"] == len(docs) - len(before)
    negative = sum(d["analysis"]["sentiment"]["label"] in ("negative", "very_negative") for d in docs) / len(
        docs
    )
    assert numbers["Negative share"]["value"] == pytest.approx(negative, abs=1e-4)
    rated = [d["content"]["rating"] for d in docs if d["content"]["rating"] is not None]
    assert numbers["Average rating"]["value"] == pytest.approx(sum(rated) / len(rated), abs=0.01)
    assert numbers["Results"]["shown"] in mail.body
    # Quotes: the most positive and most negative results of the week, in that order.
    assert data["positive"][0]["text"] == XSS
    lowest = min(d["analysis"]["sentiment"]["score"] for d in posted)
    assert data["negative"][0]["score"] == pytest.approx(lowest)


def test_the_report_lists_the_periods_alerts_and_rising_topics(seeded):
    owner, project = seeded.project.user, seeded.project
    schedule = _schedule(owner, project)
    period = periods.last_full_period(schedule, UTC_ZONE, SEED_NOW)
    rule = AlertRule.objects.create(
        user=owner, project=project, name="Refunds", kind="keyword", query="refund"
    )
    inside = Alert.objects.create(
        user=owner, project=project, rule=rule, kind="keyword", key="k1", title="“refund” <b>5 results</b>",
        window_start=period.start, window_end=period.start + timedelta(days=1), baseline=0.5, observed=5,
        created_at=period.start + timedelta(hours=3),
    )  # fmt: skip
    Alert.objects.create(
        user=owner, project=project, rule=rule, kind="keyword", key="k2", title="Before the period",
        window_start=period.start - timedelta(days=2), window_end=period.start - timedelta(days=1),
        baseline=0.5, observed=4, created_at=period.start - timedelta(days=1),
    )  # fmt: skip
    data = sending.report_for(schedule, period)
    assert [a.pk for a in data["alerts"]] == [inside.pk]
    html = sending.render_html(data, None)
    assert "“refund” &lt;b&gt;5 results&lt;/b&gt;" in html and "Before the period" not in html
    # Rising topics come from the two periods' samples: each one more mentioned than before.
    assert data["topics"], "the seeded texts share aspects"
    for topic in data["topics"]:
        assert topic["count"] > topic["previous"]
        assert topic["topic"] in html


# --- when a report is due -------------------------------------------------------------------


def _zoned_project(owner, zone: str = "UTC"):
    project = make_project(owner, name="Zoned")
    project.config.schedule.timezone = zone
    project.save()
    return project


def test_a_weekly_report_is_due_at_its_local_hour_in_the_projects_time_zone(mailoutbox, eager):
    owner = make_user(email="tokyo@example.com")
    project = _zoned_project(owner, "Asia/Tokyo")
    schedule = _schedule(owner, project, weekday=0, hour=8)
    # Monday 15 July 2030, 08:00 in Tokyo is 23:00 UTC on Sunday.
    moment = datetime(2030, 7, 14, 23, 0, tzinfo=UTC)
    assert due_period(schedule, moment - timedelta(minutes=1)) is None
    period = due_period(schedule, moment)
    assert (period.first, period.last) == (date(2030, 7, 8), date(2030, 7, 14))
    assert period.start == datetime(2030, 7, 7, 15, 0, tzinfo=UTC)  # Monday 00:00 in Tokyo
    assert period.end == moment - timedelta(hours=8)
    # Beat's hourly look queues one task per due schedule; the period is sent once.
    with time_machine.travel(moment + timedelta(minutes=2), tick=False):
        assert sending.queue_due(moment + timedelta(minutes=2)) == 1
        assert len(mailoutbox) == 2
        assert sending.send_due(schedule.pk, moment + timedelta(minutes=3)) == 0  # a second task
        assert sending.queue_due(moment + timedelta(hours=1)) == 0  # the next hour
    schedule.refresh_from_db()
    assert schedule.last_period_end == period.end
    assert schedule.last_sent_at == moment + timedelta(minutes=2)
    assert len(mailoutbox) == 2
    # Still nothing on Sunday; the next week's report on the next Monday at 08:00 Tokyo.
    assert due_period(schedule, moment + timedelta(days=6, hours=23)) is None
    assert due_period(schedule, moment + timedelta(days=7)).first == date(2030, 7, 15)


def test_a_monthly_report_follows_the_owners_time_zone_when_the_project_has_none(mailoutbox):
    owner = make_user(email="ny@example.com")
    owner.settings.timezone = "America/New_York"
    owner.save()
    project = _zoned_project(owner)  # its scrape schedule is left at UTC
    schedule = _schedule(owner, project, frequency="monthly", day_of_month=3, hour=6)
    # 3 August 2030, 06:00 in New York (EDT, UTC-4) is 10:00 UTC.
    moment = datetime(2030, 8, 3, 10, 0, tzinfo=UTC)
    assert due_period(schedule, datetime(2030, 8, 3, 9, 59, tzinfo=UTC)) is None
    assert due_period(schedule, datetime(2030, 8, 2, 23, 0, tzinfo=UTC)) is None
    period = due_period(schedule, moment)
    assert (period.first, period.last) == (date(2030, 7, 1), date(2030, 7, 31))
    assert period.end == datetime(2030, 8, 1, 4, 0, tzinfo=UTC)
    assert period.previous("monthly").first == date(2030, 6, 1)
    assert sending.send_due(schedule.pk, moment) == 2
    assert sending.send_due(schedule.pk, moment + timedelta(hours=5)) == 0
    assert len(mailoutbox) == 2
    assert "1 Jul 2030" in mailoutbox[0].body and "31 Jul 2030" in mailoutbox[0].body
    # Days later in the month, still the same period: not again. September's on 3 September.
    schedule.refresh_from_db()
    assert due_period(schedule, datetime(2030, 8, 20, tzinfo=UTC)) is None
    assert due_period(schedule, datetime(2030, 9, 3, 10, 0, tzinfo=UTC)).first == date(2030, 8, 1)


def test_a_new_schedule_starts_with_the_next_period_and_a_disabled_or_archived_one_never_sends(mailoutbox):
    owner = make_user()
    project = _zoned_project(owner)
    moment = datetime(2030, 7, 15, 8, 0, tzinfo=UTC)
    fresh = _schedule(owner, project, created_at=moment + timedelta(hours=1))
    assert due_period(fresh, moment + timedelta(hours=2)) is None
    assert due_period(fresh, moment + timedelta(days=7)) is not None
    off = _schedule(owner, project, enabled=False)
    assert due_period(off, moment) is None
    assert sending.send_due(off.pk, moment) == 0
    on = _schedule(owner, project)
    assert due_period(on, moment) is not None
    project.status = "archived"
    project.save()
    on.refresh_from_db()
    assert due_period(on, moment) is None
    assert sending.queue_due(moment) == 0
    assert mailoutbox == []


def test_a_failed_send_gives_the_period_back(seeded, mailoutbox, monkeypatch):
    owner, project = seeded.project.user, seeded.project
    schedule = _schedule(owner, project)
    moment = datetime(2030, 7, 15, 8, 0, tzinfo=UTC)

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(sending, "send", refused)
    with pytest.raises(ConnectionRefusedError):
        sending.send_due(schedule.pk, moment)
    schedule.refresh_from_db()
    assert schedule.last_period_end is None
    monkeypatch.undo()
    assert sending.send_due(schedule.pk, moment + timedelta(hours=1)) == 2


def test_recipients_are_checked(seeded):
    owner, project = seeded.project.user, seeded.project
    for recipients, message in (
        ([], "at least one"),
        (["not-an-address"], "valid email address"),
        (["a@example.com", "A@example.com"], "each address once"),
        ([f"p{i}@example.com" for i in range(51)], "at most 50"),
    ):
        with pytest.raises(ValidationError, match=message):
            _schedule(owner, project, recipients=recipients)
    saved = services.create_schedule(owner, project, name="Mixed case", recipients=[" Ana@Example.com ", ""])
    assert saved.recipients == ["ana@example.com"]


def test_beat_looks_for_due_reports_every_hour_on_the_mail_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["scheduled-reports"]
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == set(range(24)) and len(entry["schedule"].minute) == 1
    for name in (entry["task"], sending.send_scheduled_report.name):
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "webhooks"


@pytest.mark.django_db
def test_an_edit_keeps_the_period_the_sender_claimed_meanwhile():
    owner = make_user()
    schedule = _schedule(owner, make_project(owner))
    claimed = datetime(2030, 7, 8, tzinfo=UTC)
    # The sender claims a period while the owner's edit form is open on the older document.
    collection("report_schedules").update_one({"_id": schedule.pk}, {"$set": {"last_period_end": claimed}})
    edited = services.update_schedule(schedule, name="Renamed", hour=9)
    assert (edited.name, edited.hour, edited.last_period_end) == ("Renamed", 9, claimed)
