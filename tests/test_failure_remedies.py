"""Failures an analyst can fix where they are shown: every failure names its remedy and links to
the page that fixes it (job page, project page, empty dashboard and explorer, the email), jobs
retry only their failed targets, failed attempts count as requests, and a partly failed job mails
its owner like a failed one."""

import socket

import pytest
from django.test import Client
from django.urls import reverse
from werkzeug import Response

from projects.models import Target
from scraping import jobs, remedies
from scraping.collectors import google, youtube
from scraping.models import JobOptions, JobStats, JobStatus, JobTarget, ScrapeJob
from sentimatrix.mongo import collection
from tests.factories import add_steam_target, make_project, make_user
from tests.page_helpers import add_target, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

UNREACHABLE = "store.steampowered.com could not be reached after 5 attempts (ConnectionError)"


# --- one map from a failure to its remedy ------------------------------------------------------


def _remedy(error, **kwargs):
    project_id, target_id, job_id = "0" * 24, "1" * 24, "2" * 24
    return remedies.remedy_for(error, project_id=project_id, target_id=target_id, job_id=job_id, **kwargs)


API_KEYS = "/settings/api-keys/"
RETRY = f"/jobs/{'2' * 24}/retry/"
TARGET = f"/projects/{'0' * 24}/targets/{'1' * 24}/edit/"
PROJECT_EDIT = f"/projects/{'0' * 24}/edit/"


@pytest.mark.parametrize(
    ("error", "kind", "links"),
    [
        (UNREACHABLE, "unreachable", [RETRY, TARGET]),
        ("www.reddit.com timed out after 5 attempts (ReadTimeout)", "unreachable", [RETRY, TARGET]),
        (youtube.MISSING_KEY, "missing_key", [API_KEYS, RETRY]),
        (google.MISSING_KEY, "missing_key", [API_KEYS, RETRY]),
        ("ScraperAPI is selected for this Amazon target but no ScraperAPI key is stored", "missing_key", [API_KEYS, RETRY]),
        (youtube.ERROR_REASONS["keyInvalid"], "key_rejected", [API_KEYS, RETRY]),
        (youtube.ERROR_REASONS["quotaExceeded"], "quota", [API_KEYS, RETRY]),
        ("stopped at the project's limit of 500 requests per day", "daily_limit", [PROJECT_EDIT, RETRY]),
        ("www.amazon.com is still rate limiting us after 5 attempts; try again later", "rate_limited", [PROJECT_EDIT, RETRY]),
        ("the host name 127.0.0.1 resolves to loopback; only public addresses are allowed", "blocked_address", [TARGET]),
        ("store.steampowered.com answered 404 Not Found", "not_found", [RETRY, TARGET]),
        ("steam answered 403 Forbidden", "forbidden", [RETRY, TARGET]),
        ("no reviews found where expected: the page layout may have changed", "layout", [RETRY, TARGET]),
        ("line 12, column 5: the date is not a date", "file", [f"/projects/{'0' * 24}/targets/add/"]),
        ("the worker stopped responding 3 times; giving up", "worker", [RETRY]),
        ("the target was removed before it ran", "removed", []),
        ("0 collected of 120 reported", "nothing_collected", [RETRY]),
        ("Google Play returned no review in “de” although the app's page counts 12 in all languages", "language", [RETRY, f"/projects/{'0' * 24}/targets/add/"]),
        ("something nobody foresaw", "other", [RETRY, TARGET]),
    ],
)  # fmt: skip
def test_every_failure_kind_says_what_to_do_and_links_to_the_page_that_does_it(error, kind, links):
    remedy = _remedy(error)
    assert remedy.kind == kind and remedy.advice
    assert [action.url for action in remedy.actions] == links
    # A retry is a POST (a button), every other action a link.
    assert all(action.post == (action.url == RETRY) for action in remedy.actions)
    if API_KEYS in links:  # the page is named as it is called
        assert "API keys page" in remedy.advice and remedy.actions[0].label == "Open API keys"


def test_no_error_no_remedy_and_no_retry_where_none_is_possible():
    assert _remedy("") is None
    assert RETRY not in [a.url for a in _remedy(UNREACHABLE, retry=False).actions]
    without_job = remedies.remedy_for(UNREACHABLE, project_id="0" * 24)
    assert [a.url for a in without_job.actions] == [f"/projects/{'0' * 24}/", f"/projects/{'0' * 24}/"]


# --- the job page and the project page ----------------------------------------------------------

STEAM = "https://store.steampowered.com/app/{}/"


def finished_job(project, outcomes, *, options=None, status=JobStatus.COMPLETED):
    """A finished job with one target per ``(status, error, results)`` of ``outcomes``."""
    targets, entries = [], []
    first = Target.objects.count()
    for i, (state, error, results) in enumerate(outcomes):
        url = STEAM.format(600 + first + i)
        target = add_target(project, url, url)
        if state == JobStatus.FAILED:
            collection("targets").update_one(
                {"_id": target.pk}, {"$set": {"status": "error", "error_message": error}}
            )
        targets.append(target)
        entries.append(
            JobTarget(
                target_id=target.pk,
                status=state,
                progress=100,
                error=error,
                results_count=results,
                available_total=200,
            )
        )
    failed = sum(state == JobStatus.FAILED for state, _, _ in outcomes)
    job = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=status,
        progress=100,
        targets=entries,
        options=options or JobOptions(),
        stats=JobStats(
            targets_total=len(entries), targets_completed=len(entries), errors_count=failed, requests_made=25
        ),
    )
    return job, targets


@pytest.fixture
def project(owner):
    return make_project(owner, name="Launch", max_reviews_per_target=100)


def test_the_job_page_explains_each_failure_styles_its_bar_and_offers_a_retry(client, project):
    job, (ok, unreachable, keyless) = finished_job(
        project,
        [
            (JobStatus.COMPLETED, "", 50),
            (JobStatus.FAILED, UNREACHABLE, 30),
            (JobStatus.FAILED, youtube.MISSING_KEY, 0),
        ],
    )
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    html = page.content.decode()
    rows = {row.target_id: row for row in page.context["summary"].targets}
    # A failed target's bar is the failure's, at what it collected (30 of a limit of 100).
    assert rows[unreachable.pk].progress == 30 and rows[keyless.pk].progress == 0
    assert rows[ok.pk].progress == 100
    assert html.count('<progress class="failed"') == 2
    assert "The site did not answer" in html and 'data-remedy="unreachable"' in html
    assert f'href="{reverse("accounts:api_keys")}">Open API keys</a>' in html
    assert reverse("projects:target_edit", args=[project.pk, unreachable.pk]) in html
    assert f'action="{reverse("jobs:retry", args=[job.pk])}"' in html and "Retry 2 failed targets" in html
    assert "<strong>25</strong>" in html  # the requests counter

    project_page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert f'id="target-{unreachable.pk}"' in project_page
    assert 'data-remedy="unreachable"' in project_page and 'data-remedy="missing_key"' in project_page
    assert "Retry 2 failed targets" in project_page


def test_retry_starts_a_job_for_only_the_failed_targets_with_the_same_options(client, project, owner):
    options = JobOptions(max_results=40, include_replies=True)
    job, (_ok, first, second) = finished_job(
        project,
        [(JobStatus.COMPLETED, "", 50), (JobStatus.FAILED, UNREACHABLE, 0), (JobStatus.FAILED, "boom", 0)],
        options=options,
    )
    response = client.post(reverse("jobs:retry", args=[job.pk]))
    retried = ScrapeJob.objects.exclude(pk=job.pk).get(project=project)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[retried.pk])
    assert [entry.target_id for entry in retried.targets] == [first.pk, second.pk]
    assert retried.status == JobStatus.QUEUED and retried.triggered_by_id == owner.pk
    assert (retried.options.max_results, retried.options.include_replies) == (40, True)
    assert "Retrying 2 failed target(s) now." in messages_of(client.get(response["Location"]))

    # The retry runs now: a second one is refused with the reason.
    again = client.post(reverse("jobs:retry", args=[job.pk]), follow=True)
    assert "A job is already running for this project: retry once it has ended." in messages_of(again)
    assert ScrapeJob.objects.filter(project=project).count() == 2


def test_retry_is_refused_when_nothing_failed_and_hidden_from_other_users(client, project):
    job, _ = finished_job(project, [(JobStatus.COMPLETED, "", 50)])
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert reverse("jobs:retry", args=[job.pk]) not in page
    refused = client.post(reverse("jobs:retry", args=[job.pk]), follow=True)
    assert "No target of this job failed: there is nothing to retry." in messages_of(refused)
    assert ScrapeJob.objects.filter(project=project).count() == 1

    failed, _ = finished_job(project, [(JobStatus.FAILED, UNREACHABLE, 0)], status=JobStatus.FAILED)
    stranger = Client()
    stranger.force_login(make_user())
    assert stranger.post(reverse("jobs:retry", args=[failed.pk])).status_code == 404
    assert client.get(reverse("jobs:retry", args=[failed.pk])).status_code == 405
    assert ScrapeJob.objects.filter(project=project).count() == 2


def test_a_running_job_cannot_be_retried(project):
    target = add_steam_target(project, 4242)
    running = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.RUNNING,
        targets=[JobTarget(target_id=target.pk, status=JobStatus.FAILED, error="boom")],
    )
    with pytest.raises(jobs.JobRefused, match="still running"):
        jobs.retry_failed(running)


# --- requests that failed are counted ----------------------------------------------------------


def test_failed_attempts_are_counted_as_requests(loopback, settings, httpserver):
    settings.SCRAPING_MAX_RETRIES = 2  # three attempts each
    httpserver.expect_request("/feed.xml").respond_with_response(Response("down", status=503))
    with socket.socket() as sock:  # a port nothing listens on: every connection is refused
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    erring = httpserver.url_for("/feed.xml")
    user = make_user()
    project = make_project(user)
    refusing = add_target(project, closed, closed, platform="feed", feed_url=closed)
    failing = add_target(project, erring, erring, platform="feed", feed_url=erring)
    job = jobs.start_job(project, triggered_by=user)

    assert jobs.run_target(job.pk, refusing.pk) == JobStatus.FAILED
    assert jobs.run_target(job.pk, failing.pk) == JobStatus.FAILED

    job = ScrapeJob.objects.get(pk=job.pk)
    entries = {entry.target_id: entry for entry in job.targets}
    assert "could not be reached after 3 attempts" in entries[refusing.pk].error
    assert entries[refusing.pk].requests_made == 3 and entries[failing.pk].requests_made == 3
    assert job.stats.requests_made == 6 and len(httpserver.log) == 3
    client = Client()
    client.force_login(user)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "<strong>6</strong>" in html and html.count(">3 requests</small>") == 2
    assert job.status == JobStatus.FAILED


# --- a partly failed job mails its owner --------------------------------------------------------


def test_a_partly_failed_job_sends_the_failure_email_with_each_target_and_its_remedy(
    eager, mailoutbox, settings
):
    user = make_user(name="Ana")
    project = make_project(user, name="Launch")
    ok = add_steam_target(project, 7001, label="Good game")
    broken = add_steam_target(project, 7002, label="Unreachable game")
    keyless = add_steam_target(project, 7003, label="Keyless video")
    job = ScrapeJob.objects.create(
        project=project,
        user_id=user.pk,
        status=JobStatus.RUNNING,
        targets=[
            JobTarget(target_id=ok.pk, status=JobStatus.COMPLETED, results_count=12),
            JobTarget(target_id=broken.pk, status=JobStatus.FAILED, error=UNREACHABLE),
            JobTarget(target_id=keyless.pk, status=JobStatus.FAILED, error=youtube.MISSING_KEY),
        ],
        stats=JobStats(targets_total=3, targets_completed=3, results_total=12, errors_count=2),
    )
    assert jobs.finish_if_done(job.pk)
    assert ScrapeJob.objects.get(pk=job.pk).status == JobStatus.COMPLETED

    [mail] = mailoutbox
    assert (
        mail.to == [user.email] and mail.subject == "[Sentimatrix Studio] 2 of 3 targets of “Launch” failed"
    )
    body = mail.body
    assert "ended with 2 of its 3 targets failed" in body and "Good game" not in body
    assert f"- Unreachable game: {UNREACHABLE}" in body and "The site did not answer" in body
    assert f"- Keyless video: {youtube.MISSING_KEY}" in body
    assert f"Open API keys: {settings.SITE_URL}{reverse('accounts:api_keys')}" in body
    assert (
        f"Check the target: {settings.SITE_URL}{reverse('projects:target_edit', args=[project.pk, broken.pk])}"
        in body
    )
    assert f"{settings.SITE_URL}/jobs/{job.pk}/" in body


def test_no_partial_failure_email_when_notifications_are_off_or_nothing_failed(eager, mailoutbox):
    quiet = make_user()
    quiet.settings.email_notifications = False
    quiet.save()
    for owner, failed in ((quiet, 1), (make_user(), 0)):
        project = make_project(owner)
        target = add_steam_target(project, 7100 + failed)
        job = ScrapeJob.objects.create(
            project=project,
            user_id=owner.pk,
            status=JobStatus.RUNNING,
            targets=[
                JobTarget(target_id=target.pk, status=JobStatus.COMPLETED, results_count=3),
            ],
            stats=JobStats(targets_total=1, targets_completed=1, errors_count=failed),
        )
        assert jobs.finish_if_done(job.pk)
    assert mailoutbox == []


# --- empty pages say the last collection failed -----------------------------------------------


def test_empty_dashboard_and_explorer_say_the_last_collection_failed_and_link_the_remedy(client, project):
    job, (target,) = finished_job(project, [(JobStatus.FAILED, UNREACHABLE, 0)], status=JobStatus.FAILED)
    for name in ("analysis:dashboard", "analysis:explorer"):
        html = client.get(reverse(name, args=[project.pk])).content.decode()
        assert "Your last collection failed:</strong> " + UNREACHABLE in html, name
        assert "Nothing to chart yet" not in html and "No results collected yet" not in html
        assert f'action="{reverse("jobs:retry", args=[job.pk])}"' in html
        assert reverse("projects:target_edit", args=[project.pk, target.pk]) in html
        assert reverse("jobs:detail", args=[job.pk]) in html

    # A later clean job: the pages say what to do first again.
    finished_job(project, [(JobStatus.COMPLETED, "", 0)])
    dashboard = client.get(reverse("analysis:dashboard", args=[project.pk])).content.decode()
    assert "Your last collection failed" not in dashboard and "Nothing to chart yet" in dashboard


def test_a_partly_failed_last_job_says_how_many_targets_failed_and_names_the_api_keys_page(client, project):
    finished_job(project, [(JobStatus.COMPLETED, "", 0), (JobStatus.FAILED, google.MISSING_KEY, 0)])
    html = client.get(reverse("analysis:explorer", args=[project.pk])).content.decode()
    assert "Your last collection failed for 1 of 2 targets:" in html
    assert f'<a href="{reverse("accounts:api_keys")}">Open API keys</a>' in html
