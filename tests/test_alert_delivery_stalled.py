"""Alert deliveries whose worker died mid-attempt: the claim's lease, and the sweep that sends
them on (or fails them with no attempt left, or puts a digest's alerts back) once it ran out.

A worker killed by the OOM killer runs no ``except`` clause and records nothing; here the send
raises :class:`WorkerKilled` (a ``BaseException``, which the delivery's ``except Exception``
does not catch) to leave the same state behind. The sweep takes its clock as an argument, and
the claim's time is set in the database, so nothing waits for a lease to run out."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AlertEmail
from notifications import delivery as webhook_delivery
from notifications import payloads
from notifications.alerts import chat, delivery, digest, mail, stalled
from notifications.models import Alert
from sentimatrix.celery import app
from sentimatrix.mongo import collection
from tests.test_alert_delivery import deliveries_of, make_alert
from tests.workers import WorkerKilled, die, eager_tasks

CLAIMED_AT = datetime(2030, 7, 17, 10, 0, tzinfo=UTC)
CLAIMED_ISO = "2030-07-17T10:00:00Z"


@pytest.fixture
def chat_receiver(settings, httpserver):
    """A chat incoming webhook on this machine (plain http on loopback, as tests allow)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.SITE_URL = "https://studio.example"
    return httpserver


def claimed_back(alert: Alert, channel: str, when: str = CLAIMED_ISO) -> None:
    """Date the channel's claim (or awaited retry) at ``when``, as if it were made then."""
    field = "next_attempt_at" if deliveries_of(alert)[channel]["status"] == "retrying" else "claimed_at"
    collection("alerts").update_one({"_id": alert.pk}, {"$set": {f"deliveries.{channel}.{field}": when}})


def delivering(alert: Alert) -> list[str]:
    return collection("alerts").find_one({"_id": alert.pk})["delivering"]


def killed_attempt(alert: Alert, channel: str, number: int, monkeypatch) -> None:
    """Attempt ``number`` on ``channel`` whose worker dies while it posts."""
    with monkeypatch.context() as patch:
        patch.setattr(webhook_delivery, "post", die)
        with pytest.raises(WorkerKilled):
            delivery.attempt(alert.pk, channel, number)


def test_a_killed_attempt_is_found_by_the_sweep_and_sent_on_the_next(user, chat_receiver, eager, monkeypatch):
    chat_receiver.expect_request("/chat", method="POST").respond_with_data("ok")
    url = chat_receiver.url_for("/chat")
    alert = make_alert(user, urls=[url], email=False)
    key = chat.channel_key(url)

    killed_attempt(alert, key, 1, monkeypatch)

    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("sending", 1) and entry["claimed_at"]
    assert delivering(alert) == [key]
    # Attempt 1 again (its message delivered twice) is still refused by the claim.
    assert delivery.attempt(alert.pk, key, 1).status == "skipped"
    claimed_back(alert, key)

    # Within the lease the claim may belong to a live worker: the sweep leaves it alone.
    lease_ends = CLAIMED_AT + stalled.lease()
    assert stalled.sweep(now=lease_ends - timedelta(seconds=1)) == stalled.Swept()
    assert deliveries_of(alert)[key]["status"] == "sending" and not chat_receiver.log

    assert stalled.sweep(now=lease_ends + timedelta(seconds=1)) == stalled.Swept(queued=1)

    [(request, _)] = chat_receiver.log
    assert "Observed 41 vs baseline 12.4" in request.get_data(as_text=True)
    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"], entry["error"]) == ("sent", 2, "")
    assert delivering(alert) == []
    assert stalled.sweep(now=lease_ends + timedelta(hours=1)) == stalled.Swept()


def test_the_sweep_reads_the_partial_index_alone(user, chat_receiver, monkeypatch):
    url = chat_receiver.url_for("/chat")
    make_alert(user, urls=[url], email=False, key="delivered")  # never sent: not in the index
    alert = make_alert(user, urls=[url], email=False)
    killed_attempt(alert, chat.channel_key(url), 1, monkeypatch)

    assert [doc["_id"] for doc in collection("alerts").find(stalled.UNDER_WAY)] == [alert.pk]
    plan = collection("alerts").find(stalled.UNDER_WAY).explain()["queryPlanner"]["winningPlan"]
    assert "alerts_delivering" in str(plan) and "COLLSCAN" not in str(plan)


def test_the_lease_is_the_tasks_hard_time_limit_and_a_margin(settings):
    settings.CELERY_TASK_TIME_LIMIT = 600
    assert stalled.lease() == timedelta(seconds=600 + stalled.LEASE_MARGIN_SECONDS)
    entry = {"status": "sending", "attempts": 1, "claimed_at": CLAIMED_ISO}
    assert not stalled.is_stalled(entry, CLAIMED_AT + stalled.lease())
    assert stalled.is_stalled(entry, CLAIMED_AT + stalled.lease() + timedelta(seconds=1))
    assert not stalled.is_stalled({**entry, "status": "sent"}, CLAIMED_AT + timedelta(days=1))


@pytest.mark.usefixtures("seed_clock")  # the clock, fixed and ticking: the claims are from now
def test_a_fresh_claim_is_not_touched_and_delivered_channels_leave_the_list(
    user, chat_receiver, eager, monkeypatch, mailoutbox
):
    chat_receiver.expect_request("/chat", method="POST").respond_with_data("ok")
    url = chat_receiver.url_for("/chat")
    alert = make_alert(user, urls=[url])
    key = chat.channel_key(url)

    delivery.deliver_alert(str(alert.pk))
    assert {deliveries_of(alert)[c]["status"] for c in ("email", key)} == {"sent"}
    assert delivering(alert) == [] and len(mailoutbox) == 1

    other = make_alert(user, urls=[url], email=False, key="other")
    killed_attempt(other, key, 1, monkeypatch)
    # Swept a second after its claim (the claim is from now).
    assert stalled.sweep(now=datetime.now(UTC) + timedelta(seconds=1)) == stalled.Swept()
    assert deliveries_of(other)[key]["status"] == "sending" and delivering(other) == [key]
    assert len(chat_receiver.log) == 1


def test_no_attempt_left_marks_the_channel_failed_with_the_reason(
    user, chat_receiver, eager, monkeypatch, settings
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    chat_receiver.expect_request("/chat", method="POST").respond_with_data("ok")
    url = chat_receiver.url_for("/chat")
    alert = make_alert(user, urls=[url], email=False)
    key = chat.channel_key(url)
    killed_attempt(alert, key, 3, monkeypatch)
    claimed_back(alert, key)

    swept = stalled.sweep(now=CLAIMED_AT + stalled.lease() + timedelta(minutes=5))

    assert swept == stalled.Swept(failed=1)
    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("failed", 3)
    assert entry["error"] == "The worker stopped during attempt 3; no attempts left."
    assert delivering(alert) == [] and not chat_receiver.log


def test_a_retry_whose_message_was_lost_is_queued_again(user, chat_receiver, monkeypatch, settings):
    chat_receiver.expect_oneshot_request("/chat", method="POST").respond_with_data("busy", status=503)
    chat_receiver.expect_request("/chat", method="POST").respond_with_data("ok")
    url = chat_receiver.url_for("/chat")
    alert = make_alert(user, urls=[url], email=False)
    key = chat.channel_key(url)

    # Attempt 1 fails and its retry is queued; that message dies with the worker holding it.
    assert delivery.attempt(alert.pk, key, 1).status == "retrying"
    assert delivering(alert) == [key]
    claimed_back(alert, key)  # the retry was due at CLAIMED_AT
    assert stalled.sweep(now=CLAIMED_AT + timedelta(minutes=1)) == stalled.Swept()  # not overdue yet

    with eager_tasks():
        assert stalled.sweep(now=CLAIMED_AT + stalled.lease() + timedelta(seconds=1)) == stalled.Swept(
            queued=1
        )

    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("sent", 2) and delivering(alert) == []
    assert len(chat_receiver.log) == 2


def test_two_sweeps_queue_one_attempt_and_a_lost_one_is_queued_again_after_the_lease(
    user, chat_receiver, monkeypatch
):
    url = chat_receiver.url_for("/chat")
    alert = make_alert(user, urls=[url], email=False)
    key = chat.channel_key(url)
    killed_attempt(alert, key, 1, monkeypatch)
    claimed_back(alert, key)
    queued = []
    monkeypatch.setattr(stalled.deliver_alert_channel, "delay", lambda *args: queued.append(args))
    stale = CLAIMED_AT + stalled.lease() + timedelta(seconds=1)
    # Two sweeps that read the alert at the same time, before either wrote.
    snapshot = collection("alerts").find_one({"_id": alert.pk})
    first, second = stalled.Swept(), stalled.Swept()

    stalled._sweep_channel(alert.pk, key, snapshot["deliveries"][key], stale, first)
    stalled._sweep_channel(alert.pk, key, snapshot["deliveries"][key], stale, second)
    assert stalled.sweep(now=stale) == stalled.Swept()  # and a third one just after

    assert (first.queued, second.queued) == (1, 0)
    assert queued == [(str(alert.pk), key, 2)]
    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("retrying", 1)
    assert entry["error"] == "The worker stopped during attempt 1."
    assert delivering(alert) == [key]

    # The queued message is lost too (its worker died before taking it): one lease later the
    # sweep queues attempt 2 again; whichever copy runs first claims it, the other is refused.
    again = stale + stalled.lease() + timedelta(seconds=1)
    assert stalled.sweep(now=again) == stalled.Swept(queued=1)
    assert queued == [(str(alert.pk), key, 2)] * 2


def test_a_digest_whose_worker_died_goes_back_to_the_next_digest(user, eager, monkeypatch, mailoutbox):
    user.settings.alert_email = AlertEmail.DIGEST
    user.save(update_fields=["settings"])
    alert = make_alert(user)
    delivery.deliver_alert(str(alert.pk))
    assert deliveries_of(alert)["email"]["status"] == "digest"

    with monkeypatch.context() as patch:
        patch.setattr(mail, "send_digest", die)
        with pytest.raises(WorkerKilled):
            digest.send_digest(user.pk)
    entry = deliveries_of(alert)["email"]
    assert entry["status"] == "sending" and entry["digest"] and entry["claimed_at"]
    assert delivering(alert) == ["email"]
    assert digest.send_digest(user.pk) == 0  # claimed: another digest does not take it
    claimed_back(alert, "email")

    assert stalled.sweep(now=CLAIMED_AT + timedelta(minutes=1)) == stalled.Swept()
    assert stalled.sweep(now=CLAIMED_AT + stalled.lease() + timedelta(seconds=1)) == stalled.Swept(digest=1)
    assert deliveries_of(alert)["email"]["status"] == "digest" and delivering(alert) == []
    assert not mailoutbox

    assert digest.send_digest(user.pk) == 1
    [message] = mailoutbox
    assert "1 alert since your last digest" in message.subject
    entry = deliveries_of(alert)["email"]
    assert (entry["status"], entry["attempts"]) == ("sent", 1) and delivering(alert) == []


@pytest.mark.usefixtures("seed_clock")  # the clock, fixed and ticking: the claims are from now
def test_the_alert_page_shows_a_sending_channel_with_its_time_and_a_stalled_one(
    owner, client, chat_receiver, monkeypatch
):
    url = chat_receiver.url_for("/chat")
    alert = make_alert(owner, urls=[url], email=False)
    key = chat.channel_key(url)
    killed_attempt(alert, key, 1, monkeypatch)

    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f"{key} sending since <time" in page and "its worker stopped" not in page

    # The page reads the clock: the claim is dated one lease and a minute before it.
    claimed_back(alert, key, payloads.iso(timezone.now() - stalled.lease() - timedelta(minutes=1)))
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f"{key} sending since <time" in page
    assert "its worker stopped; taken up again within minutes" in page


def test_beat_sweeps_stalled_deliveries_on_the_webhooks_queue(settings):
    name = "notifications.sweep_stalled_alert_deliveries"
    assert name in app.tasks
    assert app.amqp.router.route({}, name, (), {})["queue"].name == "webhooks"
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stalled-alert-deliveries"]
    assert entry == {"task": name, "schedule": 300.0}


def test_the_sweep_task_reports_what_it_did(db):
    assert stalled.sweep_stalled_alert_deliveries() == {"queued": 0, "failed": 0, "digest": 0}
