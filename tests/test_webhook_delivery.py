"""Webhook deliveries against local HTTP receivers: signatures as a receiver checks them,
status handling, retries, auto-disable, redelivery, DNS rebinding, and job events."""

import itertools
import json
import time
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from standardwebhooks.webhooks import Webhook as Receiver
from werkzeug import Response

from accounts.models import AuditLog
from notifications import delivery, services, vault
from notifications.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from notifications.services import SecretMode
from scraping import jobs
from scraping.models import JobStats, JobStatus, JobTarget, ScrapeJob
from tests.factories import add_steam_target, make_project, make_user
from tests.workers import WorkerProcess, wait_for

EVENTS = [WebhookEvent.JOB_COMPLETED, WebhookEvent.JOB_FAILED, WebhookEvent.RESULTS_NEW]


@pytest.fixture
def local_receivers(settings):
    """Tests' receivers listen on loopback over http."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_ALLOW_HTTP = True


def hook(user, httpserver, path="/hook", **kwargs):
    kwargs.setdefault("events", EVENTS)
    return services.create_webhook(user, url=httpserver.url_for(path), **kwargs).webhook


def received(httpserver):
    """(headers, body) of every request the receiver got."""
    return [(dict(request.headers), request.get_data(as_text=True)) for request, _ in httpserver.log]


def send(webhook, event=WebhookEvent.TEST, body='{"type":"test"}', attempt=1, retries=True):
    pending = delivery.prepare(webhook, event, body)
    return pending, delivery.attempt(pending.pk, attempt, retries=retries)


def logged(pending) -> WebhookDelivery:
    return WebhookDelivery.objects.get(pk=pending.pk)


# --- one attempt ----------------------------------------------------------------------------------


def test_a_2xx_answer_is_delivered_signed_as_standard_webhooks_receivers_verify(
    user, httpserver, local_receivers
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks", status=202)
    webhook = hook(user, httpserver)

    pending, outcome = send(webhook, body='{"type":"test","data":{"n":1}}')

    assert outcome.status == "success" and outcome.next_delivery_id is None
    [(headers, body)] = received(httpserver)
    assert Receiver(vault.reveal(webhook)).verify(body, headers) == {"type": "test", "data": {"n": 1}}
    assert headers["Content-Type"] == "application/json"
    entry = logged(pending)
    assert entry.status == DeliveryStatus.SUCCESS and entry.attempts == 1 and entry.delivered_at
    assert (entry.response.status_code, entry.response.body) == (202, "thanks")
    assert entry.response.time_ms is not None and entry.request.headers["webhook-id"] == headers["Webhook-Id"]
    webhook.refresh_from_db()
    assert (webhook.stats.total_deliveries, webhook.stats.successful_deliveries) == (1, 1)
    assert webhook.stats.last_status == "success" and webhook.consecutive_failures == 0
    # A second run of the same task sends nothing.
    assert delivery.attempt(pending.pk, 1).status == "skipped" and len(httpserver.log) == 1


def test_unsigned_webhooks_send_id_and_timestamp_only(user, httpserver, local_receivers):
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    webhook = hook(user, httpserver, secret_mode=SecretMode.NONE)
    send(webhook)
    [(headers, _)] = received(httpserver)
    assert "Webhook-Id" in headers and "Webhook-Timestamp" in headers and "Webhook-Signature" not in headers


def test_a_redirect_is_a_failure_and_is_not_followed(user, httpserver, local_receivers):
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    httpserver.expect_request("/elsewhere").respond_with_data("should never be reached")
    webhook = hook(user, httpserver)

    pending, outcome = send(webhook)

    assert outcome.status == "failed" and outcome.next_delivery_id is not None
    assert [request.path for request, _ in httpserver.log] == ["/hook"]
    entry = logged(pending)
    assert entry.status == DeliveryStatus.FAILED and entry.response.status_code == 302
    assert "redirects are not followed" in entry.error


def test_410_gone_disables_the_webhook_at_once(user, httpserver, local_receivers, eager, mailoutbox):
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    webhook = hook(user, httpserver)

    _pending, outcome = send(webhook)

    assert outcome.status == "failed" and outcome.disabled and outcome.next_delivery_id is None
    webhook.refresh_from_db()
    assert not webhook.enabled and "410" in webhook.disabled_reason and webhook.consecutive_failures == 1
    assert AuditLog.objects.filter(user=user, event_type="webhook.disabled").exists()
    [mail] = mailoutbox
    assert "was disabled" in mail.subject and "410 Gone" in mail.body and mail.to == [user.email]


def test_429_retry_after_delays_the_next_attempt_which_keeps_the_message_id(
    user, httpserver, local_receivers
):
    httpserver.expect_request("/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    webhook = hook(user, httpserver)

    pending, outcome = send(webhook)

    assert outcome.status == "failed" and outcome.delay >= 120
    following = WebhookDelivery.objects.get(pk=outcome.next_delivery_id)
    assert following.status == DeliveryStatus.PENDING and following.attempts == 0
    assert following.request.headers["webhook-id"] == logged(pending).request.headers["webhook-id"]
    assert following.request.body == logged(pending).request.body


def test_each_retry_has_the_same_id_and_a_fresh_timestamp_and_signature(user, httpserver, local_receivers):
    httpserver.expect_request("/hook").respond_with_data("oops", status=500)
    webhook = hook(user, httpserver)
    _pending, first = send(webhook)
    time.sleep(1.05)  # timestamps are whole seconds
    second = delivery.attempt(first.next_delivery_id, 2)

    assert second.status == "failed"
    (h1, b1), (h2, b2) = received(httpserver)
    assert h1["Webhook-Id"] == h2["Webhook-Id"] and b1 == b2
    assert int(h2["Webhook-Timestamp"]) > int(h1["Webhook-Timestamp"])
    assert h1["Webhook-Signature"] != h2["Webhook-Signature"]
    secret = vault.reveal(webhook)
    assert Receiver(secret).verify(b1, h1) and Receiver(secret).verify(b2, h2)


def test_no_retry_after_the_last_attempt_or_for_manual_sends(user, httpserver, local_receivers, settings):
    httpserver.expect_request("/hook").respond_with_data("oops", status=503)
    webhook = hook(user, httpserver)
    assert send(webhook, attempt=settings.WEBHOOKS_MAX_ATTEMPTS)[1].next_delivery_id is None
    assert send(webhook, retries=False)[1].next_delivery_id is None


def test_backoff_grows_exponentially_with_bounded_jitter(settings):
    settings.WEBHOOKS_RETRY_BASE_MS, settings.WEBHOOKS_RETRY_FACTOR = 90_000, 3
    low = [delivery.retry_delay(n, rng=lambda a, b: a) for n in range(1, 5)]
    high = [delivery.retry_delay(n, rng=lambda a, b: b) for n in range(1, 5)]
    assert all(b == pytest.approx(a * 3) for a, b in itertools.pairwise(low))
    assert high[0] / low[0] == pytest.approx(1.5)
    # Five attempts take about an hour.
    assert sum(low) > 2400 and sum(high) < 4500
    assert delivery.retry_delay(1, retry_after=600.0, rng=lambda a, b: 1.0) == 600.0
    assert (
        delivery.retry_delay(1, retry_after=10**6, rng=lambda a, b: 1.0) == settings.WEBHOOKS_MAX_RETRY_AFTER
    )


def test_slow_receivers_time_out_and_big_answers_are_cut(user, httpserver, local_receivers, settings):
    settings.WEBHOOKS_TIMEOUT = 1
    settings.WEBHOOKS_RESPONSE_EXCERPT_BYTES = 100
    httpserver.expect_request("/slow").respond_with_handler(lambda request: time.sleep(2) or Response("late"))
    httpserver.expect_request("/big").respond_with_data("x" * 10_000)

    pending, outcome = send(hook(user, httpserver, "/slow"))
    entry = logged(pending)
    assert outcome.status == "failed" and entry.error == "timed out"
    assert 900 <= entry.response.time_ms < 1900 and entry.response.status_code is None

    pending, outcome = send(hook(user, httpserver, "/big"))
    assert outcome.status == "success" and logged(pending).response.body == "x" * 100


def test_the_address_is_checked_again_at_delivery(user, httpserver, local_receivers, settings):
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = hook(user, httpserver)
    # Saved while loopback was allowed; now the name resolves to a refused address.
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    pending, outcome = send(webhook)

    assert outcome.status == "failed" and httpserver.log == []
    assert "refused" in logged(pending).error and "loopback" in logged(pending).error


def test_automatic_retries_stop_once_the_webhook_is_disabled(user, httpserver, local_receivers):
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = hook(user, httpserver)
    pending = delivery.prepare(webhook, WebhookEvent.JOB_COMPLETED, "{}")
    Webhook.objects.filter(pk=webhook.pk).update(enabled=False)

    assert delivery.attempt(pending.pk, 2).status == "skipped"
    assert httpserver.log == [] and "disabled" in logged(pending).error
    # A test from the button is still sent, so a fixed endpoint can be checked first.
    assert send(webhook, retries=False)[1].status == "success"


def test_send_test_and_redeliver_from_the_pages(client, user, httpserver, local_receivers, eager):
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    webhook = hook(user, httpserver)
    client.force_login(user)

    response = client.post(reverse("webhooks:test", args=[webhook.pk]), follow=True)
    assert response.status_code == 200
    [first] = WebhookDelivery.objects.filter(webhook=webhook)
    assert first.event == "test" and first.status == DeliveryStatus.FAILED and first.attempts == 1
    assert b"HTTP 500" in response.content

    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("back", status=200)
    client.post(reverse("webhooks:redeliver", args=[first.pk]))

    again = WebhookDelivery.objects.filter(webhook=webhook).exclude(pk=first.pk).get()
    assert again.status == DeliveryStatus.SUCCESS and again.request.body == first.request.body
    assert again.request.headers["webhook-id"] == first.request.headers["webhook-id"]
    [(headers, body)] = received(httpserver)
    assert json.loads(body)["type"] == "test" and Receiver(vault.reveal(webhook)).verify(body, headers)


# --- job events ----------------------------------------------------------------------------------


def _closed_job(project, status, results):
    """A one-target job whose target just ended, closed the way a worker closes it."""
    target = add_steam_target(project, 9001)
    job = ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.RUNNING,
        targets=[
            JobTarget(
                target_id=target.pk,
                status=status,
                error="HTTP 403" if status == "failed" else "",
                results_count=results,
            )
        ],
        stats=JobStats(targets_total=1, targets_completed=1, results_total=results),
    )
    assert jobs.finish_if_done(job.pk)  # announces it (scraping.signals.job_finished)
    return ScrapeJob.objects.get(pk=job.pk)


def test_a_completed_job_with_new_results_emits_both_events_to_subscribers_only(
    user, httpserver, local_receivers, eager
):
    httpserver.expect_request("/all").respond_with_data("ok")
    httpserver.expect_request("/failures").respond_with_data("ok")
    httpserver.expect_request("/other-user").respond_with_data("ok")
    hook(user, httpserver, "/all")
    hook(user, httpserver, "/failures", events=[WebhookEvent.JOB_FAILED])
    hook(make_user(), httpserver, "/other-user")
    project = make_project(user, name="Launch “2025”")

    job = _closed_job(project, JobStatus.COMPLETED, results=42)

    bodies = {json.loads(body)["type"]: json.loads(body) for _, body in received(httpserver)}
    assert [request.path for request, _ in httpserver.log] == ["/all", "/all"]
    assert set(bodies) == {"job.completed", "results.new"}
    data = bodies["job.completed"]["data"]
    assert data["job"]["id"] == str(job.pk) and data["job"]["status"] == "completed"
    assert data["job"]["results_total"] == 42 and data["results"]["new"] == 42
    assert data["project"] == {"id": str(project.pk), "name": "Launch “2025”"}
    assert set(data["sentiment"]) == {"analysed", "average", "distribution"}
    assert data["links"]["job"].endswith(f"/jobs/{job.pk}/") and str(project.pk) in data["links"]["project"]
    assert bodies["job.completed"]["timestamp"].endswith("Z")
    assert datetime.fromisoformat(data["job"]["completed_at"]) <= datetime.now(UTC)


def test_a_failed_job_emits_job_failed_only(user, httpserver, local_receivers, eager):
    httpserver.expect_request("/hook").respond_with_data("ok")
    hook(user, httpserver)
    _closed_job(make_project(user), JobStatus.FAILED, results=0)
    assert [json.loads(body)["type"] for _, body in received(httpserver)] == ["job.failed"]


def test_a_failing_webhook_does_not_break_the_others_or_the_job(user, httpserver, local_receivers, eager):
    httpserver.expect_request("/ok").respond_with_data("ok")
    broken = hook(user, httpserver, "/ok")
    working = hook(user, httpserver, "/ok")
    Webhook.objects.filter(pk=broken.pk).update(secret_key_id="no-such-key")  # cannot be decrypted

    job = _closed_job(make_project(user), JobStatus.COMPLETED, results=1)

    assert job.status == JobStatus.COMPLETED
    assert WebhookDelivery.objects.filter(webhook=working, status="success").count() == 2
    failed = WebhookDelivery.objects.filter(webhook=broken)
    assert failed.exists() and not failed.filter(status="success").exists()
    assert "signing secret cannot be decrypted" in failed.order_by("created_at").first().error
    jobs.announce_finished(ScrapeJob.objects.get(pk=job.pk).pk)  # safe to call again


# --- the whole chain on a real worker ---------------------------------------------------------


@pytest.fixture(scope="module")
def webhook_worker(django_db_setup, django_db_blocker, output_dir, tmp_path_factory):
    """A real worker with a short backoff (0.3 s, x2) and a file mailbox."""
    mail_dir = tmp_path_factory.mktemp("mail")
    with django_db_blocker.unblock():
        worker = WorkerProcess(
            output_dir / "worker-webhooks.log",
            WEBHOOKS_RETRY_BASE_MS="300",
            WEBHOOKS_RETRY_FACTOR="2",
            WEBHOOKS_ALLOW_LOOPBACK="1",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
        )
        try:
            worker.wait_ready()
            worker.mail_dir = mail_dir
            yield worker
        finally:
            worker.kill()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_failing_endpoint_gets_five_attempts_with_backoff_then_the_webhook_is_disabled(
    webhook_worker, httpserver, local_receivers
):
    arrivals = []
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: arrivals.append(time.monotonic()) or Response("broken", status=500)
    )
    user = make_user()
    webhook = hook(user, httpserver)

    queued = services.emit(user.pk, WebhookEvent.JOB_COMPLETED, {"type": "job.completed", "data": {}})

    assert queued == 1
    wait_for(lambda: not Webhook.objects.get(pk=webhook.pk).enabled, timeout=60)
    wait_for(lambda: list(webhook_worker.mail_dir.iterdir()), timeout=30)
    time.sleep(1.5)  # long enough for a sixth attempt, were one queued
    attempts = list(WebhookDelivery.objects.filter(webhook=webhook).order_by("attempts"))
    assert [a.attempts for a in attempts] == [1, 2, 3, 4, 5]
    assert all(a.status == DeliveryStatus.FAILED and a.response.status_code == 500 for a in attempts)
    assert len({a.request.headers["webhook-id"] for a in attempts}) == 1
    requests = received(httpserver)
    assert len(requests) == 5 and len({headers["Webhook-Id"] for headers, _ in requests}) == 1
    # Each wait lasted at least its backoff, 0.3 s x 2^n -20 % (the broker's polling adds
    # up to a second or two on top, so the exact growth is checked in-process above).
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(gap >= 0.3 * 2**n * 0.8 for n, gap in enumerate(gaps)), gaps
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 5 and "5 deliveries in a row failed" in webhook.disabled_reason
    assert (webhook.stats.total_deliveries, webhook.stats.failed_deliveries) == (5, 5)
    [mail] = list(webhook_worker.mail_dir.iterdir())
    assert "was disabled" in mail.read_text() and user.email in mail.read_text()
