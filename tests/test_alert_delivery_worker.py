"""The whole chain on a real worker that listens only on the ``webhooks`` queue: detection sends
``notifications.deliver_alert`` by name, the channels run as their own tasks, a failing chat
webhook is retried with the webhooks' backoff while the other chat and the email are delivered."""

import time

import pytest

from notifications.alerts import chat
from sentimatrix.celery import app
from sentimatrix.tasks import worker_ping
from tests.factories import make_user
from tests.test_alert_delivery import deliveries_of, make_alert
from tests.workers import WorkerProcess, wait_for


@pytest.fixture(scope="module")
def alert_worker(django_db_setup, django_db_blocker, output_dir, tmp_path_factory):
    """A real worker on the webhooks queue alone, with a short backoff (0.3 s, x2), three
    attempts, loopback receivers over http, and a file mailbox."""
    mail_dir = tmp_path_factory.mktemp("alert-mail")
    with django_db_blocker.unblock():
        worker = WorkerProcess(
            output_dir / "worker-alerts.log",
            concurrency=1,
            queues="webhooks",
            WEBHOOKS_RETRY_BASE_MS="300",
            WEBHOOKS_RETRY_FACTOR="2",
            WEBHOOKS_MAX_ATTEMPTS="3",
            WEBHOOKS_ALLOW_LOOPBACK="1",
            WEBHOOKS_ALLOW_HTTP="1",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
        )
        try:
            # Ready when it answers a ping sent to the one queue it listens on.
            ping = worker_ping.apply_async(("alert-worker-ready",), queue="webhooks")
            wait_for(ping.ready, timeout=90)
            worker.mail_dir = mail_dir
            yield worker
        finally:
            worker.kill()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_alert_sent_by_name_reaches_every_channel_and_the_failing_one_is_retried(alert_worker, httpserver):
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    httpserver.expect_request("/chat").respond_with_data("ok")
    broken, working = httpserver.url_for("/broken"), httpserver.url_for("/chat")
    alert = make_alert(make_user(), urls=[broken, working])

    app.send_task("notifications.deliver_alert", args=[str(alert.pk)])

    wait_for(
        lambda: deliveries_of(alert).get(chat.channel_key(broken), {}).get("status") == "failed", timeout=90
    )
    recorded = deliveries_of(alert)
    assert recorded[chat.channel_key(broken)]["attempts"] == 3
    assert recorded[chat.channel_key(working)]["status"] == "sent"
    assert recorded["email"]["status"] == "sent" and len(list(alert_worker.mail_dir.iterdir())) == 1
    time.sleep(1.5)  # long enough for a fourth attempt, were one queued
    paths = [request.path for request, _ in httpserver.log]
    assert paths.count("/broken") == 3 and paths.count("/chat") == 1
