"""The AI summary of an LLM-analysed project is written by the ``analysis.refresh_insights`` task,
never inside a page or API request: reads get the extractive summary (the abstract marked as
coming) or the previous one marked stale; requests for the task within the refresh interval
send one; the task is harmless to run again. Real database, fake LLM provider, and once the
real worker."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from analysis import insights_cache, pipeline
from analysis.tasks import refresh_insights
from sentimatrix.celery import app as celery_app
from sentimatrix.mongo import collection
from tests.api_helpers import api_client, make_token
from tests.factories import make_user
from tests.fake_llm import FakeLLM
from tests.results_seed import seed
from tests.test_project_insights_llm import KEY, MODELS, TEXTS, grounded, llm_stats, use_llm
from tests.workers import wait_for

PENDING_NOTE = "AI summary is being written…"
STALE_NOTE = "newer results are being taken into account"


@pytest.fixture
def fake(httpserver, settings):
    fake = FakeLLM(httpserver, api_key=KEY)
    settings.PROVIDER_BASE_URLS = {**settings.PROVIDER_BASE_URLS, "openai": fake.openai_base_url}
    settings.LLM_MAX_RETRIES = 0
    fake.default = grounded
    return fake


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=len(TEXTS), texts=TEXTS)


def intercept_refresh(monkeypatch, send) -> None:
    """Hand every ``analysis.refresh_insights`` sent by name to ``send(project_id)`` instead of
    the broker; other tasks are sent as usual."""
    send_task = celery_app.send_task

    def sending(name, args=None, kwargs=None, **options):
        if name == "analysis.refresh_insights":
            return send(*args)
        return send_task(name, args, kwargs, **options)

    monkeypatch.setattr(celery_app, "send_task", sending)


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The project ids the refresh task was sent for; that task never reaches the broker."""
    ids: list[str] = []
    intercept_refresh(monkeypatch, ids.append)
    return ids


def stored(project_id, target_id=None) -> dict:
    return collection(insights_cache.COLLECTION).find_one(
        {"_id": insights_cache.cache_key(project_id, target_id)}
    )


def page(client, name: str, project) -> str:
    response = client.get(reverse(f"analysis:{name}", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_pages_of_an_llm_project_ask_no_llm_and_send_the_task_once(seeded, fake, sent, client):
    project = use_llm(seeded.project)
    client.force_login(project.user)
    html = page(client, "dashboard", project)
    assert fake.calls == []
    assert PENDING_NOTE in html and "great puzzles" in html.lower()  # the extractive part is there
    summary = stored(project.pk)["summary"]
    assert summary["abstract_pending"] is True and "abstract" not in summary and summary["pros"]
    for name in ("report", "compare"):
        page(client, name, project)
    assert fake.calls == [] and sent == [str(project.pk)]  # one task for every read of the interval
    assert stored(project.pk, seeded.targets[0].pk)["summary"]["abstract_pending"] is True


def test_a_read_after_new_analyses_gets_the_previous_abstract_marked_stale(seeded, fake, sent, client):
    project = use_llm(seeded.project)
    refresh_insights(str(project.pk))
    assert len(fake.calls) == 1 and sent == []
    before = stored(project.pk)["summary"]["abstract"]
    pipeline.set_excluded(seeded.docs[0]["_id"], True)  # moves the project's stamp

    client.force_login(project.user)
    html = page(client, "dashboard", project)
    assert len(fake.calls) == 1 and sent == [str(project.pk)]
    assert STALE_NOTE in html and "Players praise the puzzles" in html and PENDING_NOTE not in html
    read = insights_cache.get_insights(project.pk)
    assert read["stale"] and read["summary"]["abstract"]["input_sha"] == before["input_sha"]


def test_a_local_project_still_refreshes_on_read_and_sends_nothing(seeded, fake, sent, client):
    client.force_login(seeded.project.user)
    html = page(client, "dashboard", seeded.project)
    assert fake.calls == [] and sent == [] and PENDING_NOTE not in html
    summary = stored(seeded.project.pk)["summary"]
    assert "abstract_pending" not in summary and summary["pros"]


def test_the_task_writes_the_abstracts_and_running_it_twice_is_harmless(seeded, fake, sent, client):
    project = use_llm(seeded.project)
    client.force_login(project.user)
    page(client, "compare", project)  # caches the compared targets, their abstracts pending
    compared = [t.pk for t in seeded.targets if stored(project.pk, t.pk)]
    assert len(compared) >= 2

    assert refresh_insights(str(project.pk)) == 1 + len(compared)
    assert len(fake.calls) == 1 + len(compared)
    summary = stored(project.pk)["summary"]
    assert summary["abstract"]["model"] == MODELS["openai"] and "abstract_pending" not in summary
    for target_id in compared:
        assert stored(project.pk, target_id)["summary"]["abstract"]["overview"]
    spent = llm_stats(project)

    # Again, as after a redelivered message: same prompts, so no request and nothing charged.
    assert refresh_insights(str(project.pk)) == 1  # the targets are current
    assert len(fake.calls) == 1 + len(compared) and llm_stats(project) == spent
    assert stored(project.pk)["summary"]["abstract"] == summary["abstract"]
    html = page(client, "dashboard", project)
    assert "Players praise the puzzles" in html and PENDING_NOTE not in html and STALE_NOTE not in html

    # A project deleted before its task ran: nothing to do, nothing written.
    collection("projects").delete_one({"_id": project.pk})
    collection(insights_cache.COLLECTION).delete_many({"project_id": project.pk})
    assert refresh_insights(str(project.pk)) == 0 and stored(project.pk) is None


def test_requests_within_the_refresh_interval_send_one_task(seeded, sent):
    now = datetime.now(UTC)
    assert insights_cache.request_refresh(seeded.project.pk, now=now)
    assert not insights_cache.request_refresh(seeded.project.pk, now=now + timedelta(seconds=1))
    assert sent == [str(seeded.project.pk)]
    claimed = stored(seeded.project.pk)[insights_cache.CLAIM_FIELD]
    assert abs((claimed - now).total_seconds() - insights_cache.REFRESH_SECONDS) < 0.01
    # The claim alone is no summary: a read still computes one.
    assert insights_cache.get_insights(seeded.project.pk)["summary"]["pros"]
    later = now + timedelta(seconds=insights_cache.REFRESH_SECONDS + 1)
    assert insights_cache.request_refresh(seeded.project.pk, now=later)
    assert sent == [str(seeded.project.pk)] * 2


def test_a_task_that_cannot_be_sent_frees_the_claim(seeded, monkeypatch):
    def broker_down(project_id):
        raise ConnectionError("broker unreachable")

    intercept_refresh(monkeypatch, broker_down)
    assert not insights_cache.request_refresh(seeded.project.pk)
    assert insights_cache.claim_refresh(seeded.project.pk)


def test_analysis_batches_of_an_llm_project_send_one_refresh(seeded, fake, sent):
    project = use_llm(seeded.project)
    fake.default = "ok"  # the per-result answer
    ids = [d["_id"] for d in seeded.docs]
    assert pipeline.analyze_results(project.pk, ids[:4]) and pipeline.analyze_results(project.pk, ids[4:])
    assert sent == [str(project.pk)]
    assert all(not c.user.startswith("Insights: ") for c in fake.calls)  # no summary asked here

    local = seed(make_user(), count=4, texts=TEXTS[:4], name="Local project")
    assert pipeline.analyze_results(local.project.pk, [d["_id"] for d in local.docs])
    assert sent == [str(project.pk)]


def test_the_api_returns_the_abstract_or_why_there_is_none(seeded, fake, sent):
    project = use_llm(seeded.project)
    client = api_client(make_token(project.user))
    url = f"/api/v1/projects/{project.pk}/insights/"
    body = client.get(url).json()
    assert fake.calls == [] and body["summary"]["abstract_pending"] is True
    assert "abstract" not in body["summary"]

    fake.default = "malformed"
    refresh_insights(str(project.pk))
    body = client.get(url).json()
    assert "not a JSON object" in body["summary"]["abstract_error"] and "abstract" not in body["summary"]

    fake.default = grounded
    refresh_insights(str(project.pk))
    summary = client.get(url).json()["summary"]
    assert "abstract_error" not in summary and "abstract_pending" not in summary
    abstract = summary["abstract"]
    assert abstract["overview"].startswith("Players praise the puzzles")
    assert abstract["model"] == MODELS["openai"] and abstract["tokens"] > 0
    assert abstract["generated_at"].endswith("Z") and "input_sha" not in abstract
    own = {str(d["_id"]) for d in seeded.docs}
    for kind in ("pros", "cons", "topics"):
        for claim in abstract[kind]:
            assert set(claim["result_ids"]) <= own and claim["quotes"]
    assert abstract["topics"][0]["sentiment"] == 0.6


# --- on the real worker (kept last: the worker takes every task sent while it runs) ---------


@pytest.fixture(scope="module")
def llm_worker(make_httpserver, request):
    """The module's worker, started with the fake provider (on the test HTTP server) as OpenAI."""
    previous = os.environ.get("OPENAI_BASE_URL")
    os.environ["OPENAI_BASE_URL"] = make_httpserver.url_for("/v1")
    try:
        yield request.getfixturevalue("celery_worker_process")
    finally:
        if previous is None:
            os.environ.pop("OPENAI_BASE_URL", None)
        else:
            os.environ["OPENAI_BASE_URL"] = previous


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_the_abstract_once_for_requests_within_the_interval(
    llm_worker, seeded, fake, client
):
    project = use_llm(seeded.project)
    client.force_login(project.user)
    assert PENDING_NOTE in page(client, "dashboard", project)  # sends the task
    assert not insights_cache.request_refresh(project.pk)  # within the interval: not sent again

    def written():
        return (stored(project.pk)["summary"].get("abstract") or {}).get("overview")

    assert wait_for(written, timeout=60).startswith("Players praise the puzzles")
    time.sleep(1)  # room for a second task, were one sent
    assert [c.user.startswith("Insights: ") for c in fake.calls] == [True]
    html = page(client, "dashboard", project)
    assert "Players praise the puzzles" in html and PENDING_NOTE not in html
