"""A real worker SIGKILLed (as the OOM killer does) while it posts an alert to a chat webhook: its
claim stays behind with the channel under way, the broker message is gone with the worker, and
the stalled-delivery sweep sends the alert on the next attempt once the claim's lease ran out."""

import threading
from datetime import datetime, timedelta

import pytest
from werkzeug.wrappers import Response

from notifications.alerts import chat, stalled
from sentimatrix.celery import app
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.test_alert_delivery import deliveries_of, make_alert
from tests.workers import eager_tasks, loopback_webhooks_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_a_claim_the_sweep_sends_on(output_dir, httpserver, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = settings.WEBHOOKS_ALLOW_HTTP = True
    arrived, release = threading.Event(), threading.Event()
    posts = []

    def receive(request):
        posts.append(request.get_data(as_text=True))
        if len(posts) == 1:  # the worker's attempt: held until the worker is dead
            arrived.set()
            release.wait(60)
        return Response("ok")

    httpserver.expect_request("/chat", method="POST").respond_with_handler(receive)
    url = httpserver.url_for("/chat")
    alert = make_alert(make_user(), urls=[url], email=False)
    key = chat.channel_key(url)
    worker = loopback_webhooks_worker(output_dir / "worker-alert-killed.log")
    try:
        app.send_task("notifications.deliver_alert", args=[str(alert.pk)])
        assert arrived.wait(60), worker.log()
    finally:
        worker.kill()
        release.set()

    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("sending", 1) and len(posts) == 1
    assert collection("alerts").find_one({"_id": alert.pk})["delivering"] == [key]

    claimed = datetime.fromisoformat(entry["claimed_at"])
    assert stalled.sweep(now=claimed + timedelta(seconds=30)) == stalled.Swept()
    # The next attempt runs here, in the test, rather than on another worker.
    with eager_tasks():
        assert stalled.sweep(now=claimed + stalled.lease() + timedelta(seconds=1)) == stalled.Swept(queued=1)

    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("sent", 2) and len(posts) == 2
    assert "Observed 41 vs baseline 12.4" in posts[1]
    assert collection("alerts").find_one({"_id": alert.pk})["delivering"] == []
