"""One refusal base, one ownership check, audit recorded by the services: a refusal reaches
the page and the API as the service wrote it, and a change is logged once, whoever asked."""

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from accounts.usage import PlanLimitReached
from analysis.reanalysis import ReanalysisRefused
from api.tokens import TokenRefused
from notifications import services as webhook_services
from notifications.models import Webhook
from projects.services import ActionRefused
from scraping import jobs
from scraping.jobs import JobRefused
from sentimatrix.mongo import collection
from sentimatrix.refusals import Refused
from tests.factories import make_project, make_user
from tests.page_helpers import add_target, messages_of

PUBLIC_URL = "https://93.184.215.14/hooks/sentimatrix"
STEAM = "https://store.steampowered.com/app/570/"


def test_every_refusal_a_user_reads_has_one_base():
    for cls in (ActionRefused, JobRefused, TokenRefused, PlanLimitReached, ReanalysisRefused):
        refusal = cls("Not now.", field="name")
        assert isinstance(refusal, Refused)
        assert (refusal.message, refusal.field, str(refusal)) == ("Not now.", "name", "Not now.")


@pytest.mark.django_db
def test_a_plan_limit_reaches_the_page_unwrapped_and_frees_the_project(client):
    owner = make_user()
    client.force_login(owner)
    project = make_project(owner)
    add_target(project, STEAM, STEAM)
    limit = owner.get_plan().scrapes_per_month
    collection("users").update_one({"_id": owner.pk}, {"$set": {"usage.scrapes_this_month": limit}})

    with pytest.raises(PlanLimitReached) as refused:
        jobs.run_project(project, user=owner)
    assert collection("projects").find_one({"_id": project.pk})["running_job_id"] is None

    response = client.post(reverse("jobs:run", args=[project.pk]), follow=True)
    assert messages_of(response) == [refused.value.message]
    assert "plan allows" in refused.value.message


@pytest.mark.django_db
def test_a_webhook_change_is_logged_once_by_the_page_and_by_the_api(client):
    owner = make_user()
    client.force_login(owner)
    client.post(
        reverse("webhooks:create"),
        {"url": PUBLIC_URL, "events": ["job.completed"], "secret_mode": "generate", "enabled": "on"},
    )
    from_page = str(Webhook.objects.get(user=owner).pk)
    client.post(reverse("webhooks:delete", args=[from_page]))

    saved = webhook_services.create_webhook(owner, url=PUBLIC_URL, events=["job.completed"])
    from_service = str(saved.webhook.pk)
    webhook_services.delete_webhook(saved.webhook)

    for event in ("webhook.create", "webhook.delete"):
        entries = AuditLog.objects.filter(event_type=event, user=owner)
        assert sorted(e.metadata["webhook"] for e in entries) == sorted([from_page, from_service])
    page_entry = AuditLog.objects.get(event_type="webhook.create", metadata__webhook=from_page)
    assert page_entry.ip_address  # the page's request gave its address
