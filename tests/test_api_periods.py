"""The period comparison through the API: the page's form and service behind it, so the same
numbers as the page for two date ranges, the days around a marker or a narrowed scope; the results
behind each figure reachable from the explorer link and the results endpoint alike; refused
parameters named by field in the API's error shape; another user's project or marker is never
compared."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from analysis import markers, periods
from tests.api_helpers import all_ids, api_client, error_of, make_token
from tests.factories import make_user
from tests.results_seed import content_day, seed
from tests.test_period_comparison import constructed, expected


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), 90)


@pytest.fixture
def owner(seeded):
    return api_client(make_token(seeded.project.user, scopes=["read"]))


def url_of(project) -> str:
    return f"/api/v1/projects/{project.pk}/periods/"


def ranges(today: date, length: int = 30) -> dict:
    b = (today - timedelta(days=length - 1), today)
    a = (b[0] - timedelta(days=length), b[0] - timedelta(days=1))
    return {"a_from": a[0], "a_to": a[1], "b_from": b[0], "b_to": b[1]}


def by_key(body) -> dict:
    return {f["key"]: f for f in body["figures"]}


def assert_as_the_page(body, data) -> None:
    """The API's numbers are the service's (what the page shows), figure by figure."""
    assert body["totals"] == data["totals"]
    assert [(f["key"], f["name"], f["a"], f["b"], f["change"], f["direction"], f["tone"]) for f in body["figures"]] == [
        (f["key"], f["name"], f["a"], f["b"], f["change"], f["direction"], f["tone"]) for f in data["figures"]
    ]  # fmt: skip
    assert [(r["star"], r["a"], r["b"], r["a_share"], r["b_share"]) for r in body["ratings"]] == [
        (r["star"], r["a"], r["b"], r["a_share"], r["b_share"]) for r in data["ratings"]
    ]
    assert body["samples"] == data["samples"]


def test_two_date_ranges_as_the_page_compares_them(owner, seeded):
    params = ranges(seeded.today.date())
    response = owner.get(url_of(seeded.project), params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mode"] == "dates" and body["marker"] is None
    assert body["a"] == {
        "first": params["a_from"].isoformat(),
        "last": params["a_to"].isoformat(),
        "days": 30,
    }
    assert body["b"] == {
        "first": params["b_from"].isoformat(),
        "last": params["b_to"].isoformat(),
        "days": 30,
    }
    a = periods.Period(params["a_from"], params["a_to"])
    b = periods.Period(params["b_from"], params["b_to"])
    assert_as_the_page(body, periods.compare_periods(seeded.project.user, seeded.project, a, b))
    # And those are the seeded results' own numbers.
    want_a, want_b = expected(seeded.counted(), *a.as_tuple()), expected(seeded.counted(), *b.as_tuple())
    figures = by_key(body)
    assert want_a["count"] and want_b["count"]
    assert (figures["count"]["a"], figures["count"]["b"]) == (want_a["count"], want_b["count"])
    assert figures["count"]["change"] == want_b["count"] - want_a["count"]
    assert (figures["average"]["a"], figures["average"]["b"]) == (want_a["average"], want_b["average"])
    for bucket in ("positive", "neutral", "negative"):
        assert body["totals"]["b"]["shares"][bucket] == want_b["shares"][bucket]
        assert figures[f"{bucket}_share"]["b"] == want_b["shares"][bucket]
    assert body["totals"]["a"]["average_rating"] == want_a["average_rating"]
    assert figures["average_rating"]["b"] == want_b["average_rating"]
    assert isinstance(figures["count"]["a"], int)  # a count stays a whole number


def test_the_results_behind_a_figure_are_linked_for_the_page_and_the_api(owner, seeded):
    params = ranges(seeded.today.date(), 20)
    body = owner.get(url_of(seeded.project), {**params, "platform": "steam"}).json()
    negative = by_key(body)["negative_share"]["links"]["b"]
    explorer = urlsplit(negative["explorer"])
    assert explorer.scheme == "http" and explorer.netloc == "testserver"
    assert explorer.path == reverse("analysis:explorer", args=[seeded.project.pk])
    results = urlsplit(negative["results"])
    assert results.path == url_of(seeded.project).replace("periods/", "results/")
    assert results.query == explorer.query and "sentiment=negative" in results.query
    # The results endpoint lists exactly the results the count stands for.
    first, last = params["b_from"], params["b_to"]
    wanted = {
        str(d["_id"])
        for d in seeded.counted()
        if first <= content_day(d) <= last and d["platform"] == "steam"
    }
    count = by_key(body)["count"]
    assert len(wanted) == count["b"]
    assert set(all_ids(owner, count["links"]["b"]["results"])) == wanted
    assert set(all_ids(owner, body["links"]["b"]["results"])) == wanted


def test_before_and_after_a_marker(owner, seeded):
    day = seeded.today.date() - timedelta(days=20)
    marker = markers.create_marker(
        seeded.project, seeded.project.user, {"day": day.isoformat(), "label": "v2"}
    )
    response = owner.get(url_of(seeded.project), {"marker": str(marker.pk), "days": 10})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mode"] == "marker"
    assert body["marker"]["id"] == str(marker.pk) and body["marker"]["label"] == "v2"
    a = periods.Period(day - timedelta(days=10), day - timedelta(days=1))
    b = periods.Period(day, day + timedelta(days=9))
    assert (body["a"]["first"], body["a"]["last"]) == (a.first.isoformat(), a.last.isoformat())
    assert (body["b"]["first"], body["b"]["last"], body["b"]["days"]) == (
        b.first.isoformat(),
        b.last.isoformat(),
        10,
    )
    assert_as_the_page(body, periods.compare_periods(seeded.project.user, seeded.project, a, b))
    assert by_key(body)["count"]["b"] == expected(seeded.counted(), *b.as_tuple())["count"]


def test_narrowed_to_a_platform_and_a_target(owner, seeded):
    params = ranges(seeded.today.date())
    a = periods.Period(params["a_from"], params["a_to"])
    b = periods.Period(params["b_from"], params["b_to"])
    body = owner.get(url_of(seeded.project), {**params, "platform": "amazon"}).json()
    assert body["platforms"] == ["amazon"] and body["targets"] == []
    ours = [d for d in seeded.counted() if d["platform"] == "amazon"]
    assert 0 < by_key(body)["count"]["b"] == expected(ours, *b.as_tuple())["count"]
    assert by_key(body)["count"]["b"] < expected(seeded.counted(), *b.as_tuple())["count"]
    page = periods.compare_periods(seeded.project.user, seeded.project, a, b, platforms=["amazon"])
    assert_as_the_page(body, page)

    target = str(seeded.targets[1].pk)
    body = owner.get(url_of(seeded.project), {**params, "target": target}).json()
    assert body["targets"] == [target]
    ours = [d for d in seeded.counted() if str(d["target_id"]) == target]
    assert by_key(body)["count"]["a"] == expected(ours, *a.as_tuple())["count"]
    assert "target=" + target in by_key(body)["count"]["links"]["a"]["results"]


def test_without_periods_the_last_30_days_face_the_30_before(owner, seeded):
    body = owner.get(url_of(seeded.project)).json()
    today = seeded.today.date()
    assert body["b"] == {
        "first": (today - timedelta(days=29)).isoformat(),
        "last": today.isoformat(),
        "days": 30,
    }
    assert body["a"]["last"] == (today - timedelta(days=30)).isoformat() and body["a"]["days"] == 30


def test_topics_that_rose_fell_appeared_and_went(db, seed_clock):
    user = make_user()
    project, docs = constructed(user)
    client = api_client(make_token(user))
    params = {"a_from": "2030-06-01", "a_to": "2030-06-10", "b_from": "2030-06-11", "b_to": "2030-06-20"}
    topics = client.get(url_of(project), params).json()["topics"]
    assert [t["topic"] for t in topics["rose"]] == ["price"]
    assert [t["topic"] for t in topics["fell"]] == ["battery"]
    rose = topics["rose"][0]
    assert (rose["a_count"], rose["b_count"]) == (2, 8) and rose["share_change"] > 0
    appeared, went = topics["appeared"][0], topics["disappeared"][0]
    assert (appeared["topic"], appeared["a_count"], appeared["b_count"]) == ("screen", None, 4)
    assert (went["topic"], went["a_count"], went["b_count"]) == ("manual", 4, None)
    # Each topic's results in period B, through the results endpoint.
    want = {str(d["_id"]) for side, d in docs if side == "b" and "price" in d["content"]["text"]}
    assert set(all_ids(client, rose["links"]["b"]["results"])) == want


# --- refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"a_from": "2030-03-05", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_to", "Period A ends before it starts."),
        ({"a_from": "2030-03-01", "a_to": "2030-03-02", "b_from": "2030-03-09", "b_to": "2030-03-03"},
         "b_to", "Period B ends before it starts."),
        ({"a_from": "2000-01-01", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_to", f"Period A is longer than {periods.MAX_DAYS} days."),
        ({"a_from": "2030-02-30", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_from", "Enter a real date."),
        ({"marker": "000000000000000000000000", "days": "10"}, "marker",
         "Select a valid choice. 000000000000000000000000 is not one of the available choices."),
        ({"mode": "marker", "days": "0"}, "days", "At least 1 day."),
        ({"a_from": "2030-03-01", "a_to": "2030-03-02", "b_from": "2030-03-03", "b_to": "2030-03-04",
          "platform": "youtube"}, "platform",
         "Select a valid choice. youtube is not one of the available choices."),
    ],
)  # fmt: skip
def test_refused_parameters_name_their_field(owner, seeded, params, field, message):
    response = owner.get(url_of(seeded.project), params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["details"][field] == [message]


def test_another_users_project_is_404(seeded):
    ours = markers.create_marker(seeded.project, seeded.project.user, {"day": "2030-07-01", "label": "v1"})
    stranger = api_client(make_token(make_user("stranger@example.com")))
    for params in ({}, {"marker": str(ours.pk), "days": 5}, ranges(seeded.today.date())):
        response = stranger.get(url_of(seeded.project), params)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_another_users_marker_is_never_compared(owner, seeded):
    """Their marker is not one of this project's: refused exactly as an id that does not exist
    (a 404 here would tell the two apart), and nothing of theirs is read."""
    theirs = seed(make_user("stranger@example.com"), 3, name="Theirs")
    marker = markers.create_marker(
        theirs.project, theirs.project.user, {"day": "2030-07-01", "label": "secret"}
    )
    response = owner.get(url_of(seeded.project), {"marker": str(marker.pk), "days": 5})
    assert response.status_code == 400
    assert error_of(response)["details"]["marker"] == [
        f"Select a valid choice. {marker.pk} is not one of the available choices."
    ]
    assert "secret" not in response.content.decode()
    # Nor through their own project.
    assert owner.get(url_of(theirs.project), {"marker": str(marker.pk), "days": 5}).status_code == 404
