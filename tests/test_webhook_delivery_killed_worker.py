"""A real worker SIGKILLed (as the OOM killer does) while it posts a signed webhook: its claim
stays behind, the broker message is gone with the worker, and the stalled-delivery sweep records
the attempt failed and sends the next one, with the same ``webhook-id``, once the lease ran out."""

import threading
from datetime import timedelta

import pytest
from werkzeug.wrappers import Response

from notifications import delivery, leases, services, webhook_sweep
from notifications.models import WebhookDelivery, WebhookEvent
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.workers import eager_tasks, loopback_webhooks_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_post_leaves_a_claim_the_sweep_sends_on(output_dir, httpserver, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = settings.WEBHOOKS_ALLOW_HTTP = True
    arrived, release = threading.Event(), threading.Event()
    posts = []

    def receive(request):
        posts.append((request.headers.get("webhook-id"), request.get_data(as_text=True)))
        if len(posts) == 1:  # the worker's attempt: held until the worker is dead
            arrived.set()
            release.wait(60)
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    webhook = services.create_webhook(
        make_user(), url=httpserver.url_for("/hook"), events=[WebhookEvent.JOB_COMPLETED]
    ).webhook
    pending = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, '{"type":"job.completed"}')
    worker = loopback_webhooks_worker(output_dir / "worker-webhook-killed.log")
    try:
        delivery.enqueue(pending)
        assert arrived.wait(60), worker.log()
    finally:
        worker.kill()
        release.set()

    doc = collection("webhook_deliveries").find_one({"_id": pending.pk})
    assert (doc["status"], doc["attempts"]) == ("pending", 1) and len(posts) == 1
    claimed = doc["claimed_at"]
    assert webhook_sweep.sweep(now=claimed + timedelta(seconds=30)) == webhook_sweep.Swept()
    # The next attempt runs here, in the test, rather than on another worker.
    with eager_tasks():
        swept = webhook_sweep.sweep(now=claimed + leases.lease() + timedelta(seconds=1))

    assert swept == webhook_sweep.Swept(failed=1, retried=1)
    killed = WebhookDelivery.objects.get(pk=pending.pk)
    assert (killed.status, killed.error) == ("failed", webhook_sweep.STOPPED)
    [following] = WebhookDelivery.objects.filter(webhook=webhook).exclude(pk=pending.pk)
    assert (following.status, following.attempts) == ("success", 2) and len(posts) == 2
    # Both POSTs carried one webhook-id: the receiver can tell the second is the same message.
    assert posts[0] == posts[1] and posts[0][0] == doc["request"]["headers"]["webhook-id"]
