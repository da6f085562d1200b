"""Scheduled reports in the API: created, read, listed, changed and deleted by token, refused
with the model's rules, and kept to their owner."""

from __future__ import annotations

import pytest

from notifications.models import ReportSchedule
from tests.api_helpers import all_ids, api_client, error_of, make_token, post_json
from tests.factories import make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(seed_clock, fast_passwords):
    return seed(make_user(email="owner@example.com"), 6)


def test_create_read_list_change_and_delete(seeded):
    api = api_client(make_token(seeded.project.user))
    base = f"/api/v1/projects/{seeded.project.pk}/reports/"
    created = post_json(
        api,
        base,
        {"name": "Clients", "frequency": "monthly", "day_of_month": 2, "recipients": ["A@example.com"]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["frequency"], body["day_of_month"], body["hour"]) == (
        "Clients",
        "monthly",
        2,
        8,
    )
    assert body["recipients"] == ["a@example.com"] and body["unsubscribed"] == [] and body["enabled"] is True
    assert body["progress"] is None  # no period taken for sending yet
    url = f"{base}{body['id']}/"
    assert api.get(url).json() == body
    assert all_ids(api, base) == [body["id"]]

    changed = post_json(
        api, url, {"hour": 17, "recipients": ["a@example.com", "b@example.com"]}, method="patch"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["hour"], changed.json()["name"]) == (17, "Clients")
    stored = ReportSchedule.objects.get(pk=body["id"])
    assert (stored.hour, stored.recipients) == (17, ["a@example.com", "b@example.com"])

    for refused, field in (
        ({"recipients": ["a@example.com", "A@example.com"]}, "recipients"),
        ({"recipients": []}, "recipients"),
        ({"recipients": ["nope"]}, "recipients"),
        ({"day_of_month": 29}, "day_of_month"),
        ({"hour": 24}, "hour"),
    ):
        answer = post_json(api, url, refused, method="patch")
        assert answer.status_code == 400, refused
        assert any(name.split(".")[0] == field for name in error_of(answer)["details"]), answer.content
    assert ReportSchedule.objects.get(pk=body["id"]).hour == 17

    assert api.delete(url).status_code == 204
    assert not ReportSchedule.objects.filter(pk=body["id"]).exists()


def test_another_users_reports_are_404(seeded):
    owner_api = api_client(make_token(seeded.project.user))
    base = f"/api/v1/projects/{seeded.project.pk}/reports/"
    report_id = post_json(owner_api, base, {"name": "Weekly", "recipients": ["a@example.com"]}).json()["id"]
    intruder = make_user(email="intruder@example.com")
    theirs = seed(intruder, 3, name="Theirs").project
    api = api_client(make_token(intruder))
    assert api.get(base).status_code == 404
    assert post_json(api, base, {"name": "x", "recipients": ["x@example.com"]}).status_code == 404
    for method in ("get", "patch", "delete"):
        assert getattr(api, method)(f"{base}{report_id}/").status_code == 404
        # Nor through the intruder's own project.
        assert getattr(api, method)(f"/api/v1/projects/{theirs.pk}/reports/{report_id}/").status_code == 404
    assert all_ids(api, f"/api/v1/projects/{theirs.pk}/reports/") == []
    assert ReportSchedule.objects.filter(pk=report_id).exists()
