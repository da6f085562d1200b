"""Signed webhook deliveries whose worker died: a claim killed mid-attempt, a queued message lost
with its worker, and the sweep that sends them on once their lease ran out.

A worker killed by the OOM killer runs no ``except`` clause and records nothing; here the POST
raises :class:`WorkerKilled` (a ``BaseException``, which the attempt's ``except`` clauses do not
catch) to leave the same state behind. A lost message is an attempt prepared and never queued.
The sweep takes its clock as an argument and the claim's and due times are set in the database,
so nothing waits for a lease to run out."""

import importlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notifications import delivery, leases, services, webhook_sweep
from notifications.alerts import stalled
from notifications.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from notifications.webhook_sweep import Swept
from sentimatrix.celery import app
from sentimatrix.mongo import collection
from tests.test_webhook_delivery import hook, logged, received
from tests.workers import WorkerKilled, die, eager_tasks

CLAIMED_AT = datetime(2030, 7, 17, 10, 0, tzinfo=UTC)
BODY = '{"type":"job.completed","data":{"n":1}}'


@pytest.fixture
def receivers(settings):
    """Tests' receivers listen on loopback over http."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_ALLOW_HTTP = True


def raw(pending: WebhookDelivery) -> dict:
    return collection("webhook_deliveries").find_one({"_id": pending.pk})


def killed_attempt(pending: WebhookDelivery, number: int, monkeypatch) -> None:
    """Attempt ``number`` of ``pending`` whose worker dies while it posts."""
    with monkeypatch.context() as patch:
        patch.setattr(delivery, "post", die)
        with pytest.raises(WorkerKilled):
            delivery.attempt(pending.pk, number)


def dated_back(pending: WebhookDelivery, when: datetime = CLAIMED_AT) -> None:
    """Date the delivery as if it were queued, due and (if it was) claimed at ``when``."""
    values = {"created_at": when, "due_at": when}
    if raw(pending)["attempts"]:
        values["claimed_at"] = when
    collection("webhook_deliveries").update_one({"_id": pending.pk}, {"$set": values})


def others(webhook: Webhook, pending: WebhookDelivery) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(webhook=webhook).exclude(pk=pending.pk).order_by("created_at"))


def stale(when: datetime = CLAIMED_AT) -> datetime:
    """A moment just after the lease of a claim (or due time) at ``when`` ran out."""
    return when + leases.lease() + timedelta(seconds=1)


def test_a_killed_attempt_is_recorded_failed_and_the_next_one_sent_with_the_same_id(
    user, httpserver, receivers, eager, monkeypatch
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    webhook = hook(user, httpserver)
    pending = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)

    killed_attempt(pending, 1, monkeypatch)

    doc = raw(pending)
    assert (doc["status"], doc["attempts"]) == ("pending", 1) and doc["claimed_at"] >= doc["due_at"]
    # Attempt 1 again (its message delivered twice) is still refused by the claim.
    assert delivery.attempt(pending.pk, 1).status == "skipped"
    dated_back(pending)

    # Within the lease the claim may belong to a live worker: the sweep leaves it alone.
    lease_ends = CLAIMED_AT + leases.lease()
    assert webhook_sweep.sweep(now=lease_ends - timedelta(seconds=1)) == Swept()
    assert raw(pending)["status"] == "pending" and not httpserver.log

    assert webhook_sweep.sweep(now=lease_ends + timedelta(seconds=1)) == Swept(failed=1, retried=1)

    entry = logged(pending)
    assert (entry.status, entry.attempts, entry.error) == (
        "failed",
        1,
        "The worker stopped during this attempt.",
    )
    [following] = others(webhook, pending)
    assert (following.status, following.attempts, following.attempt_number) == ("success", 2, 2)
    # The receiver got the message with the webhook-id of the killed attempt: it can de-duplicate.
    [(headers, body)] = received(httpserver)
    assert body == BODY
    assert headers["Webhook-Id"] == doc["request"]["headers"]["webhook-id"]
    assert following.request.headers["webhook-id"] == headers["Webhook-Id"]
    # The endpoint's answer to the killed attempt is unknown: it counts for nothing.
    webhook.refresh_from_db()
    assert (webhook.stats.total_deliveries, webhook.stats.failed_deliveries) == (1, 0)
    assert webhook.consecutive_failures == 0
    assert webhook_sweep.sweep(now=lease_ends + timedelta(hours=1)) == Swept()


def test_a_retry_whose_message_was_lost_is_queued_again_and_sent(user, httpserver, receivers):
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("busy", status=503)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    webhook = hook(user, httpserver)
    pending = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)

    # Attempt 1 fails and prepares attempt 2; its message dies with the worker holding it.
    outcome = delivery.attempt(pending.pk, 1)
    following = WebhookDelivery.objects.get(pk=outcome.next_delivery_id)
    assert (following.attempt_number, following.retries, following.attempts) == (2, True, 0)
    assert following.due_at >= following.created_at + timedelta(seconds=outcome.delay - 1)
    dated_back(following)  # due at CLAIMED_AT

    # Not due yet, or due less than a lease ago: a live worker may still hold its message.
    assert webhook_sweep.sweep(now=CLAIMED_AT - timedelta(hours=1)) == Swept()
    assert webhook_sweep.sweep(now=stale() - timedelta(seconds=2)) == Swept()
    assert raw(following)["due_at"] == CLAIMED_AT and len(httpserver.log) == 1

    with eager_tasks():
        assert webhook_sweep.sweep(now=stale()) == Swept(requeued=1)

    following = logged(following)
    assert (following.status, following.attempts, following.error) == ("success", 2, "")
    (h1, _), (h2, b2) = received(httpserver)
    assert h1["Webhook-Id"] == h2["Webhook-Id"] and b2 == BODY
    assert others(webhook, pending) == [following]  # no further document


@pytest.mark.usefixtures("seed_clock")  # the clock, fixed and ticking: the claims are from now
def test_a_fresh_claim_and_a_retry_not_yet_due_are_left_alone(user, httpserver, receivers, monkeypatch):
    webhook = hook(user, httpserver)
    claimed = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    killed_attempt(claimed, 1, monkeypatch)
    later = logged(delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY, attempt_number=2, delay=3600))
    queued = []
    monkeypatch.setattr(delivery.deliver, "delay", lambda *args: queued.append(args))
    monkeypatch.setattr(delivery.deliver, "apply_async", lambda args, countdown: queued.append(args))

    # Swept a second after the claim (the claim is from now); the retry is due in
    # an hour, and a lease after it is not over either (the claim's is, by then).
    assert webhook_sweep.sweep(now=datetime.now(UTC) + timedelta(seconds=1)) == Swept()
    assert raw(claimed)["status"] == "pending" and queued == []
    assert webhook_sweep.sweep(now=later.due_at + leases.lease()) == Swept(failed=1, retried=1)
    assert (raw(claimed)["status"], raw(later)["status"], raw(later)["due_at"]) == (
        "failed",
        "pending",
        later.due_at,
    )
    assert len(queued) == 1 and not httpserver.log


def test_no_attempt_left_or_a_manual_send_is_failed_without_a_new_one(
    user, httpserver, receivers, monkeypatch, settings
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    webhook = hook(user, httpserver)
    last = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY, attempt_number=3)
    killed_attempt(last, 3, monkeypatch)
    manual = delivery.prepare(webhook, WebhookEvent.TEST, "{}", retries=False)
    killed_attempt(manual, 1, monkeypatch)
    dated_back(last)
    dated_back(manual)
    before = WebhookDelivery.objects.count()

    assert webhook_sweep.sweep(now=stale()) == Swept(failed=2)

    for pending in (last, manual):
        assert (logged(pending).status, logged(pending).error) == ("failed", webhook_sweep.STOPPED)
    assert WebhookDelivery.objects.count() == before
    assert not httpserver.log


def test_a_disabled_or_deleted_webhook_is_not_sent_to_again(user, httpserver, receivers, eager, monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    disabled = hook(user, httpserver)
    deleted = hook(user, httpserver, path="/other")
    dead = [delivery.prepare(w, WebhookEvent.JOB_COMPLETED, BODY) for w in (disabled, deleted)]
    for pending in dead:
        killed_attempt(pending, 1, monkeypatch)
    lost = [
        delivery.prepare(w, WebhookEvent.JOB_COMPLETED, BODY, attempt_number=2) for w in (disabled, deleted)
    ]
    for pending in dead + lost:
        dated_back(pending)
    Webhook.objects.filter(pk=disabled.pk).update(enabled=False)
    # Gone from under the deliveries (deleting a webhook through the product deletes its log too).
    collection("webhooks").delete_one({"_id": deleted.pk})

    assert webhook_sweep.sweep(now=stale()) == Swept(failed=2, requeued=2)

    assert {raw(p)["error"] for p in dead} == {webhook_sweep.STOPPED}
    assert [raw(p)["error"] for p in lost] == [
        "Not sent: the webhook is disabled.",
        "Not sent: the webhook was deleted.",
    ]
    assert {raw(p)["status"] for p in dead + lost} == {"failed"}
    assert collection("webhook_deliveries").count_documents({}) == 4 and not httpserver.log


@pytest.mark.usefixtures("seed_clock")  # the clock, fixed and ticking: the claims are from now
def test_two_sweeps_act_once_and_a_lost_requeue_is_queued_again_after_the_lease(
    user, httpserver, receivers, monkeypatch
):
    webhook = hook(user, httpserver)
    claimed = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    killed_attempt(claimed, 1, monkeypatch)
    lost = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY, attempt_number=4)
    # Dated from the clock: the next attempt the sweep prepares is due from it too.
    claimed_at = timezone.now().replace(microsecond=0) - leases.lease() - timedelta(minutes=1)
    dated_back(claimed, claimed_at)
    dated_back(lost, claimed_at)
    queued, delayed = [], []
    monkeypatch.setattr(delivery.deliver, "delay", lambda *args: queued.append(args))
    monkeypatch.setattr(delivery.deliver, "apply_async", lambda args, countdown: delayed.append(args))
    now = stale(claimed_at)
    # Two sweeps that read the deliveries at the same time, before either wrote.
    snapshot = list(collection("webhook_deliveries").find(webhook_sweep.stalled_query(now)))
    assert {doc["_id"] for doc in snapshot} == {claimed.pk, lost.pk}
    first, second = Swept(), Swept()

    for swept in (first, second):
        for doc in snapshot:
            webhook_sweep.sweep_delivery(doc, now, swept)
    assert webhook_sweep.sweep(now=now) == Swept()  # and a third one just after

    assert (first, second) == (Swept(failed=1, retried=1, requeued=1), Swept())
    [following] = [d for d in others(webhook, claimed) if d.pk != lost.pk]
    assert delayed == [(str(following.pk), 2, True)] and following.due_at > following.created_at
    assert queued == [(str(lost.pk), 4, True)]
    assert raw(lost)["due_at"] == now and raw(lost)["attempts"] == 0

    # The queued message is lost too: one lease later it is queued again; whichever copy runs
    # first claims the delivery, the other is refused.
    assert webhook_sweep.sweep(now=stale(now)) == Swept(requeued=1)
    assert queued == [(str(lost.pk), 4, True)] * 2
    assert not httpserver.log


def test_the_sweep_reads_the_partial_index_of_pending_deliveries_alone(
    user, httpserver, receivers, monkeypatch
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    webhook = hook(user, httpserver)
    done = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    assert delivery.attempt(done.pk, 1).status == "success"
    pending = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    killed_attempt(pending, 1, monkeypatch)
    dated_back(done)
    dated_back(pending)

    query = webhook_sweep.stalled_query(stale())
    assert [doc["_id"] for doc in collection("webhook_deliveries").find(query)] == [pending.pk]
    # Due long ago but claimed a moment ago (a backlog): found, and left to its live worker.
    collection("webhook_deliveries").update_one({"_id": pending.pk}, {"$set": {"claimed_at": stale()}})
    assert webhook_sweep.sweep(now=stale()) == Swept() and raw(pending)["status"] == "pending"
    plan = collection("webhook_deliveries").find(query).explain()["queryPlanner"]["winningPlan"]
    assert "deliveries_pending" in str(plan) and "COLLSCAN" not in str(plan)


def test_one_lease_for_alert_and_webhook_deliveries(settings):
    settings.CELERY_TASK_TIME_LIMIT = 600
    assert leases.lease() == timedelta(seconds=600 + leases.LEASE_MARGIN_SECONDS)
    assert stalled.lease is leases.lease and webhook_sweep.lease is leases.lease
    assert not webhook_sweep.is_stalled("pending", 1, CLAIMED_AT, CLAIMED_AT, CLAIMED_AT + leases.lease())
    assert webhook_sweep.is_stalled("pending", 1, CLAIMED_AT, CLAIMED_AT, stale())
    assert webhook_sweep.is_stalled("pending", 0, None, CLAIMED_AT, stale())
    # A claim is what counts once there is one; a finished delivery never stalls.
    assert not webhook_sweep.is_stalled("pending", 1, stale(), CLAIMED_AT, stale())
    assert not webhook_sweep.is_stalled("failed", 1, CLAIMED_AT, CLAIMED_AT, stale(stale()))


def test_queueing_records_the_attempt_its_retry_flag_and_due_time(user, httpserver, receivers, monkeypatch):
    queued = []
    monkeypatch.setattr(delivery.deliver, "delay", lambda *args: queued.append(args))
    webhook = hook(user, httpserver, events=[WebhookEvent.JOB_COMPLETED])

    manual = services.send_test(webhook)
    assert services.emit(user.pk, WebhookEvent.JOB_COMPLETED, {"type": "job.completed"}) == 1
    [automatic] = others(webhook, manual)

    assert (manual.attempt_number, manual.retries) == (1, False)
    assert (automatic.attempt_number, automatic.retries) == (1, True)
    manual = logged(manual)
    assert manual.due_at == manual.created_at and manual.claimed_at is None
    assert queued == [(str(manual.pk), 1, False), (str(automatic.pk), 1, True)]


@pytest.mark.usefixtures("seed_clock")  # the clock, fixed and ticking: the claims are from now
def test_the_deliveries_page_shows_a_pending_one_since_its_claim_and_a_stalled_one(
    owner, client, httpserver, receivers, monkeypatch
):
    webhook = hook(owner, httpserver)
    pending = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    killed_attempt(pending, 1, monkeypatch)
    url = reverse("webhooks:deliveries", args=[webhook.pk])

    page = client.get(url).content.decode()
    assert "pending since <time" in page and "Its worker stopped" not in page

    # The page reads the clock: the claim is dated one lease and a minute before it.
    dated_back(pending, timezone.now() - leases.lease() - timedelta(minutes=1))
    page = client.get(url).content.decode()
    assert "pending since <time" in page
    assert "Its worker stopped; taken up again within minutes." in page

    later = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY, attempt_number=2, delay=600)
    page = client.get(url).content.decode()
    assert page.count("Its worker stopped") == 1 and "pending, due <time" in page
    assert logged(later).status == DeliveryStatus.PENDING


def test_deliveries_queued_before_the_upgrade_are_dated_for_the_sweep(user, httpserver, receivers):
    webhook = hook(user, httpserver)
    queued = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    claimed = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, BODY)
    deliveries = collection("webhook_deliveries")
    deliveries.update_many({}, {"$set": {"due_at": None, "claimed_at": None, "attempt_number": 1}})
    deliveries.update_one({"_id": claimed.pk}, {"$set": {"attempts": 3}})
    migration = importlib.import_module("notifications.migrations.0007_webhook_delivery_claims")

    migration.date_pending_deliveries(None, SimpleNamespace(connection=connection))

    assert raw(queued)["due_at"] == raw(queued)["created_at"] and raw(queued)["claimed_at"] is None
    doc = raw(claimed)
    assert doc["due_at"] == doc["claimed_at"] == doc["created_at"] and doc["attempt_number"] == 3


def test_beat_sweeps_stalled_webhook_deliveries_on_the_webhooks_queue(settings):
    name = "webhooks.sweep_stalled_deliveries"
    assert name in app.tasks
    assert app.amqp.router.route({}, name, (), {})["queue"].name == "webhooks"
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stalled-webhook-deliveries"]
    assert entry == {"task": name, "schedule": 300.0}
    assert entry["schedule"] == settings.CELERY_BEAT_SCHEDULE["sweep-stalled-alert-deliveries"]["schedule"]


def test_the_sweep_task_reports_what_it_did(db):
    assert webhook_sweep.sweep_stalled_deliveries() == {"failed": 0, "retried": 0, "requeued": 0}
