"""Alert messages for chat incoming webhooks: Slack, Discord, Microsoft Teams, and the rest.

The shape is chosen from the URL's host, since that is all a user pastes:

- ``hooks.slack.com``: Slack's ``text`` (the notification line) and Block Kit ``blocks``;
- ``discord.com`` / ``discordapp.com`` under ``/api/webhooks/``: Discord's ``content`` and an
  ``embeds`` card, with mentions switched off so a quote cannot ping a channel;
- ``*.webhook.office.com``: an Office 365 connector ``MessageCard``; ``logic.azure.com`` (Teams
  Workflows, which replaced the connectors): a ``message`` carrying an Adaptive Card;
- anything else: Slack-compatible ``text`` (Mattermost and Rocket.Chat read it).

Scraped text (the quotes, and names users typed) is escaped for each platform's markup, so a
review cannot format, link or mention anything in the channel.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from notifications.alerts.message import AlertMessage


class Flavour:
    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"  # Office 365 connector: MessageCard
    TEAMS_WORKFLOW = "teams_workflow"  # Power Automate / Logic Apps: Adaptive Card
    GENERIC = "generic"


def flavour(url: str) -> str:
    """Which chat service ``url`` belongs to, from its host (and Discord's path)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "hooks.slack.com":
        return Flavour.SLACK
    discord_host = host in {"discord.com", "discordapp.com"} or host.endswith(
        (".discord.com", ".discordapp.com")
    )
    if discord_host and parts.path.startswith("/api/webhooks/"):
        return Flavour.DISCORD
    if host.endswith(".webhook.office.com") or host == "webhook.office.com":
        return Flavour.TEAMS
    if host == "logic.azure.com" or host.endswith(".logic.azure.com"):
        return Flavour.TEAMS_WORKFLOW
    return Flavour.GENERIC


def channel_key(url: str) -> str:
    """The key of a chat URL in ``Alert.deliveries``: stable per URL, free of dots (a document
    key), and not the URL itself, whose path is the webhook's secret."""
    return "chat-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def channel_label(url: str) -> str:
    """What a delivery record shows of a chat URL: the service and host, never the secret path."""
    return f"{flavour(url)} ({(urlsplit(url).hostname or '').lower()})"


# --- escaping -----------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters (&, <, >) as the entities Slack asks for."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>#\[\]()<@:-])")


def discord_escape(text: str) -> str:
    """Discord markdown, mentions and masked links made literal with backslashes."""
    return _DISCORD_SPECIAL.sub(r"\\\1", text)


_TEAMS_SPECIAL = re.compile(r"([\\*_\[\]()#`~>])")


def teams_escape(text: str) -> str:
    """Teams cards read a markdown subset and some HTML: both made literal."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _TEAMS_SPECIAL.sub(r"\\\1", text)


# --- messages -----------------------------------------------------------------------------


def _heading(message: AlertMessage) -> str:
    return f"{message.kind_label}: {message.title}"


def _facts(message: AlertMessage, escape) -> list[tuple[str, str]]:
    """The figures a card lists beside the quotes, in order, the texts escaped for its markup."""
    facts = [
        ("Project", escape(message.project_name)),
        ("Rule", escape(message.rule_name)),
        ("Window", escape(message.window)),
        ("Observed", message.observed),
        ("Baseline", message.baseline),
    ]
    if message.p_value:
        facts.append(("p-value", message.p_value))
    return facts


def _quote_line(quote_text: str, platform: str) -> str:
    return f"“{quote_text}”" + (f" ({platform})" if platform else "")


def slack(message: AlertMessage) -> dict:
    """Slack: ``text`` for notifications and clients without blocks, ``blocks`` for the card."""
    e = slack_escape
    link = f"<{message.link}|View the alert>"
    facts = (
        f"*Project:* {e(message.project_name)}   *Rule:* {e(message.rule_name)}\n"
        f"*Window:* {e(message.window)}\n*{e(message.numbers)}*"
    )
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _heading(message)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
    ]
    if message.quotes:
        quoted = "\n".join("> " + e(_quote_line(q.text, q.platform)) for q in message.quotes)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
    return {"text": generic(message)["text"], "blocks": blocks}


def generic(message: AlertMessage) -> dict:
    """Slack-compatible plain ``text``: what Mattermost, Rocket.Chat and others accept."""
    e = slack_escape
    lines = [
        f"*{e(_heading(message))}*",
        f"Project: {e(message.project_name)} · Rule: {e(message.rule_name)}",
        f"Window: {e(message.window)}",
        e(message.numbers),
        *("> " + e(_quote_line(q.text, q.platform)) for q in message.quotes),
        f"<{message.link}|View the alert>",
    ]
    return {"text": "\n".join(lines)}


def discord(message: AlertMessage) -> dict:
    """Discord: a short ``content`` line and one embed with the figures and quotes."""
    e = discord_escape
    # Discord refuses an empty field value and one over 1,024 characters.
    fields = [
        {"name": name, "value": value[:1024] or "-", "inline": name != "Window"}
        for name, value in _facts(message, e)
    ]
    description = "\n".join("> " + e(_quote_line(q.text, q.platform)) for q in message.quotes)
    return {
        "content": e(f"Alert: {_heading(message)}")[:2000],
        "embeds": [
            {
                "title": _heading(message)[:256],
                "url": message.link,
                "description": (description + f"\n\n[View the alert]({message.link})").strip()[:4096],
                "color": 0xD9534F,
                "fields": fields,
            }
        ],
        "allowed_mentions": {"parse": []},
    }


def teams(message: AlertMessage) -> dict:
    """Teams through an Office 365 connector: a legacy ``MessageCard``."""
    e = teams_escape
    facts = [{"name": name, "value": value} for name, value in _facts(message, e)]
    section: dict = {"activityTitle": e(_heading(message)), "facts": facts, "markdown": True}
    if message.quotes:
        section["text"] = "\n\n".join(e(_quote_line(q.text, q.platform)) for q in message.quotes)
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": e(_heading(message)),
        "themeColor": "D9534F",
        "title": e(_heading(message)),
        "sections": [section],
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "View the alert",
                "targets": [{"os": "default", "uri": message.link}],
            }
        ],
    }


def teams_workflow(message: AlertMessage) -> dict:
    """Teams through a Workflows (Logic Apps) URL: a ``message`` with one Adaptive Card."""
    e = teams_escape
    facts = [{"title": name, "value": value} for name, value in _facts(message, e)]
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": e(_heading(message)),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "FactSet", "facts": facts},
        *(
            {"type": "TextBlock", "text": e(_quote_line(q.text, q.platform)), "wrap": True, "isSubtle": True}
            for q in message.quotes
        ),
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "View the alert", "url": message.link}],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


BUILDERS = {
    Flavour.SLACK: slack,
    Flavour.DISCORD: discord,
    Flavour.TEAMS: teams,
    Flavour.TEAMS_WORKFLOW: teams_workflow,
    Flavour.GENERIC: generic,
}


def payload(url: str, message: AlertMessage) -> dict:
    """The JSON body to post to the chat webhook at ``url``."""
    return BUILDERS[flavour(url)](message)
