"""The period comparison: two periods (or the days around a release marker) side by side, with
volume, sentiment and ratings from the daily aggregates, exact on seeded data; topics that rose
and fell on a constructed set; every figure linked to the explorer filtered to its results;
validated dates with named errors; another user's comparison is a 404."""

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from analysis import markers, periods, saved_views
from analysis.results_store.filters import DEFAULT_DATE_FIELD
from analysis.stats import bucket, rebuild, star
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user
from tests.results_seed import add_target, content_day, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), 90)


@pytest.fixture
def signed_in(client, seeded):
    client.force_login(seeded.project.user)
    return client


def page_url(project, **params) -> str:
    base = reverse("analysis:periods", args=[project.pk])
    pairs = "&".join(
        f"{k}={v}" for k, values in params.items() for v in (values if isinstance(values, list) else [values])
    )
    return f"{base}?{pairs}" if pairs else base


def expected(docs, first: date, last: date) -> dict:
    """What the comparison must say of the counted results posted from ``first`` to ``last``."""
    inside = [d for d in docs if first <= content_day(d) <= last]
    scores = [d["analysis"]["sentiment"]["score"] for d in inside]
    labels = [bucket(d["analysis"]["sentiment"]["label"]) for d in inside]
    ratings = [d["content"]["rating"] for d in inside if d["content"]["rating"] is not None]
    stars: dict[int, int] = {}
    for r in ratings:
        stars[star(r)] = stars.get(star(r), 0) + 1
    return {
        "count": len(inside),
        "average": round(sum(scores) / len(scores), 4) if scores else None,
        "shares": {
            b: round(labels.count(b) / len(labels), 4) if labels else None
            for b in ("positive", "neutral", "negative")
        },
        "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "rating_count": len(ratings),
        "stars": stars,
    }


def figures_of(data) -> dict:
    return {f["name"]: (f["a"], f["b"]) for f in data["figures"]}


def query_of(url: str) -> dict:
    return {k: v for k, v in parse_qs(urlsplit(url).query).items()}


# --- numbers ------------------------------------------------------------------------------------


def test_two_periods_side_by_side_are_exact(signed_in, seeded):
    today = seeded.today.date()
    a = (today - timedelta(days=59), today - timedelta(days=30))
    b = (today - timedelta(days=29), today)
    response = signed_in.get(page_url(seeded.project, a_from=a[0], a_to=a[1], b_from=b[0], b_to=b[1]))
    assert response.status_code == 200
    data = response.context["data"]
    want_a, want_b = expected(seeded.counted(), *a), expected(seeded.counted(), *b)
    assert want_a["count"] and want_b["count"]
    got = figures_of(data)
    assert got["Analysed results"] == (want_a["count"], want_b["count"])
    assert got["Average sentiment"] == (want_a["average"], want_b["average"])
    for name, key in (
        ("Positive share", "positive"),
        ("Neutral share", "neutral"),
        ("Negative share", "negative"),
    ):
        assert got[name] == (want_a["shares"][key], want_b["shares"][key])
    assert got["Average rating"] == (want_a["average_rating"], want_b["average_rating"])
    assert got["Rated results"] == (want_a["rating_count"], want_b["rating_count"])
    assert got["Results per day"] == (round(want_a["count"] / 30, 2), round(want_b["count"] / 30, 2))
    change = next(f for f in data["figures"] if f["name"] == "Analysed results")
    assert change["change"] == want_b["count"] - want_a["count"]
    assert change["tone"] == ""  # more or fewer results is neither good nor bad news
    negative = next(f for f in data["figures"] if f["name"] == "Negative share")
    a_neg, b_neg = want_a["shares"]["negative"], want_b["shares"]["negative"]
    assert negative["tone"] == ("better" if b_neg < a_neg else "worse" if b_neg > a_neg else "")
    stars = {r["star"]: (r["a"], r["b"]) for r in data["ratings"]}
    assert stars == {
        s: (want_a["stars"].get(s, 0), want_b["stars"].get(s, 0))
        for s in {*want_a["stars"], *want_b["stars"]}
    }
    # The samples the topics come from are said, and are the periods' analysed results here.
    assert (
        data["samples"]["a"]["size"] <= want_a["count"]
        and data["samples"]["a"]["population"] == want_a["count"]
    )
    assert "posted in period A" in data["samples"]["a"]["text"]
    html = response.content.decode()
    assert "Period A" in html and data["samples"]["b"]["text"] in html


def test_the_results_behind_a_figure_are_linked(signed_in, seeded):
    today = seeded.today.date()
    a = (today - timedelta(days=40), today - timedelta(days=21))
    b = (today - timedelta(days=20), today)
    target = str(seeded.targets[0].pk)
    data = signed_in.get(
        page_url(seeded.project, a_from=a[0], a_to=a[1], b_from=b[0], b_to=b[1], target=target)
    ).context["data"]
    negative = next(f for f in data["figures"] if f["name"] == "Negative share")
    query = query_of(negative["link_b"])
    # Posted days (the explorer's default date field) in UTC, as the daily aggregates count.
    assert DEFAULT_DATE_FIELD == "content" and "date_field" not in query and query["tz"] == ["UTC"]
    assert query["date_from"] == [b[0].isoformat()] and query["date_to"] == [b[1].isoformat()]
    assert query["target"] == [target] and query["sentiment"] == ["negative", "very_negative"]
    assert urlsplit(negative["link_a"]).path == reverse("analysis:explorer", args=[seeded.project.pk])
    assert query_of(negative["link_a"])["date_from"] == [a[0].isoformat()]
    # Narrowed to one target, the counts are that target's.
    ours = [d for d in seeded.counted() if str(d["target_id"]) == target]
    assert figures_of(data)["Analysed results"] == (expected(ours, *a)["count"], expected(ours, *b)["count"])
    # The explorer behind the count lists exactly those results (posted day, else collected day).
    listed = signed_in.get(next(f for f in data["figures"] if f["name"] == "Analysed results")["link_b"])
    dated = [d for d in ours if b[0] <= content_day(d) <= b[1]]
    assert len(dated) < 20  # one page
    assert {str(r.pk) for r in listed.context["page"].object_list} == {str(d["_id"]) for d in dated}


def test_before_and_after_a_marker(signed_in, seeded):
    day = seeded.today.date() - timedelta(days=20)
    marker = markers.create_marker(
        seeded.project, seeded.project.user, {"day": day.isoformat(), "label": "v2"}
    )
    response = signed_in.get(page_url(seeded.project, marker=marker.pk, days=10))
    data = response.context["data"]
    assert (data["a"].first, data["a"].last) == (day - timedelta(days=10), day - timedelta(days=1))
    assert (data["b"].first, data["b"].last) == (day, day + timedelta(days=9))
    want_a = expected(seeded.counted(), data["a"].first, data["a"].last)
    want_b = expected(seeded.counted(), data["b"].first, data["b"].last)
    assert figures_of(data)["Analysed results"] == (want_a["count"], want_b["count"])
    # The marker is drawn on the page's time chart, and named above the table.
    drawn = response.context["chart_data"]["over_time"]["markers"]
    assert [m["id"] for m in drawn] == [str(marker.pk)]
    assert response.context["marker"].pk == marker.pk
    # The dashboard's list links to this comparison.
    dashboard = signed_in.get(reverse("analysis:dashboard", args=[seeded.project.pk])).content.decode()
    assert f"{reverse('analysis:periods', args=[seeded.project.pk])}?marker={marker.pk}" in dashboard


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"a_from": "2030-02-30", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_from", "Enter a real date."),
        ({"a_from": "2030-03-05", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_to", "Period A ends before it starts."),
        ({"a_from": "2030-03-01", "a_to": "2030-03-01", "b_to": "2030-03-03"},
         "b_from", "Give the first day of period B."),
        ({"a_from": "2000-01-01", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_to", f"Period A is longer than {periods.MAX_DAYS} days."),
        ({"a_from": "1800-01-01", "a_to": "2030-03-01", "b_from": "2030-03-02", "b_to": "2030-03-03"},
         "a_from", "Enter a date from 1900 to 2999."),
        ({"mode": "marker"}, "marker", "Choose a marker."),
        ({"marker": "000000000000000000000000", "days": "10"}, "marker",
         "Select a valid choice. 000000000000000000000000 is not one of the available choices."),
        ({"mode": "marker", "days": "0"}, "days", "At least 1 day."),
    ],
)  # fmt: skip
def test_refused_periods_name_their_field(signed_in, seeded, params, field, message):
    response = signed_in.get(page_url(seeded.project, **params))
    assert response.status_code == 200
    assert response.context["data"] is None
    assert response.context["form"].errors[field] == [message]
    assert f'id="{field}-error"' in response.content.decode()


def test_days_around_a_marker_stay_in_the_calendar(signed_in, seeded):
    early = markers.create_marker(seeded.project, seeded.project.user, {"day": "1900-01-05", "label": "Old"})
    form = signed_in.get(page_url(seeded.project, marker=early.pk, days=10)).context["form"]
    assert form.errors["days"] == ["So many days reach beyond the calendar."]


def test_without_parameters_the_last_30_days_face_the_30_before(signed_in, seeded):
    form = signed_in.get(page_url(seeded.project)).context["form"]
    a, b, _ = form.periods()
    assert b.days == a.days == 30 and a.last == b.first - timedelta(days=1)
    assert b.last == seeded.today.date()


def test_another_users_comparison_is_404(client, seeded):
    client.force_login(make_user("stranger@example.com"))
    assert client.get(page_url(seeded.project)).status_code == 404


# --- topics -------------------------------------------------------------------------------------


BATTERY = "The battery drains in an hour, battery number {i} was the same."
PRICE = "The price is fair for such a game, price {i} is right."
MANUAL = "The manual is confusing and manual {i} was useless."
SCREEN = "The screen is sharp and bright, screen {i} is lovely."


def constructed(user):
    """Period A (1-10 Jun 2030): battery in 8 results, price in 2, manual in 4; period B
    (11-20 Jun): battery in 2, price in 8, screen in 4."""
    project = make_project(user, name="Constructed")
    target = add_target(project, "steam", "Game", 7)
    texts = {
        "a": [BATTERY] * 8 + [PRICE] * 2 + [MANUAL] * 4,
        "b": [BATTERY] * 2 + [PRICE] * 8 + [SCREEN] * 4,
    }
    starts = {"a": datetime(2030, 6, 1, 12, tzinfo=UTC), "b": datetime(2030, 6, 11, 12, tzinfo=UTC)}
    docs = []
    for side, found in texts.items():
        for i, text in enumerate(found):
            posted = starts[side] + timedelta(days=i % 10)
            docs.append(
                (side, {
                    "project_id": project.pk, "target_id": target.pk, "user_id": user.pk,
                    "scrape_job_id": None, "platform": "steam", "language": "en", "word_count": 10,
                    "content": {"text": text.format(i=i), "rating": None, "date": posted,
                                "platform_id": f"{side}{i}", "parent_id": None, "metadata": {}},
                    "analysis": {"sentiment": {"label": "neutral", "score": 0.0, "confidence": 0.9,
                                               "analyzed_at": posted}},
                    "flags": {"rating_disagreement": False}, "excluded": False, "tags": [], "pinned": False,
                    "created_at": posted, "updated_at": posted,
                })
            )  # fmt: skip
    collection("results").insert_many([doc for _, doc in docs])
    rebuild(project.pk)
    return project, docs


def test_topics_that_rose_fell_appeared_and_went(client, db, seed_clock):
    user = make_user()
    project, docs = constructed(user)
    client.force_login(user)
    response = client.get(
        page_url(project, a_from="2030-06-01", a_to="2030-06-10", b_from="2030-06-11", b_to="2030-06-20")
    )
    topics = response.context["data"]["topics"]
    assert [t["topic"] for t in topics["rose"]] == ["price"]
    assert [t["topic"] for t in topics["fell"]] == ["battery"]
    assert [t["topic"] for t in topics["appeared"]] == ["screen"]
    assert [t["topic"] for t in topics["disappeared"]] == ["manual"]
    rose = topics["rose"][0]
    assert (rose["previous_count"], rose["current_count"]) == (2, 8)
    # Each links to its results in each period: the explorer searched for the topic there.
    query = query_of(rose["link_b"])
    assert (
        query["q"] == ["price"]
        and query["date_from"] == ["2030-06-11"]
        and query["date_to"] == ["2030-06-20"]
    )
    listed = client.get(rose["link_b"]).context["page"]
    want = {str(d["_id"]) for side, d in docs if side == "b" and "price" in d["content"]["text"]}
    assert {str(r.pk) for r in listed.object_list} == want
    listed_a = client.get(topics["fell"][0]["link_a"]).context["page"]
    assert {str(r.pk) for r in listed_a.object_list} == {
        str(d["_id"]) for side, d in docs if side == "a" and "battery" in d["content"]["text"]
    }
    samples = response.context["data"]["samples"]
    assert samples["a"]["text"] == "all 14 analysed results posted in period A"
    assert samples["b"]["size"] == 14
    html = response.content.decode()
    assert "Topics that rose and fell" in html and "all 14 analysed results posted in period A" in html


def test_the_topic_sample_is_capped_and_says_so(db, seed_clock, monkeypatch):
    user = make_user()
    project, _ = constructed(user)
    monkeypatch.setattr(periods, "SAMPLE_SIZE", 5)
    data = periods.compare_periods(
        user,
        project,
        periods.Period(date(2030, 6, 1), date(2030, 6, 10)),
        periods.Period(date(2030, 6, 11), date(2030, 6, 20)),
    )
    assert data["samples"]["a"]["size"] == 5 and data["samples"]["a"]["population"] == 14
    assert data["samples"]["a"]["text"] == "the newest 5 of the 14 analysed results posted in period A"


def test_a_periods_topics_are_read_once_until_the_statistics_move(db, seed_clock, monkeypatch):
    user = make_user()
    project, docs = constructed(user)
    reads_made = []
    sample = periods._period_sample
    monkeypatch.setattr(periods, "_period_sample", lambda *a, **k: reads_made.append(1) or sample(*a, **k))
    a, b = (
        periods.Period(date(2030, 6, 1), date(2030, 6, 10)),
        periods.Period(date(2030, 6, 11), date(2030, 6, 20)),
    )
    first = periods.compare_periods(user, project, a, b)
    again = periods.compare_periods(user, project, a, b)
    assert len(reads_made) == 2 and again["topics"] == first["topics"]
    # Triage moves the statistics: the next comparison reads its samples again.
    collection("results").update_one({"_id": docs[0][1]["_id"]}, {"$set": {"excluded": True}})
    rebuild(project.pk)
    moved = periods.compare_periods(user, project, a, b)
    assert len(reads_made) == 4
    assert moved["topics"]["fell"][0]["previous_count"] == 7


def test_the_dashboards_saved_view_carries_over(signed_in, seeded):
    target = str(seeded.targets[1].pk)
    view = saved_views.create_view(
        seeded.project, seeded.project.user, "Rival", f"target={target}&platform=steam"
    )
    html = signed_in.get(
        reverse("analysis:dashboard", args=[seeded.project.pk]) + f"?view={view.pk}"
    ).content.decode()
    link = f"{reverse('analysis:periods', args=[seeded.project.pk])}?target={target}&amp;platform=steam"
    assert link in html
    response = signed_in.get(page_url(seeded.project, target=target, platform="steam"))
    data, form = response.context["data"], response.context["form"]
    assert form.cleaned_data["target"] == [target] and form.cleaned_data["platform"] == ["steam"]
    ours = [d for d in seeded.counted() if str(d["target_id"]) == target]
    a, b = data["a"], data["b"]
    assert b.days == 30 and b.last == seeded.today.date()
    assert figures_of(data)["Analysed results"] == (
        expected(ours, a.first, a.last)["count"],
        expected(ours, b.first, b.last)["count"],
    )
