"""Webhooks and email notifications are their own app: the models moved from scraping keep their
collections, a database migrated before the move keeps its webhooks and deliveries, the content
types that named them follow, and the task names stored in beat or queued before keep working."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Webhook, WebhookDelivery
from sentimatrix.celery import app as celery_app
from sentimatrix.mongo import collection
from tests.factories import make_user

BEFORE_THE_MOVE = [("scraping", "0003_webhook_test_event"), ("notifications", None)]


def test_the_models_are_the_notifications_apps_and_keep_their_collections():
    assert (Webhook._meta.app_label, Webhook._meta.db_table) == ("notifications", "webhooks")
    assert (WebhookDelivery._meta.app_label, WebhookDelivery._meta.db_table) == (
        "notifications",
        "webhook_deliveries",
    )


def test_task_names_from_before_the_move_are_registered():
    # Beat's schedule sends the digest as projects.weekly_digest; queued messages name the rest.
    celery_app.loader.import_default_modules()
    for name in (
        "projects.weekly_digest",
        "projects.run_schedule",
        "webhooks.deliver",
        "webhooks.email_job_failed",
        "webhooks.email_webhook_disabled",
        "webhooks.email_weekly_digest",
    ):
        assert name in celery_app.tasks


@pytest.mark.django_db
def test_a_database_from_before_the_move_keeps_its_webhooks_and_their_content_types():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE_THE_MOVE)
    try:
        # What a database migrated before the move holds: rows in the same collections, and
        # content types naming the models under scraping.
        user = make_user()
        webhook_id = collection("webhooks").insert_one(
            {"user_id": user.pk, "url": "https://hooks.example.org/in", "events": ["job.failed"],
             "label": "Ops", "enabled": True, "consecutive_failures": 0, "disabled_reason": ""}
        ).inserted_id  # fmt: skip
        collection("webhook_deliveries").insert_one(
            {"webhook_id": webhook_id, "user_id": user.pk, "event": "job.failed", "status": "success",
             "error": "", "attempts": 1}
        )  # fmt: skip
        ContentType.objects.filter(model__in=["webhook", "webhookdelivery"]).delete()
        for model in ("webhook", "webhookdelivery"):
            ContentType.objects.create(app_label="scraping", model=model)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    webhook = Webhook.objects.get(pk=webhook_id)
    assert (webhook.label, webhook.user_id, webhook.events) == ("Ops", user.pk, ["job.failed"])
    assert WebhookDelivery.objects.get(webhook=webhook).status == "success"
    moved = ContentType.objects.filter(model__in=["webhook", "webhookdelivery"])
    assert sorted(moved.values_list("app_label", "model")) == [
        ("notifications", "webhook"),
        ("notifications", "webhookdelivery"),
    ]
    assert ContentType.objects.get_for_model(Webhook).app_label == "notifications"
