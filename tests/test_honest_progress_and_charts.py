"""Honest progress and charts: a job reads 100 % only once every target ended, the sentiment line
breaks at empty time steps and shows its volume, the dashboard says when it samples, and the
dashboard and the comparison count the same results."""

from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis import dashboard, insights_cache, pipeline
from api.serializers import JobSerializer
from scraping import job_state, jobs
from scraping.job_progress import job_percent
from scraping.models import JobStatus, JobTarget, ScrapeJob
from scraping.presenters import job_summary
from tests.factories import add_steam_target, make_project, make_user
from tests.page_helpers import add_results
from tests.results_seed import seed

STATIC = Path(__file__).resolve().parent.parent / "static"


# --- progress -----------------------------------------------------------------------------------


def test_many_finished_targets_and_one_running_never_read_100():
    # 199 targets done and one at 10 %: the mean is 99.55, which rounding used to show as 100.
    targets = [JobTarget(status=JobStatus.COMPLETED, progress=100) for _ in range(199)]
    job = ScrapeJob(
        status=JobStatus.RUNNING, targets=[*targets, JobTarget(status=JobStatus.RUNNING, progress=10)]
    )
    assert job.overall_progress == 99
    assert job_summary(job).progress == JobSerializer().get_progress(job) == 99


@pytest.mark.parametrize(
    ("finished", "targets", "expected"),
    [
        (False, [("running", 99), ("completed", 100), ("completed", 100)], 99),
        (False, [("queued", 0), ("failed", 100)], 50),
        (False, [("running", 0), ("running", 1)], 0),  # rounded down
        (False, [("completed", 100), ("cancelled", 100)], 100),  # every target ended
        (True, [("running", 3)], 100),
    ],
)
def test_each_target_counts_its_share_and_only_ended_targets_count_in_full(finished, targets, expected):
    assert job_percent(finished, targets) == expected


@pytest.mark.django_db
def test_a_job_reads_100_only_once_its_last_target_ended(user):
    project = make_project(user)
    targets = [add_steam_target(project, 8000 + i) for i in range(3)]
    job = jobs.start_job(project, triggered_by=user)
    now = timezone.now()
    seen = []
    for i, target in enumerate(targets):
        assert job_state.claim_target(job.pk, target.pk, now).apply()
        # What a worker writes near the end of a target: 99 % (its last page not yet stored).
        assert job_state.report_page(job.pk, target.pk, now, progress=99, new=0, requests=1).apply()
        seen.append(ScrapeJob.objects.get(pk=job.pk).overall_progress)
        if i < len(targets) - 1:
            assert job_state.end_target(job.pk, target.pk, JobStatus.COMPLETED, now).apply()
            seen.append(ScrapeJob.objects.get(pk=job.pk).overall_progress)
    assert seen == [33, 33, 66, 66, 99]  # the mean was 99.67 at the end, once shown as 100
    assert job_state.end_target(job.pk, targets[-1].pk, JobStatus.COMPLETED, now).apply()
    assert jobs.finish_if_done(job.pk)
    assert ScrapeJob.objects.get(pk=job.pk).overall_progress == 100


# --- the sentiment-over-time chart ------------------------------------------------------------


@pytest.mark.django_db
def test_empty_buckets_are_gaps_and_the_volume_is_drawn_beside_the_mean(user):
    project = make_project(user)
    target = add_steam_target(project, 8100, label="Game")
    # Jan 1, Apr 11, Jul 20 and Jul 21 2026: four of the seven months hold nothing.
    add_results(target, [0.5, -0.5, 0.25], days_apart=100)
    options = dashboard.DashboardOptions.parse({"granularity": "month"})
    project.refresh_from_db()
    data = dashboard.project_dashboard(project, options, today=date(2026, 8, 1))
    over_time = next(c for c in data["charts"] if c["id"] == "over_time")

    assert over_time["labels"] == [
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
        "Apr 2026",
        "May 2026",
        "Jun 2026",
        "Jul 2026",
    ]
    [line] = over_time["datasets"]
    assert line["data"] == [0.5, None, None, -0.5, None, None, 0.25]
    assert over_time["options"]["span_gaps"] is False
    assert over_time["volume"]["data"] == [1, 0, 0, 1, 0, 0, 1]
    assert over_time["volume"]["label"] == "Analysed results"
    assert len(over_time["volume"]["links"]) == 7
    assert "4 of the 7 months have no analysed result: gaps in the line." in over_time["summary"]
    # What the page hands to Chart.js: nulls kept, the volume with it.
    payload = dashboard.chart_payload(data["charts"])["over_time"]
    assert payload["datasets"][0]["data"][1] is None and payload["volume"]["data"][1] == 0

    script = (STATIC / "js" / "charts.js").read_text()
    assert "out.spanGaps = false;" in script and "spanGaps = true" not in script
    assert 'yAxisID: "volume"' in script and "tension = 0;" in script


# --- sampling and counts --------------------------------------------------------------------------


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user())


def test_the_dashboard_says_what_people_say_comes_from_a_sample(seeded, client, monkeypatch):
    monkeypatch.setattr(insights_cache, "SAMPLE_SIZE", 10)
    client.force_login(seeded.project.user)
    response = client.get(reverse("analysis:dashboard", args=[seeded.project.pk]))
    analysed = response.context["data"]["kpis"]["analysed"]
    assert analysed > 10
    notice = f"the latest 10 of {analysed:,} analysed results"
    assert response.context["data"]["sample"] == {
        "size": 10,
        "population": analysed,
        "sampled": True,
        "text": notice,
    }
    html = response.content.decode()
    assert f"From {notice}, computed" in html
    topics = next(c for c in response.context["data"]["charts"] if c["id"] == "topics")
    assert topics["summary"].startswith(f"Topics from {notice}. Most discussed:")

    compare = client.get(reverse("analysis:compare", args=[seeded.project.pk]))
    for column in compare.context["data"]["columns"]:
        count = column["totals"]["count"]
        assert column["sample"]["text"] == f"the latest 10 of {count:,} analysed results"
        assert column["sample"]["text"] in compare.content.decode()


def test_an_unsampled_summary_says_it_holds_every_result(seeded):
    data = dashboard.project_dashboard(
        seeded.project, dashboard.DashboardOptions.parse({}), today=seeded.today.date()
    )
    analysed = data["kpis"]["analysed"]
    assert data["sample"]["text"] == f"the latest {analysed} analysed results (all of them)"
    assert not data["sample"]["sampled"]


@pytest.mark.parametrize("period", ["all", "30", "7"])
def test_the_dashboard_and_the_comparison_count_the_same_results(seeded, period):
    targets = {str(t.pk): t for t in seeded.targets}
    counted = [d for d in seeded.docs if d["analysis"]["sentiment"] and not d["excluded"]]
    assert pipeline.set_excluded(counted[0]["_id"], True)  # triage takes it out of both
    today = seeded.today.date()
    board = dashboard.project_dashboard(
        seeded.project, dashboard.DashboardOptions.parse({"period": period}), targets=targets, today=today
    )
    side_by_side = dashboard.compare_targets(
        seeded.project,
        dashboard.DashboardOptions.parse(
            {"period": period, "target": list(targets)}, target_ids=list(targets)
        ),
        targets=targets,
        today=today,
    )
    compared = {c["id"]: c["totals"]["count"] for c in side_by_side["columns"]}
    on_dashboard = {tid: board["per_target"].get(tid, {}).get("count", 0) for tid in targets}
    assert compared == on_dashboard
    assert sum(compared.values()) == board["kpis"]["analysed"]
    assert board["period"] == side_by_side["period"]
    if period == "all":
        assert board["kpis"]["analysed"] == len(counted) - 1
