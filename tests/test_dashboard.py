"""Project dashboard, comparison and printable report: every figure equals a recomputation from the
seeded results, every chart element links to the explorer showing the same results, statistics
(not results) are what the dashboard reads, and scraped text is escaped."""

from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from analysis import dashboard, insights_cache, pipeline
from analysis.dashboard import sums as dashboard_sums
from analysis.engine.project_insights import summarize_results
from analysis.stats import bucket
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import XSS, content_day, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user())


def rounded_from(exact, places=4):
    """What a figure the code rounds to ``places`` decimals may be, given the exact value: within
    half a unit of the last place (plus float noise), whichever way the sum was ordered."""
    return pytest.approx(exact, abs=0.5 * 10**-places + 1e-12)


def recompute(docs, first=None, last=None):
    """The dashboard's figures computed from the result documents themselves."""
    counted = [
        d
        for d in docs
        if not d["excluded"]
        and d["analysis"]["sentiment"]
        and (first is None or first <= content_day(d) <= last)
    ]
    scores = [d["analysis"]["sentiment"]["score"] for d in counted]
    ratings = [d["content"]["rating"] for d in counted if d["content"]["rating"] is not None]
    return {
        "count": len(counted),
        "average": sum(scores) / len(scores) if scores else None,
        "distribution": Counter(bucket(d["analysis"]["sentiment"]["label"]) for d in counted),
        "emotions": Counter(
            d["analysis"]["emotions"]["primary"] for d in counted if d["analysis"]["emotions"]
        ),
        "platforms": Counter(d["platform"] for d in counted),
        "targets": Counter(str(d["target_id"]) for d in counted),
        "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "flagged": sum(1 for d in counted if d["flags"]["rating_disagreement"]),
        "docs": counted,
    }


def build(seeded, **params):
    options = dashboard.DashboardOptions.parse(params)
    return dashboard.project_dashboard(seeded.project, options, today=seeded.today.date())


def chart(data, chart_id):
    return next(c for c in data["charts"] if c["id"] == chart_id)


def test_figures_equal_a_recomputation_from_the_results(seeded):
    data = build(seeded)
    want = recompute(seeded.docs)
    totals = data["totals"]
    assert want["count"] > 20 and len(want["platforms"]) == 2 and len(want["emotions"]) >= 4
    assert totals["count"] == data["kpis"]["analysed"] == want["count"]
    assert totals["average"] == rounded_from(want["average"])
    assert totals["distribution"] == {b: want["distribution"][b] for b in ("positive", "neutral", "negative")}
    assert totals["shares"]["positive"] == rounded_from(want["distribution"]["positive"] / want["count"])
    assert totals["emotions"] == dict(want["emotions"])
    assert totals["average_rating"] == want["average_rating"] and totals["flagged"] == want["flagged"]
    assert {p: t["count"] for p, t in data["per_platform"].items()} == dict(want["platforms"])
    assert {t: v["count"] for t, v in data["per_target"].items()} == dict(want["targets"])
    assert data["kpis"]["total_results"] == len(seeded.docs)
    assert data["kpis"]["last_scrape_at"] is not None
    # The charts carry the same numbers.
    assert chart(data, "distribution")["datasets"][0]["data"] == [
        want["distribution"][b] for b in ("positive", "neutral", "negative")
    ]
    emotions = chart(data, "emotions")
    assert dict(zip(emotions["labels"], emotions["datasets"][0]["data"], strict=True)) == {
        e.capitalize(): n for e, n in want["emotions"].items()
    }


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_sentiment_over_time_per_target_equals_a_recomputation(seeded, granularity):
    data = build(seeded, granularity=granularity, group="target")
    over_time = chart(data, "over_time")
    labels = {str(t.pk): t.label for t in seeded.targets}
    assert data["granularity"] == granularity and len(over_time["datasets"]) == 3
    counted = recompute(seeded.docs)["docs"]
    for dataset in over_time["datasets"]:
        target_id = next(tid for tid, name in labels.items() if name == dataset["label"])
        per_bucket = {}
        for d in counted:
            if str(d["target_id"]) == target_id:
                start = dashboard.bucket_start(content_day(d), granularity)
                per_bucket.setdefault(dashboard.bucket_label(start, granularity), []).append(
                    d["analysis"]["sentiment"]["score"]
                )
        got = {
            label: (count, avg)
            for label, count, avg in zip(over_time["labels"], dataset["counts"], dataset["data"], strict=True)
            if count
        }
        assert got == {label: (len(s), rounded_from(sum(s) / len(s))) for label, s in per_bucket.items()}


def test_period_and_change_against_the_previous_period(seeded):
    data = build(seeded, period="30")
    today = seeded.today.date()
    current = recompute(seeded.docs, today - timedelta(days=29), today)
    previous = recompute(seeded.docs, today - timedelta(days=59), today - timedelta(days=30))
    assert (
        data["totals"]["count"] == current["count"] and 0 < current["count"] < recompute(seeded.docs)["count"]
    )
    # The change is the difference of two rounded averages, itself rounded.
    assert data["kpis"]["change"] == pytest.approx(
        current["average"] - previous["average"], abs=1.5e-4 + 1e-12
    )
    assert data["period"] == (today - timedelta(days=29), today)


def test_every_chart_link_opens_the_explorer_on_the_same_results(seeded, client):
    client.force_login(seeded.project.user)
    data = build(seeded)
    explorer_path = reverse("analysis:explorer", args=[seeded.project.pk])
    checked = 0
    for spec in data["charts"]:
        for dataset in spec["datasets"]:
            for value, link in zip(dataset["data"], dataset["links"], strict=True):
                assert urlsplit(link).path == explorer_path
                if spec["id"] in {"distribution", "per_platform", "per_target", "emotions"} and value:
                    page = client.get(link).context["page"]
                    assert page.paginator.count == value, (spec["id"], link)
                    checked += 1
        for row in spec["table"]["rows"]:
            assert row["link"] is None or urlsplit(row["link"]).path == explorer_path
    assert checked > 15
    flagged = client.get(data["links"]["flagged"]).context["page"].paginator.count
    assert flagged == data["kpis"]["flagged"] > 0


def test_period_links_agree_with_the_daily_statistics(seeded, client):
    client.force_login(seeded.project.user)
    data = build(seeded, period="30")
    for b in ("positive", "negative"):
        assert client.get(data["links"][b]).context["page"].paginator.count == data["kpis"]["distribution"][b]


def test_dashboard_reads_statistics_not_results(seeded, monkeypatch):
    insights_cache.get_insights(seeded.project.pk)  # warm: the sample is read once, then cached
    read = []

    def watching(name, *args):
        read.append(name)
        return collection(name, *args)

    monkeypatch.setattr(dashboard_sums, "collection", watching)
    monkeypatch.setattr(insights_cache, "collection", watching)
    build(seeded, period="90", group="platform")
    assert "daily_stats" in read and "results" not in read


def test_insights_are_cached_and_refreshed_after_new_analyses(seeded, monkeypatch):
    monkeypatch.setattr(insights_cache, "SAMPLE_SIZE", 10)
    samples = []  # the result ids each computation read

    def recording(rows, **kwargs):
        samples.append({row["id"] for row in rows})
        return summarize_results(rows, **kwargs)

    monkeypatch.setattr(insights_cache, "summarize_results", recording)
    first = insights_cache.get_insights(seeded.project.pk, now=seeded.today)
    newest = sorted(
        (d for d in seeded.docs if d["analysis"]["sentiment"] and not d["excluded"]),
        key=lambda d: d["created_at"],
        reverse=True,
    )[:10]
    assert first["sample_size"] == 10 and not first["stale"]
    assert samples == [{str(d["_id"]) for d in newest}] and first["summary"]["total_results"] == 10
    sampled = {i for entry in first["summary"]["topics"] for i in entry["result_ids"]}
    assert sampled <= samples[0]
    again = insights_cache.get_insights(seeded.project.pk, now=seeded.today + timedelta(seconds=30))
    assert again["computed_at"] == first["computed_at"]
    # Triage moves the statistics' stamp: stale at once, recomputed once the refresh interval passed.
    pipeline.set_excluded(newest[0]["_id"], True)
    soon = insights_cache.get_insights(seeded.project.pk, now=seeded.today + timedelta(seconds=60))
    assert soon["stale"] and soon["computed_at"] == first["computed_at"]
    later = seeded.today + timedelta(seconds=insights_cache.REFRESH_SECONDS + 1)
    refreshed = insights_cache.get_insights(seeded.project.pk, now=later)
    assert not refreshed["stale"]
    assert len(samples) == 2 and str(newest[0]["_id"]) not in samples[1] and len(samples[1]) == 10


def test_dashboard_page_charts_kpis_and_insights(seeded, client):
    client.force_login(seeded.project.user)
    response = client.get(reverse("analysis:dashboard", args=[seeded.project.pk]), {"group": "platform"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="chart-data"' in html and "vendor/chartjs/chart.umd.min.js" in html and "js/charts.js" in html
    for spec in response.context["data"]["charts"]:
        assert f'data-chart="{spec["id"]}"' in html or spec["empty"]
    assert html.count('<details class="chart-data">') >= 5  # a data table beside each chart
    # Pros and cons are aspects with their counts, from a sample the page names.
    pro = response.context["data"]["pros"][0]
    assert pro["text"] == "puzzle" and f"{pro['text']}</a>" in html
    assert f"({pro['count']} results: {pro['sentiment']['positive']} praise" in html
    assert "From the latest" in html and "not by the whole review" in html
    assert "Average sentiment" in html and "Last scrape" in html


def test_comparison_of_targets_side_by_side(seeded, client):
    client.force_login(seeded.project.user)
    ours, rival, _ = seeded.targets
    response = client.get(
        reverse("analysis:compare", args=[seeded.project.pk]), {"target": [str(ours.pk), str(rival.pk)]}
    )
    data = response.context["data"]
    assert [c["label"] for c in data["columns"]] == ["Our game", "Rival game"]
    for column, target in zip(data["columns"], (ours, rival), strict=True):
        want = recompute([d for d in seeded.docs if d["target_id"] == target.pk])
        assert column["totals"]["count"] == want["count"] and column["totals"]["flagged"] == want["flagged"]
        assert column["totals"]["average"] == rounded_from(want["average"])
        assert column["topics"] and column["topics"][0]["key"] == "puzzle"
        assert column["sample_size"] == want["count"]
    shares = next(c for c in data["charts"] if c["id"] == "compare_shares")
    assert shares["datasets"][0]["data"][0] == pytest.approx(
        round(100 * data["columns"][0]["totals"]["shares"]["positive"], 1)
    )
    html = response.content.decode()
    assert "Our game" in html and "Rival game" in html and "Soundtrack CD" in html  # the third can be ticked
    one = client.get(reverse("analysis:compare", args=[seeded.project.pk]), {"target": str(ours.pk)})
    assert one.context["data"] is None and "Tick at least two targets" in one.content.decode()


def test_scraped_markup_is_escaped_on_the_dashboard_and_report(seeded, client):
    doc = next(d for d in seeded.docs if d["analysis"]["insights"] and not d["excluded"])
    collection("results").update_one(
        {"_id": doc["_id"]},
        {"$set": {"content.text": f"Fine. {XSS}", "analysis.insights.pros": [XSS], "pinned": True}},
    )
    collection("targets").update_one({"_id": seeded.targets[0].pk}, {"$set": {"label": "<b>Bold</b> target"}})
    insights_cache.refresh(seeded.project.pk)
    client.force_login(seeded.project.user)
    for name in ("dashboard", "report", "compare"):
        html = client.get(reverse(f"analysis:{name}", args=[seeded.project.pk])).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold</b>" not in html, name
        assert "&lt;b&gt;Bold&lt;/b&gt;" in html, name
    report = client.get(reverse("analysis:report", args=[seeded.project.pk])).content.decode()
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in report  # the pinned quote, as text


def test_printable_report_has_charts_tables_insights_and_is_audited(seeded, client):
    client.force_login(seeded.project.user)
    response = client.get(reverse("analysis:report", args=[seeded.project.pk]), {"period": "90"})
    html = response.content.decode()
    assert response.status_code == 200 and "data-print" in html
    assert html.count('class="chart-table"') >= 5 and '<details class="chart-data">' not in html
    pinned = [d for d in seeded.docs if d["pinned"] and not d["excluded"]]
    assert pinned and pinned[0]["content"]["author"] in html
    entry = AuditLog.objects.get(event_type="data.export", user=seeded.project.user)
    assert entry.metadata["scope"] == "report" and entry.metadata["filter"] == "period=90"


def test_empty_project_dashboard_says_what_to_do(db, client, seed_clock):
    empty = seed(make_user(), count=0, texts=[])
    client.force_login(empty.project.user)
    html = client.get(reverse("analysis:dashboard", args=[empty.project.pk])).content.decode()
    assert "Nothing to chart yet" in html and "run a scrape" in html
    compare = client.get(reverse("analysis:compare", args=[empty.project.pk]))
    assert [c["totals"]["count"] for c in compare.context["data"]["columns"]] == [0, 0, 0]


def test_aspects_link_to_their_results_and_quotes_stay_text(db, client, seed_clock):
    texts = [
        f"The puzzles are clever <3 and fair {XSS}.",
        "Brilliant puzzles & a calm soundtrack.",
        "I love the puzzles. The price is ridiculous and greedy.",
        "The price is awful. The puzzles are wonderful.",
        "Sadly the price is terrible.",
    ] * 2
    found = seed(make_user(), count=len(texts), texts=texts)
    collection("results").update_many({"project_id": found.project.pk}, {"$set": {"language": "en"}})
    client.force_login(found.project.user)
    response = client.get(reverse("analysis:dashboard", args=[found.project.pk]))
    html = response.content.decode()
    data = response.context["data"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "clever &lt;3 and fair" in html and "clever <3" not in html
    by_id = {str(d["_id"]): d for d in found.docs}
    for entry in data["pros"] + data["cons"] + data["topics"]:
        page = client.get(entry["link"]).context["page"]
        shown = {str(r.pk) for r in page.object_list}
        # The explorer finds every result of the sample that mentions it (and any other result).
        assert set(entry["result_ids"]) <= shown, entry["topic"]
        assert all(by_id[i]["project_id"] == found.project.pk for i in entry["result_ids"])
    assert [p["text"] for p in data["pros"]] == ["puzzles"] and [c["text"] for c in data["cons"]] == ["price"]


def test_a_summary_stored_before_aspects_is_recomputed(seeded):
    key = insights_cache.cache_key(seeded.project.pk)
    current = insights_cache.stamp(seeded.project.pk)
    old_stamp = {k: v for k, v in current.items() if k != "version"}
    old_summary = {
        "total_results": 1,
        "pros": [{"text": "Great game", "count": 1, "result_ids": [], "quotes": []}],
    }
    collection(insights_cache.COLLECTION).insert_one(
        {
            "_id": key,
            "project_id": seeded.project.pk,
            "stamp": old_stamp,
            "summary": old_summary,
            "computed_at": seeded.today - timedelta(hours=1),
            "sample_size": 1,
        }
    )
    found = insights_cache.get_insights(seeded.project.pk, now=seeded.today)
    assert not found["stale"] and found["stamp"] == current
    assert found["summary"]["rules"]["min_judged_results"] == 3
    assert "Great game" not in [p["text"] for p in found["summary"]["pros"]]
