"""One answer to "does this project use an LLM?": a deleted key turns the engine, the settings
page, the re-analysis estimate and the insights' refresh back to the local engine together."""

import pytest
from django.urls import reverse

from accounts import vault
from accounts.models import ApiKey
from analysis import insights_cache, reanalysis
from analysis.engine.factory import engine_for_project
from analysis.engine.llm.engine import LLMEngine
from analysis.engine.local import LocalEngine
from projects.llm_usage import uses_llm
from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db


def answers(client, project):
    project.refresh_from_db()
    page = client.get(reverse("projects:edit", args=[project.pk]))
    engines = dict(page.context["engines"])
    return {
        "uses_llm": uses_llm(project),
        "engine": type(engine_for_project(project)),
        "estimate": reanalysis.estimate(project).engine,
        "refresh": insights_cache.uses_llm(project.pk),
        "page": engines["Other languages"],
    }


def test_a_deleted_key_means_the_local_engine_everywhere(client):
    owner = make_user()
    client.force_login(owner)
    project = make_project(owner)
    key = vault.store_key(owner, provider="openai", name="OpenAI", plaintext="sk-test-0000000000000001")
    project.config.llm.provider, project.config.llm.model = "openai", "gpt-4o-mini"
    project.config.llm.api_key_id = key.pk
    project.save()

    assert answers(client, project) == {
        "uses_llm": True,
        "engine": LLMEngine,
        "estimate": "gpt-4o-mini",
        "refresh": True,
        "page": "analysed by the LLM",
    }

    ApiKey.objects.filter(pk=key.pk).delete()
    assert answers(client, project) == {
        "uses_llm": False,
        "engine": LocalEngine,
        "estimate": "local",
        "refresh": False,
        "page": "left unanalysed and counted apart: choose an LLM to cover them",
    }


def test_a_key_of_another_user_is_not_used(client):
    owner, other = make_user(), make_user()
    client.force_login(owner)
    project = make_project(owner)
    theirs = vault.store_key(other, provider="openai", name="Theirs", plaintext="sk-test-0000000000000002")
    project.config.llm.provider, project.config.llm.model = "openai", "gpt-4o-mini"
    project.config.llm.api_key_id = theirs.pk
    project.save()
    assert answers(client, project)["uses_llm"] is False
