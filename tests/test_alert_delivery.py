"""Alert delivery against local receivers: chat messages shaped for Slack, Discord, Teams and
the rest, with the alert's numbers, quotes (escaped) and link; the immediate email and the daily
digest in the user's time zone; a failing channel retried while the others are delivered; the
signed ``alert.triggered`` webhook; and a delivery run twice that sends once."""

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from django.urls import reverse
from standardwebhooks.webhooks import Webhook as Receiver

from accounts.models import AlertEmail
from analysis.models import Content, Result
from notifications import payloads, services, vault
from notifications.alerts import chat, delivery, digest
from notifications.models import Alert, AlertKind, AlertRule, WebhookDelivery, WebhookEvent
from sentimatrix.celery import app
from tests.factories import add_steam_target, make_project, make_user

# Hosts of the chat services, answered by this machine's receivers (see ``chat_dns``).
SERVICE_HOSTS = {
    "hooks.slack.com",
    "discord.com",
    "contoso.webhook.office.com",
    "prod-01.westus.logic.azure.com",
}
WINDOW_START = datetime(2030, 7, 16, 4, 0, tzinfo=UTC)  # midnight in New York (EDT)
QUOTES = [
    "App <b>crashes</b> on start & loses my *saved* data @everyone",
    "Refund please, it crashed three times",
    "Crash after update " + "again " * 80,
    "A fourth quote that is never shown",
]


@pytest.fixture
def receivers(settings, monkeypatch):
    """Receivers listen on loopback over http; the chat services' names resolve to them."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.SITE_URL = "https://studio.example"
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in SERVICE_HOSTS:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", int(port or 80)))
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def service_url(httpserver, host: str, path: str) -> str:
    return f"http://{host}:{httpserver.port}{path}"


def make_alert(user, *, urls=(), email=True, texts=QUOTES, key="") -> Alert:
    project = make_project(user, name="Launch & <Co>")
    target = add_steam_target(project, 570)
    results = [
        Result.objects.create(
            project=project,
            target=target,
            user=user,
            platform="steam",
            content=Content(text=text, platform_id=f"r{i}"),
        )
        for i, text in enumerate(texts)
    ]
    rule = AlertRule.objects.create(
        user=user, project=project, name="Crash reports", kind=AlertKind.VOLUME_SPIKE,
        email=email, chat_webhook_urls=list(urls),
    )  # fmt: skip
    return Alert.objects.create(
        user=user, project=project, rule=rule, kind=AlertKind.VOLUME_SPIKE,
        key=key or f"{rule.pk}:{WINDOW_START.isoformat()}", title="41 results in a day, 3.3 times the usual",
        window_start=WINDOW_START, window_end=WINDOW_START + timedelta(days=1),
        baseline=12.4, observed=41, statistic=6.12, p_value=0.00002,
        result_ids=[r.pk for r in results],
    )  # fmt: skip


def deliveries_of(alert: Alert) -> dict:
    alert.refresh_from_db()
    return alert.deliveries


def bodies(httpserver) -> dict[str, dict]:
    return {request.path: json.loads(request.get_data(as_text=True)) for request, _ in httpserver.log}


LINK_PATH = "/alerts/{}/"


# --- chat ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.slack.com/services/T0/B0/x", chat.Flavour.SLACK),
        ("https://discord.com/api/webhooks/1/x", chat.Flavour.DISCORD),
        ("https://discordapp.com/api/webhooks/1/x", chat.Flavour.DISCORD),
        ("https://discord.com/channels/1", chat.Flavour.GENERIC),
        ("https://contoso.webhook.office.com/webhookb2/x", chat.Flavour.TEAMS),
        ("https://prod-01.westus.logic.azure.com/workflows/x", chat.Flavour.TEAMS_WORKFLOW),
        ("https://chat.example.org/hooks/x", chat.Flavour.GENERIC),
    ],
)
def test_the_message_shape_is_chosen_from_the_host(url, expected):
    assert chat.flavour(url) == expected
    assert chat.channel_key(url).startswith("chat-") and "." not in chat.channel_key(url)


def test_slack_discord_teams_and_other_chats_get_numbers_quotes_and_link_escaped(
    user, httpserver, receivers, eager, mailoutbox
):
    for path in ("/services/T0/B0/x", "/api/webhooks/1/x", "/webhookb2/x", "/workflows/x", "/mattermost"):
        httpserver.expect_request(path, method="POST").respond_with_data("ok")
    urls = {
        "slack": service_url(httpserver, "hooks.slack.com", "/services/T0/B0/x"),
        "discord": service_url(httpserver, "discord.com", "/api/webhooks/1/x"),
        "teams": service_url(httpserver, "contoso.webhook.office.com", "/webhookb2/x"),
        "workflow": service_url(httpserver, "prod-01.westus.logic.azure.com", "/workflows/x"),
        "generic": httpserver.url_for("/mattermost"),
    }
    alert = make_alert(user, urls=urls.values(), email=False)
    link = "https://studio.example" + LINK_PATH.format(alert.pk)

    queued = delivery.deliver_alert(str(alert.pk))

    assert set(queued) == {chat.channel_key(u) for u in urls.values()}
    got = bodies(httpserver)
    slack = got["/services/T0/B0/x"]
    slack_text = json.dumps(slack["blocks"]) + slack["text"]
    assert "Observed 41 vs baseline 12.4 (p = 2.0e-05)" in slack["text"]
    assert f"<{link}|View the alert>" in slack["text"] and link in json.dumps(slack["blocks"])
    # Scraped text: Slack's three control characters become entities, nothing else changes.
    assert "App &lt;b&gt;crashes&lt;/b&gt; on start &amp; loses my *saved* data" in slack_text
    assert "<b>" not in slack_text and "Launch &amp; &lt;Co&gt;" in slack["text"]
    assert "Refund please" in slack_text and "A fourth quote" not in slack_text
    assert "again again…" in slack_text and "again " * 60 not in slack_text  # shortened
    assert [block["type"] for block in slack["blocks"]][:2] == ["header", "section"]

    discord = got["/api/webhooks/1/x"]
    embed = discord["embeds"][0]
    assert discord["allowed_mentions"] == {"parse": []} and embed["url"] == link
    assert r"App \<b\>crashes\</b\> on start & loses my \*saved\* data \@everyone" in embed["description"]
    assert f"[View the alert]({link})" in embed["description"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert (fields["Observed"], fields["Baseline"], fields["p-value"]) == ("41", "12.4", "2.0e-05")
    assert "Alert" in discord["content"]

    teams = got["/webhookb2/x"]
    assert teams["@type"] == "MessageCard" and teams["potentialAction"][0]["targets"][0]["uri"] == link
    facts = {fact["name"]: fact["value"] for fact in teams["sections"][0]["facts"]}
    assert (facts["Observed"], facts["Baseline"], facts["p-value"]) == ("41", "12.4", "2.0e-05")
    assert "&lt;b&gt;crashes" in teams["sections"][0]["text"] and "<b>" not in json.dumps(teams)

    workflow = got["/workflows/x"]
    card = workflow["attachments"][0]["content"]
    assert workflow["type"] == "message" and card["type"] == "AdaptiveCard"
    assert card["actions"][0]["url"] == link and "<b>" not in json.dumps(card)
    assert {"title": "Observed", "value": "41"} in card["body"][1]["facts"]

    generic = got["/mattermost"]
    assert set(generic) == {"text"} and "Observed 41 vs baseline 12.4" in generic["text"]
    assert f"<{link}|View the alert>" in generic["text"] and "&lt;b&gt;" in generic["text"]

    recorded = deliveries_of(alert)
    for url in urls.values():
        entry = recorded[chat.channel_key(url)]
        assert (entry["status"], entry["attempts"], entry["error"]) == ("sent", 1, "")
    assert recorded["email"]["status"] == "skipped" and not mailoutbox


# --- email --------------------------------------------------------------------------------------


def test_the_immediate_email_has_html_and_text_in_the_users_time_zone(user, receivers, eager, mailoutbox):
    user.settings.timezone = "America/New_York"
    user.save(update_fields=["settings"])
    alert = make_alert(user)

    assert delivery.deliver_alert(str(alert.pk)) == ["email"]

    [mail] = mailoutbox
    assert mail.to == [user.email] and mail.subject.startswith("[Sentimatrix Studio] Alert: 41 results")
    # The window starts at midnight in New York (04:00 UTC).
    assert "Window: 16 Jul 2030, 00:00 to 17 Jul 2030, 00:00 EDT" in mail.body
    assert "Observed 41 vs baseline 12.4 (p = 2.0e-05)" in mail.body
    assert "https://studio.example" + LINK_PATH.format(alert.pk) in mail.body
    assert '- "App <b>crashes</b> on start & loses my *saved* data @everyone" (Steam)' in mail.body
    [(html, kind)] = mail.alternatives
    assert kind == "text/html" and "App &lt;b&gt;crashes&lt;/b&gt; on start &amp; loses" in html
    assert "<b>crashes" not in html and "Launch &amp; &lt;Co&gt;" in html
    assert deliveries_of(alert)["email"]["status"] == "sent"


def test_no_immediate_email_when_the_user_or_the_rule_says_no(user, receivers, eager, mailoutbox):
    user.settings.alert_email = AlertEmail.OFF
    user.save(update_fields=["settings"])
    alert = make_alert(user)
    assert delivery.deliver_alert(str(alert.pk)) == []
    assert not mailoutbox and deliveries_of(alert)["email"]["status"] == "skipped"
    assert "settings" in deliveries_of(alert)["email"]["error"]

    unverified = make_user()
    unverified.email_verified = False
    unverified.save(update_fields=["email_verified"])
    other = make_alert(unverified)
    assert delivery.deliver_alert(str(other.pk)) == [] and not mailoutbox
    assert "cannot receive email" in deliveries_of(other)["email"]["error"]


def test_the_daily_digest_goes_at_eight_in_the_users_morning_once(user, receivers, eager, mailoutbox):
    user.settings.alert_email = AlertEmail.DIGEST
    user.settings.timezone = "Asia/Tokyo"  # UTC+9: 08:00 there is 23:00 UTC the day before
    user.save(update_fields=["settings"])
    first = make_alert(user)
    second = make_alert(user, key="second", texts=["Second alert's <quote>"])
    someone_in_utc = make_user()
    someone_in_utc.settings.alert_email = AlertEmail.DIGEST
    someone_in_utc.save(update_fields=["settings"])
    for alert in (first, second):
        assert delivery.deliver_alert(str(alert.pk)) == []
        assert deliveries_of(alert)["email"]["status"] == "digest"
    assert not mailoutbox

    assert digest.queue_digests(now=datetime(2030, 7, 17, 22, 0, tzinfo=UTC)) == 0  # 07:00 in Tokyo
    assert not mailoutbox
    assert digest.queue_digests(now=datetime(2030, 7, 17, 23, 0, tzinfo=UTC)) == 1  # 08:00 in Tokyo
    [mail] = mailoutbox
    assert mail.to == [user.email] and "2 alerts since your last digest" in mail.subject
    assert mail.body.count("Observed 41 vs baseline 12.4") == 2
    assert "Window: 16 Jul 2030, 13:00 to 17 Jul 2030, 13:00 JST" in mail.body
    assert LINK_PATH.format(first.pk) in mail.body and LINK_PATH.format(second.pk) in mail.body
    [(html, _)] = mail.alternatives
    assert "Second alert&#x27;s &lt;quote&gt;" in html
    for alert in (first, second):
        entry = deliveries_of(alert)["email"]
        assert (entry["status"], entry["attempts"]) == ("sent", 1)

    # The same hour again, or delivering the alerts again, sends nothing more.
    assert digest.queue_digests(now=datetime(2030, 7, 17, 23, 0, tzinfo=UTC)) == 0
    delivery.deliver_alert(str(first.pk))
    assert digest.send_digest(user.pk) == 0 and len(mailoutbox) == 1
    # At 08:00 UTC it is the other user's turn; they have no alert, so no mail.
    assert digest.queue_digests(now=datetime(2030, 7, 18, 8, 0, tzinfo=UTC)) == 0
    assert len(mailoutbox) == 1

    # An alert waiting for the digest still comes, once, after its owner chose immediate mail.
    third = make_alert(user, key="third")
    delivery.deliver_alert(str(third.pk))
    user.settings.alert_email = AlertEmail.IMMEDIATE
    user.save(update_fields=["settings"])
    assert digest.queue_digests(now=datetime(2030, 7, 18, 23, 0, tzinfo=UTC)) == 1
    assert len(mailoutbox) == 2 and "1 alert since your last digest" in mailoutbox[1].subject
    assert deliveries_of(third)["email"]["status"] == "sent"


# --- failures, retries, signed webhooks, running twice -------------------------------------------


@pytest.mark.usefixtures("receivers", "eager")
def test_a_failing_channel_retries_while_the_others_are_delivered(user, httpserver, mailoutbox, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    httpserver.expect_request("/services/T0/B0/x").respond_with_data("ok")
    broken, slack = (
        httpserver.url_for("/broken"),
        service_url(httpserver, "hooks.slack.com", "/services/T0/B0/x"),
    )
    alert = make_alert(user, urls=[broken, slack])

    delivery.deliver_alert(str(alert.pk))

    paths = [request.path for request, _ in httpserver.log]
    assert paths.count("/broken") == 3 and paths.count("/services/T0/B0/x") == 1
    recorded = deliveries_of(alert)
    failed = recorded[chat.channel_key(broken)]
    assert (failed["status"], failed["attempts"], failed["http_status"]) == ("failed", 3, 500)
    assert failed["error"].startswith("HTTP 500")
    assert recorded[chat.channel_key(slack)]["status"] == "sent" and recorded["email"]["status"] == "sent"
    assert len(mailoutbox) == 1


def test_a_failed_attempt_waits_the_webhooks_backoff_and_a_4xx_is_not_retried(
    user, httpserver, receivers, settings
):
    settings.WEBHOOKS_RETRY_BASE_MS = 90_000
    httpserver.expect_request("/broken").respond_with_data("oops", status=503)
    httpserver.expect_request("/gone").respond_with_data("no_service", status=404)
    broken, gone = httpserver.url_for("/broken"), httpserver.url_for("/gone")
    alert = make_alert(user, urls=[broken, gone], email=False)
    key = chat.channel_key(broken)

    outcome = delivery.attempt(alert.pk, key, 1)

    assert outcome.status == "retrying" and 72 <= outcome.delay <= 108  # 90 s +-20%
    entry = deliveries_of(alert)[key]
    assert (entry["status"], entry["attempts"]) == ("retrying", 1) and entry["next_attempt_at"]
    # The same attempt again (a task delivered twice) sends nothing.
    assert delivery.attempt(alert.pk, key, 1).status == "skipped" and len(httpserver.log) == 1
    assert delivery.attempt(alert.pk, key, 2).status == "retrying"
    assert deliveries_of(alert)[key]["attempts"] == 2

    assert delivery.attempt(alert.pk, chat.channel_key(gone), 1).status == "failed"
    entry = deliveries_of(alert)[chat.channel_key(gone)]
    assert (entry["status"], entry["attempts"]) == ("failed", 1) and "no_service" in entry["error"]


def test_chat_urls_into_private_networks_are_refused_by_the_guard(user, receivers):
    metadata = "http://169.254.169.254/latest/meta-data"
    alert = make_alert(user, urls=[metadata], email=False)

    assert delivery.attempt(alert.pk, chat.channel_key(metadata), 1).status == "retrying"

    entry = deliveries_of(alert)[chat.channel_key(metadata)]
    assert entry["error"].startswith("refused") and entry["http_status"] is None


def test_signed_webhooks_get_alert_triggered_with_a_valid_signature(user, httpserver, receivers, eager):
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    webhook = services.create_webhook(
        user, url=httpserver.url_for("/hook"), events=[WebhookEvent.ALERT_TRIGGERED]
    ).webhook
    services.create_webhook(user, url=httpserver.url_for("/jobs-only"), events=[WebhookEvent.JOB_FAILED])
    alert = make_alert(user, email=False)

    assert delivery.deliver_alert(str(alert.pk)) == ["webhooks"]

    [(request, _)] = httpserver.log
    payload = Receiver(vault.reveal(webhook)).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["type"] == "alert.triggered"
    data = payload["data"]
    assert data["alert"]["id"] == str(alert.pk) and data["alert"]["kind"] == "volume_spike"
    assert (data["alert"]["baseline"], data["alert"]["observed"], data["alert"]["p_value"]) == (
        12.4,
        41.0,
        0.00002,
    )
    assert data["alert"]["statistic"] == 6.12 and len(data["alert"]["result_ids"]) == 4
    assert data["alert"]["window"] == {"start": "2030-07-16T04:00:00Z", "end": "2030-07-17T04:00:00Z"}
    assert data["project"] == {"id": str(alert.project_id), "name": "Launch & <Co>"}
    assert data["rule"] == {"id": str(alert.rule_id), "name": "Crash reports"}
    assert data["links"]["alert"] == "https://studio.example" + LINK_PATH.format(alert.pk)
    assert WebhookDelivery.objects.get(webhook=webhook).status == "success"
    entry = deliveries_of(alert)["webhooks"]
    assert (entry["status"], entry["webhooks"]) == ("sent", 1)


def test_running_the_delivery_twice_sends_each_channel_once(user, httpserver, receivers, eager, mailoutbox):
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    httpserver.expect_request("/chat").respond_with_data("ok")
    services.create_webhook(user, url=httpserver.url_for("/hook"), events=[WebhookEvent.ALERT_TRIGGERED])
    alert = make_alert(user, urls=[httpserver.url_for("/chat")])

    delivery.deliver_alert(str(alert.pk))
    delivery.deliver_alert(str(alert.pk))

    assert sorted(request.path for request, _ in httpserver.log) == ["/chat", "/hook"]
    assert len(mailoutbox) == 1 and WebhookDelivery.objects.count() == 1
    assert {entry["status"] for entry in deliveries_of(alert).values()} == {"sent"}


def test_an_unknown_alert_delivers_nothing(db):
    assert delivery.deliver_alert(str(ObjectId())) == []


def test_the_webhook_form_offers_alert_triggered(owner, client):
    page = client.get(reverse("webhooks:create")).content.decode()
    assert 'value="alert.triggered"' in page
    assert payloads.alert_url("abc").endswith("/alerts/abc/")


def test_alert_tasks_run_on_the_webhooks_queue_and_beat_checks_digests_hourly(settings):
    for name in (
        "notifications.deliver_alert",
        "notifications.deliver_alert_channel",
        "notifications.alert_digests",
        "notifications.alert_digest_user",
    ):
        assert name in app.tasks
        assert app.amqp.router.route({}, name, (), {})["queue"].name == "webhooks"
    entry = settings.CELERY_BEAT_SCHEDULE["alert-digests"]
    assert entry["task"] == "notifications.alert_digests"
    assert entry["schedule"].minute == {0} and len(entry["schedule"].hour) == 24
