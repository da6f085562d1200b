"""On-demand re-analysis: estimate, confirmation, progress, statistics that move, not double."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import vault
from analysis import stats
from projects.models import Project
from sentimatrix.mongo import collection
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _seeded_project():
    call_command("seed_test_data", "--users", "1", "--projects", "1", "--results", "40")
    return Project.objects.get()


def test_reanalyse_runs_on_the_worker_with_progress_and_moves_statistics(client, celery_worker_process):
    project = _seeded_project()
    before = collection("projects").find_one({"_id": project.pk})["stats"]["sentiment_count"]
    client.force_login(project.user)
    page = client.get(reverse("analysis:reanalyse", args=[project.pk]))
    assert page.status_code == 200 and b"local engine" in page.content
    collection("projects").update_one({"_id": project.pk}, {"$set": {"config.analysis.sentiment_classes": 5}})
    response = client.post(reverse("analysis:reanalyse", args=[project.pk]))
    assert response.status_code == 302
    run = wait_for(
        lambda: (
            (r := collection("analysis_runs").find_one({"project_id": project.pk}))
            and r["status"] == "completed"
            and r
        )
    )
    assert run["done"] == run["total"] == 40
    partial = client.get(reverse("analysis:reanalyse", args=[project.pk]), HTTP_HX_REQUEST="true")
    assert b'value="100"' in partial.content
    labels = collection("results").distinct("analysis.sentiment.label", {"project_id": project.pk})
    assert set(labels) <= {"very_positive", "positive", "neutral", "negative", "very_negative"}
    assert collection("projects").find_one({"_id": project.pk})["stats"]["sentiment_count"] == before
    assert stats.rebuild(project.pk) == {}


def test_llm_reanalysis_of_many_results_asks_to_confirm_the_estimated_cost(client):
    project = _seeded_project()
    key = vault.store_key(
        project.user, provider="openai", name="OpenAI", plaintext="sk-test-0000000000000001"
    )
    collection("projects").update_one(
        {"_id": project.pk},
        {
            "$set": {
                "config.llm.provider": "openai",
                "config.llm.model": "gpt-4o-mini",
                "config.llm.api_key_id": key.pk,
            }
        },
    )
    # Enough results that an LLM run needs the analyst's go-ahead.
    collection("results").insert_many(
        [
            {"project_id": project.pk, "user_id": project.user_id, "excluded": False,
             "content": {"text": f"extra review {i} with some words", "platform_id": f"x{i}"}}
            for i in range(80)
        ]
    )  # fmt: skip
    client.force_login(project.user)
    page = client.get(reverse("analysis:reanalyse", args=[project.pk]))
    assert b"gpt-4o-mini" in page.content and b"I accept the estimated cost" in page.content
    response = client.post(reverse("analysis:reanalyse", args=[project.pk]), follow=True)
    assert b"Confirm the estimated cost" in response.content
    assert collection("analysis_runs").count_documents({"project_id": project.pk}) == 0
