"""Release markers: added, changed and deleted from the dashboard and the API, validated by one
form, drawn on every time chart (the data the chart reads) and listed under it as escaped text,
and never reachable from another user's account."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from accounts import data
from analysis import dashboard, markers
from analysis.dashboard.marker_lines import chart_markers
from analysis.models import ReleaseMarker
from projects.services.lifecycle import delete_project
from tests.api_helpers import api_client, error_of, make_token, post_json
from tests.factories import make_user
from tests.results_seed import XSS, content_day, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user())


@pytest.fixture
def signed_in(client, seeded):
    client.force_login(seeded.project.user)
    return client


def dashboard_url(seeded, query: str = "") -> str:
    return reverse("analysis:dashboard", args=[seeded.project.pk]) + (f"?{query}" if query else "")


def add(seeded, day: str, label: str, **extra) -> ReleaseMarker:
    return markers.create_marker(seeded.project, seeded.project.user, {"day": day, "label": label, **extra})


# --- the form and the services ------------------------------------------------------------------


def test_a_marker_is_a_utc_day_or_a_moment_with_a_cleaned_label(seeded):
    whole = add(seeded, "2030-07-01", "  v1.2   patch ", note="Fixes the crash on start")
    assert whole.label == "v1.2 patch"
    assert whole.whole_day is True
    assert whole.at == datetime(2030, 7, 1, tzinfo=UTC)
    assert whole.day == date(2030, 7, 1)
    assert markers.when_text(whole) == "1 Jul 2030"
    moment = add(seeded, "2030-07-02", "Price change", time="23:45")
    assert moment.whole_day is False
    assert moment.at == datetime(2030, 7, 2, 23, 45, tzinfo=UTC)
    assert markers.when_text(moment) == "2 Jul 2030, 23:45 UTC"
    assert [m.label for m in markers.markers_for(seeded.project)] == ["v1.2 patch", "Price change"]
    assert [m.label for m in markers.markers_for(seeded.project, date(2030, 7, 2), date(2030, 7, 2))] == [
        "Price change"
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day": "2030-02-30", "label": "x"}, "day", "Enter a real date."),
        ({"day": "", "label": "x"}, "day", "Give the marker's date."),
        ({"day": "1899-12-31", "label": "x"}, "day", "Enter a date from 1900 to 2999."),
        ({"day": "2030-07-01", "label": "   "}, "label", "Give the marker a label."),
        ({"day": "2030-07-01", "label": "x" * 101}, "label", "A label is at most 100 characters."),
        ({"day": "2030-07-01", "label": "x", "time": "25:00"}, "time", "Enter a time as HH:MM."),
        (
            {"day": "2030-07-01", "label": "x", "note": "n" * 1001},
            "note",
            "A note is at most 1000 characters.",
        ),
    ],
)
def test_a_refused_marker_names_its_field(seeded, data, field, message):
    with pytest.raises(markers.ValidationError) as refused:
        markers.create_marker(seeded.project, seeded.project.user, data)
    assert refused.value.message_dict[field] == [message]
    assert not ReleaseMarker.objects.exists()


def test_positions_on_day_week_and_month_charts(seeded):
    thursday = add(seeded, "2030-07-04", "Thursday")  # 1 Jul 2030 is a Monday
    outside = add(seeded, "2030-08-20", "Later")
    found = [thursday, outside]
    days = [date(2030, 7, 1) + timedelta(days=i) for i in range(7)]
    assert [m["position"] for m in chart_markers(found, days, "day")] == [3.0]
    weeks = [date(2030, 6, 24), date(2030, 7, 1), date(2030, 7, 8)]
    # Index 1 is the middle of the week of 1 Jul; its 4th day is half a day past that middle.
    assert [(m["label"], m["position"]) for m in chart_markers(found, weeks, "week")] == [
        ("Thursday", round(1 + 3.5 / 7 - 0.5, 4))
    ]
    months = [date(2030, 7, 1), date(2030, 8, 1)]
    assert [m["label"] for m in chart_markers(found, months, "month")] == ["Thursday", "Later"]
    assert chart_markers(found, [], "day") == []


# --- the dashboard ------------------------------------------------------------------------------


def test_markers_are_drawn_on_the_time_chart_and_listed_escaped(signed_in, seeded):
    days = sorted(content_day(d) for d in seeded.counted())
    first = days[0]
    inside = add(seeded, (first + timedelta(days=2)).isoformat(), XSS, note="<b>bold</b>")
    add(seeded, "2001-01-01", "Long before")  # outside the chart's days: listed, not drawn
    response = signed_in.get(dashboard_url(seeded, "granularity=day"))
    data = response.context["chart_data"]["over_time"]
    assert data["markers"] == [
        {
            "id": str(inside.pk),
            "label": XSS,
            "note": "<b>bold</b>",
            "day": inside.day.isoformat(),
            "when": markers.when_text(inside),
            "position": float((inside.day - first).days),
        }
    ]
    html = response.content.decode()
    assert XSS not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert 'class="chart-markers"' in html
    # The list of every marker, with its edit form and a red delete button.
    assert response.context["markers"][0]["label"] == "Long before"
    assert 'class="outline danger">Delete “Long before”</button>' in html
    assert reverse("analysis:periods", args=[seeded.project.pk]) in html


def test_the_compare_and_report_time_charts_carry_the_markers(signed_in, seeded):
    days = sorted(content_day(d) for d in seeded.counted())
    marker = add(seeded, days[-1].isoformat(), "Launch")
    targets = "&".join(f"target={t.pk}" for t in seeded.targets[:2])
    compared = signed_in.get(reverse("analysis:compare", args=[seeded.project.pk]) + f"?{targets}")
    assert [m["id"] for m in compared.context["chart_data"]["over_time"]["markers"]] == [str(marker.pk)]
    report = signed_in.get(reverse("analysis:report", args=[seeded.project.pk]))
    assert [m["label"] for m in report.context["chart_data"]["over_time"]["markers"]] == ["Launch"]


def test_add_change_and_delete_from_the_dashboard(signed_in, seeded):
    project = seeded.project
    response = signed_in.post(
        reverse("analysis:marker_create", args=[project.pk]),
        {"day": "2030-07-05", "time": "", "label": "v1.2 patch", "note": ""},
    )
    assert response.status_code == 302 and response["Location"].endswith(dashboard_url(seeded) + "#markers")
    marker = ReleaseMarker.objects.get(project_id=project.pk)
    assert (marker.label, marker.day, marker.user_id) == ("v1.2 patch", date(2030, 7, 5), project.user_id)

    refused = signed_in.post(
        reverse("analysis:marker_create", args=[project.pk]), {"day": "2030-13-01", "label": ""}, follow=True
    )
    shown = [str(m) for m in refused.context["messages"]]
    assert "Date: Enter a real date." in shown and "Label: Give the marker a label." in shown
    assert ReleaseMarker.objects.count() == 1

    signed_in.post(
        reverse("analysis:marker_update", args=[project.pk, marker.pk]),
        {"day": "2030-07-06", "time": "08:30", "label": "v1.2.1", "note": "hotfix"},
    )
    marker.refresh_from_db()
    assert (marker.label, marker.note, marker.at) == (
        "v1.2.1",
        "hotfix",
        datetime(2030, 7, 6, 8, 30, tzinfo=UTC),
    )
    form = signed_in.get(dashboard_url(seeded)).content.decode()
    assert 'value="2030-07-06"' in form and 'value="08:30"' in form

    signed_in.post(reverse("analysis:marker_delete", args=[project.pk, marker.pk]))
    assert not ReleaseMarker.objects.exists()


def test_another_users_markers_are_404(client, seeded):
    marker = add(seeded, "2030-07-05", "Ours")
    stranger = make_user("stranger@example.com")
    client.force_login(stranger)
    project = seeded.project
    for url in (
        reverse("analysis:marker_create", args=[project.pk]),
        reverse("analysis:marker_update", args=[project.pk, marker.pk]),
        reverse("analysis:marker_delete", args=[project.pk, marker.pk]),
    ):
        assert client.post(url, {"day": "2030-07-01", "label": "theirs"}).status_code == 404
    # Their own project does not reach our marker either.
    theirs = seed(stranger, 3, name="Theirs")
    url = reverse("analysis:marker_delete", args=[theirs.project.pk, marker.pk])
    assert client.post(url).status_code == 404
    assert ReleaseMarker.objects.get().label == "Ours"


# --- the API ------------------------------------------------------------------------------------


def test_markers_through_the_api(seeded):
    client = api_client(make_token(seeded.project.user))
    base = f"/api/v1/projects/{seeded.project.pk}/markers/"
    created = post_json(client, base, {"day": "2030-07-05", "label": "v1.2 patch", "note": "crash fix"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["label"] == "v1.2 patch" and body["day"] == "2030-07-05" and body["whole_day"] is True
    assert body["at"] == "2030-07-05T00:00:00Z"

    refused = post_json(client, base, {"day": "2030-02-30", "label": ""})
    assert refused.status_code == 400
    details = error_of(refused)["details"]
    assert details["day"] == ["Enter a real date."] and details["label"] == ["Give the marker a label."]

    listed = client.get(base).json()
    assert [m["id"] for m in listed["results"]] == [body["id"]]

    one = f"{base}{body['id']}/"
    assert client.get(one).json()["note"] == "crash fix"
    changed = post_json(client, one, {"time": "09:15"}, method="patch")
    assert changed.status_code == 200, changed.content
    assert changed.json()["at"] == "2030-07-05T09:15:00Z" and changed.json()["label"] == "v1.2 patch"
    assert post_json(client, one, {"label": "x" * 101}, method="patch").status_code == 400
    cleared = post_json(client, one, {"time": None}, method="patch").json()
    assert cleared["whole_day"] is True and cleared["at"] == "2030-07-05T00:00:00Z"

    assert client.delete(one).status_code == 204
    assert client.get(one).status_code == 404

    stranger = api_client(make_token(make_user("other@example.com")))
    kept = markers.create_marker(seeded.project, seeded.project.user, {"day": "2030-07-01", "label": "Ours"})
    assert stranger.get(base).status_code == 404
    assert stranger.get(f"{base}{kept.pk}/").status_code == 404
    assert stranger.delete(f"{base}{kept.pk}/").status_code == 404
    assert ReleaseMarker.objects.filter(pk=kept.pk).exists()


def test_the_dashboard_payload_has_markers_even_without_any(seeded):
    data = dashboard.project_dashboard(
        seeded.project, dashboard.DashboardOptions(), today=seeded.today.date()
    )
    over_time = dashboard.chart_payload(data["charts"])["over_time"]
    assert over_time["markers"] == [] and data["markers"] == []


def test_a_deleted_project_or_erased_account_takes_its_markers(seeded):
    add(seeded, "2030-07-01", "v1")
    other = seed(make_user("other@example.com"), 3, name="Other")
    markers.create_marker(other.project, other.project.user, {"day": "2030-07-01", "label": "v2"})
    removed = delete_project(seeded.project)
    assert removed["release_markers"] == 1
    assert [m.label for m in ReleaseMarker.objects.all()] == ["v2"]
    data.erase_user(other.project.user)
    assert not ReleaseMarker.objects.exists()
