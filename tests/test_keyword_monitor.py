"""Keyword monitors end to end: added through the projects service and the "Monitor a keyword"
page (with its preview), run as a job through the pipeline (results carry their platform and
the query, are analysed, the target keeps its cursors and per-platform counts), edited, and
another user's monitors are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.models import Result
from analysis.pipeline import analyze_results
from projects.forms import MonitorForm
from projects.models import Target
from projects.services import ActionRefused
from projects.services.monitors import add_monitor, edit_monitor, monitor_spec
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user, run_in_process
from tests.monitor_playback import KEPT, NEWEST, QUERY, rate_limited, serve_search

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unpaced_reddit")]


def new_monitor(project, query=QUERY, platforms=("reddit", "hackernews"), **kwargs) -> Target:
    return add_monitor(project, monitor_spec(query, platforms, **kwargs))


def test_a_monitor_job_stores_analysed_mentions_with_their_platform_and_query(settings, httpserver):
    served = serve_search(settings, httpserver)
    user = make_user()
    project = make_project(user)
    target = new_monitor(project, language="en")
    assert (target.platform, target.detected_type, target.url) == (
        "keyword",
        "keyword",
        "keyword:battery -refund",
    )

    job = run_in_process(project, user, target)
    assert job.status == JobStatus.COMPLETED and job.targets[0].results_count == 5
    assert {p: (c["found"], c["new"]) for p, c in job.targets[0].coverage.items()} == {
        "reddit": (5, 3), "hackernews": (4, 2),
    }  # fmt: skip
    results = list(Result.objects.filter(target=target).order_by("content__platform_id"))
    assert sorted(r.content.platform_id for r in results) == sorted(KEPT["reddit"] + KEPT["hackernews"])
    assert {r.content.platform_id.split(":")[0]: r.platform for r in results} == {
        "reddit": "reddit", "hackernews": "hackernews",
    }  # fmt: skip
    assert all(r.content.metadata["matched_query"] == QUERY for r in results)
    assert all(r.content.metadata["source_url"].startswith("https://") for r in results)
    assert analyze_results(project.pk, [r.pk for r in results]) == len(results)
    assert not Result.objects.filter(target=target, analysis__engine="").exists()

    target.refresh_from_db()
    assert target.stats.results_count == 5
    assert target.metadata["search_cursors"] == NEWEST
    counts = target.metadata["monitor_summary"]["platforms"]
    assert (counts["reddit"]["found"], counts["reddit"]["new"]) == (5, 3)
    assert (counts["hackernews"]["new"], counts["hackernews"]["duplicates"]) == (2, 1)

    # The next run asks each platform only for what is newer than its cursor.
    served.requests["reddit"].clear()
    served.requests["hackernews"].clear()
    job = run_in_process(project, user, target)
    assert job.status == JobStatus.COMPLETED and job.targets[0].results_count == 0
    assert len(served.requests["reddit"]) == 1
    assert served.requests["hackernews"][0]["numericFilters"] == f"created_at_i>{NEWEST['hackernews']}"
    assert Result.objects.filter(target=target).count() == 5


def test_a_rate_limited_platform_makes_the_run_partial_with_a_clear_message(settings, httpserver):
    rate_limited(httpserver, "/search.json")
    serve_search(settings, httpserver)
    user = make_user()
    project = make_project(user)
    target = new_monitor(project)
    job = run_in_process(project, user, target)
    entry = job.targets[0]
    assert entry.status == JobStatus.COMPLETED and entry.partial
    assert entry.error == "Reddit: rate limited, try later"
    assert entry.coverage["reddit"]["error"] == entry.error and entry.coverage["hackernews"]["new"] == 3
    assert set(Result.objects.filter(target=target).values_list("platform", flat=True)) == {"hackernews"}
    target.refresh_from_db()
    assert "reddit" not in target.metadata["search_cursors"]
    assert (
        target.metadata["monitor_summary"]["platforms"]["reddit"]["error"]
        == "Reddit: rate limited, try later"
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"query": "-refund", "platforms": ["reddit"]}, "query", "at least one word"),
        ({"query": "battery", "platforms": []}, "platforms", "required"),
        ({"query": "battery", "platforms": ["steam"]}, "platforms", "not one of the available choices"),
        (
            {"query": "battery", "platforms": ["mastodon"], "instances": "not a host!"},
            "instances",
            "host name",
        ),
        (
            {"query": "battery", "platforms": ["reddit"], "language": "english!"},
            "language",
            "code such as en",
        ),
    ],
)
def test_the_form_says_what_to_fix(data, field, message):
    form = MonitorForm(data)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_the_form_checks_and_defaults_instances():
    form = MonitorForm({"query": 'acme "battery life"', "platforms": ["mastodon", "reddit"], "instances": ""})
    assert form.is_valid(), form.errors
    spec = form.cleaned_data["spec"]
    assert spec.platforms == ("reddit", "mastodon") and spec.instances == ("mastodon.social",)
    form = MonitorForm(
        {"query": "acme", "platforms": ["mastodon"], "instances": "https://Fosstodon.org/\nhachyderm.io"}
    )
    assert form.is_valid() and form.cleaned_data["spec"].instances == ("fosstodon.org", "hachyderm.io")
    form = MonitorForm({"query": "acme", "platforms": ["mastodon"], "instances": "social.example.org:8443"})
    assert form.is_valid() and form.cleaned_data["spec"].instances == ("social.example.org:8443",)
    for refused in ("social.example.org:0", "social.example.org:70000", "social.example.org:", "a:b.org"):
        form = MonitorForm({"query": "acme", "platforms": ["mastodon"], "instances": refused})
        assert not form.is_valid() and "host name" in " ".join(form.errors["instances"]), refused


def test_the_same_query_twice_and_the_plans_limit_are_refused():
    user = make_user(plan="free")
    project = make_project(user)
    new_monitor(project)
    with pytest.raises(ActionRefused, match="already in the project"):
        new_monitor(project, query="Battery  -refund")
    limit = user.get_plan().max_targets_per_project
    for n in range(limit - 1):
        new_monitor(project, query=f"gadget{n}")
    with pytest.raises(ActionRefused, match="plan allows"):
        new_monitor(project, query="one more")


def test_preview_shows_the_first_matches_per_platform_escaped(client, settings, httpserver):
    served = serve_search(settings, httpserver)
    served.reddit_posts[0]["data"]["selftext"] = "<script>alert(1)</script> battery"
    user = make_user()
    project = make_project(user)
    client.force_login(user)
    data = {"query": QUERY, "platforms": ["reddit", "hackernews"], "instances": ""}

    page = client.post(reverse("jobs:monitor_add", args=[project.pk]), {**data, "preview": "1"})
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="monitor-preview"') == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Screen glare outdoors" in html and "Refund process" not in html  # re-checked locally
    assert not Target.objects.filter(project=project).exists()  # a preview saves nothing

    fragment = client.post(reverse("jobs:monitor_preview", args=[project.pk]), data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "Ask HN: phone battery in 2025" in fragment.content.decode()


def test_preview_shows_a_failing_platforms_error_beside_the_others(client, settings, httpserver):
    rate_limited(httpserver, "/search_by_date")
    serve_search(settings, httpserver)
    user = make_user()
    project = make_project(user)
    client.force_login(user)
    html = client.post(
        reverse("jobs:monitor_preview", args=[project.pk]),
        {"query": QUERY, "platforms": ["reddit", "hackernews"]},
    ).content.decode()
    assert "Hacker News: rate limited, try later" in html and "Battery life after a month" in html


def test_the_page_adds_a_monitor_and_the_project_page_shows_its_counts(client, settings, httpserver):
    serve_search(settings, httpserver)
    user = make_user()
    project = make_project(user)
    client.force_login(user)
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert reverse("jobs:monitor_add", args=[project.pk]) in detail
    form = client.get(reverse("jobs:monitor_add", args=[project.pk])).content.decode()
    assert "YouTube search needs an API key" in form and reverse("accounts:api_keys") in form

    response = client.post(
        reverse("jobs:monitor_add", args=[project.pk]),
        {"query": QUERY, "platforms": ["reddit", "hackernews"], "max_results": "50", "label": ""},
    )
    assert response.status_code == 302
    target = Target.objects.get(project=project)
    assert target.options.max_results == 50 and target.platform_data.search_platforms == [
        "reddit",
        "hackernews",
    ]
    run_in_process(project, user, target)
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Reddit 5 found, 3 new" in html and "Hacker News 4 found, 2 new" in html
    assert reverse("jobs:monitor_edit", args=[project.pk, target.pk]) in html
    assert 'href="keyword:' not in html
    job = ScrapeJob.objects.filter(project=project).latest("created_at")
    job_page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Reddit: 5 found, 3 new" in job_page and "Hacker News: 4 found, 2 new" in job_page


def test_editing_a_new_query_starts_from_fresh_cursors(client):
    user = make_user()
    project = make_project(user)
    target = new_monitor(project)
    collection("targets").update_one({"_id": target.pk}, {"$set": {"metadata.search_cursors": dict(NEWEST)}})
    client.force_login(user)
    url = reverse("jobs:monitor_edit", args=[project.pk, target.pk])
    assert 'value="battery -refund"' in client.get(url).content.decode()
    assert client.get(reverse("projects:target_edit", args=[project.pk, target.pk])).url == url

    response = client.post(url, {"query": "battery", "platforms": ["hackernews"], "instances": ""})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.platform_data.query == "battery" and target.platform_data.search_platforms == ["hackernews"]
    assert target.url == "keyword:battery" and "search_cursors" not in target.metadata
    edit_monitor(target, monitor_spec("battery", ["hackernews", "reddit"]))
    target.refresh_from_db()
    assert target.platform_data.search_platforms == ["reddit", "hackernews"]


def test_another_users_monitor_is_404(client):
    owner = make_user()
    project = make_project(owner)
    target = new_monitor(project)
    client.force_login(make_user())
    for url in (
        reverse("jobs:monitor_edit", args=[project.pk, target.pk]),
        reverse("jobs:monitor_add", args=[project.pk]),
        reverse("jobs:monitor_preview", args=[project.pk]),
    ):
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {"query": "x", "platforms": ["reddit"]}).status_code == 404
