"""Scheduled report pages (owner only), the unsubscribe page (no account), and their isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing

from notifications.models import ReportSchedule
from notifications.reports import sending, services, unsubscribe
from sentimatrix.mongo import collection
from tests.clock import SEED_NOW
from tests.factories import make_user
from tests.page_helpers import messages_of
from tests.results_seed import XSS, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(seed_clock, fast_passwords):
    owner = make_user(email="owner@example.com")
    seeded = seed(owner, 120)
    schedule = services.create_schedule(
        owner, seeded.project, name="Team weekly", recipients=["ana@example.com", "bo@example.com"]
    )
    ReportSchedule.objects.filter(pk=schedule.pk).update(created_at=SEED_NOW - timedelta(days=60))
    schedule.refresh_from_db()
    return seeded, schedule


def test_the_owner_adds_edits_previews_tests_and_deletes_a_report(client, owned, mailoutbox):
    seeded, existing = owned
    project = seeded.project
    client.force_login(project.user)
    detail = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"/projects/{project.pk}/reports/" in detail  # the project's "More actions" menu

    base = f"/projects/{project.pk}/reports/"
    refused = client.post(
        f"{base}new/",
        {"name": "Clients", "frequency": "monthly", "weekday": 0, "day_of_month": 30, "hour": 7,
         "recipients": "nope, a@example.com", "enabled": "on"},
    )  # fmt: skip
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Ensure this value is less than or equal to 28" in page and "valid email address" in page
    created = client.post(
        f"{base}new/",
        {"name": "Clients", "frequency": "monthly", "weekday": 0, "day_of_month": 2, "hour": 7,
         "recipients": "A@example.com, c@example.com\nd@example.com", "enabled": "on"},
    )  # fmt: skip
    assert created.status_code == 302
    clients = ReportSchedule.objects.get(project_id=project.pk, name="Clients")
    assert clients.recipients == ["a@example.com", "c@example.com", "d@example.com"]
    assert (clients.frequency, clients.day_of_month, clients.hour, clients.user_id) == (
        "monthly",
        2,
        7,
        project.user.pk,
    )
    listing = client.get(base).content.decode()
    assert "Clients" in listing and "Team weekly" in listing
    assert 'class="outline danger">Delete</button>' in listing

    edited = client.post(
        f"{base}{clients.pk}/edit/",
        {"name": "Clients (monthly)", "frequency": "monthly", "weekday": 0, "day_of_month": 3, "hour": 9,
         "recipients": "a@example.com", "enabled": ""},
    )  # fmt: skip
    assert edited.status_code == 302
    clients.refresh_from_db()
    assert (clients.name, clients.day_of_month, clients.recipients, clients.enabled) == (
        "Clients (monthly)", 3, ["a@example.com"], False,
    )  # fmt: skip

    # The preview renders the report in the page, scraped text escaped.
    collection("results").update_many({"project_id": project.pk}, {"$set": {"content.text": XSS}})
    preview = client.get(f"{base}{existing.pk}/preview/")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Key numbers" in html and "Most negative" in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html and "<script>alert" not in html

    # A test goes to the owner alone, now, and does not count as the scheduled mail.
    tested = client.post(f"{base}{existing.pk}/test/")
    assert tested.status_code == 302
    assert [m.to for m in mailoutbox] == [["owner@example.com"]]
    assert "List-Unsubscribe" not in mailoutbox[0].extra_headers
    assert mailoutbox[0].subject.startswith("Test: [Sentimatrix Studio] ")
    assert any("owner@example.com" in m for m in messages_of(client.get(base)))
    existing.refresh_from_db()
    assert existing.last_period_end is None

    assert client.get(f"{base}{clients.pk}/delete/").status_code == 405
    assert client.post(f"{base}{clients.pk}/delete/").status_code == 302
    assert not ReportSchedule.objects.filter(pk=clients.pk).exists()


def test_another_users_reports_are_404(client, owned):
    seeded, schedule = owned
    client.force_login(make_user(email="intruder@example.com"))
    base = f"/projects/{seeded.project.pk}/reports/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}new/", {"name": "x"}).status_code == 404
    for action in ("edit", "preview"):
        assert client.get(f"{base}{schedule.pk}/{action}/").status_code == 404
    for action in ("edit", "delete", "test"):
        assert client.post(f"{base}{schedule.pk}/{action}/").status_code == 404
    assert ReportSchedule.objects.filter(pk=schedule.pk).exists()
    # Nor through the intruder's own project.
    mine = seed(make_user(email="other@example.com"), 3, name="Mine").project
    client.force_login(mine.user)
    assert client.get(f"/projects/{mine.pk}/reports/{schedule.pk}/edit/").status_code == 404


def test_unsubscribe_works_without_signing_in_and_stops_the_mail(client, owned, mailoutbox, settings):
    _, schedule = owned
    link = unsubscribe.link(schedule.pk, "ana@example.com")
    assert link.startswith(settings.SITE_URL + "/reports/unsubscribe/")
    path = link.removeprefix(settings.SITE_URL)
    # A GET only asks (a link scanner unsubscribes nobody).
    page = client.get(path)
    assert page.status_code == 200
    assert "Unsubscribe ana@example.com" in page.content.decode()
    schedule.refresh_from_db()
    assert schedule.unsubscribed == []
    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    schedule.refresh_from_db()
    assert schedule.unsubscribed == ["ana@example.com"]
    assert schedule.active_recipients() == ["bo@example.com"]
    # Again: harmless, and the page says so.
    assert "You are unsubscribed" in client.post(path).content.decode()
    # The next report goes to the others only.
    assert sending.send_due(schedule.pk, datetime(2030, 7, 15, 8, tzinfo=UTC)) == 1
    assert [m.to for m in mailoutbox] == [["bo@example.com"]]
    # An edit listing the address again does not bring it back.
    services.update_schedule(schedule, recipients=["ana@example.com", "bo@example.com", "cy@example.com"])
    schedule.refresh_from_db()
    assert schedule.active_recipients() == ["bo@example.com", "cy@example.com"]


def test_a_mail_clients_one_click_post_unsubscribes(client, owned):
    _, schedule = owned
    token = unsubscribe.make_token(schedule.pk, "bo@example.com")
    answer = client.post(
        f"/reports/unsubscribe/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    schedule.refresh_from_db()
    assert schedule.unsubscribed == ["bo@example.com"]


def test_a_tampered_or_foreign_token_is_refused(client, owned):
    _, schedule = owned
    token = unsubscribe.make_token(schedule.pk, "ana@example.com")
    forged = (
        unsubscribe.make_token(schedule.pk, "bo@example.com").split(":")[0] + ":" + token.split(":", 1)[1]
    )
    other_salt = signing.dumps(
        {"s": str(schedule.pk), "e": "ana@example.com"}, salt="another.feature", compress=True
    )
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, other_salt, "garbage"):
        answer = client.post(f"/reports/unsubscribe/{bad}/")
        assert answer.status_code == 404, bad
        assert "This unsubscribe link is not valid" in answer.content.decode()
    schedule.refresh_from_db()
    assert schedule.unsubscribed == []
    # A valid token of a deleted schedule is refused the same way.
    schedule.delete()
    assert client.get(f"/reports/unsubscribe/{token}/").status_code == 404
