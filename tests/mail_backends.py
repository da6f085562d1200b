"""A mail backend that fails part-way as a real mail server can: the k-th message of the test
breaks the connection, and chosen addresses are refused. What it accepts lands in Django's
locmem outbox (``mailoutbox``), like the locmem backend's."""

from __future__ import annotations

from collections.abc import Callable
from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected

from django.core.mail.backends.locmem import EmailBackend


class FlakyEmailBackend(EmailBackend):
    """Configured on the class (a sender opens a connection per run; the count spans them):
    ``fail_on`` is the number of the message (1-based, over the whole test) that the server
    drops, ``refuse`` maps an address to the server's answer (code, text), and ``accepted`` is
    called with each message the server took (something else happening while a report goes out)."""

    fail_on: int | None = None
    refuse: dict[str, tuple[int, bytes]] = {}
    accepted: Callable | None = None
    attempts = 0

    @classmethod
    def configure(cls, fail_on: int | None = None, refuse: dict | None = None, accepted=None) -> None:
        cls.fail_on, cls.refuse, cls.accepted, cls.attempts = fail_on, dict(refuse or {}), accepted, 0

    def send_messages(self, messages):
        sent = 0
        for mail in messages:
            FlakyEmailBackend.attempts += 1
            if FlakyEmailBackend.attempts == self.fail_on:
                raise SMTPServerDisconnected("Connection unexpectedly closed")
            refused = {
                address: self.refuse[address] for address in mail.recipients() if address in self.refuse
            }
            if refused:
                # As smtplib raises it when the server refuses every recipient of a message.
                raise SMTPRecipientsRefused(refused)
            sent += super().send_messages([mail])
            if FlakyEmailBackend.accepted is not None:
                FlakyEmailBackend.accepted(mail)
        return sent
