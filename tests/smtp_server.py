"""A small SMTP server on a local port, for the product's real SMTP mail backend: it accepts
every message and answers chosen addresses' RCPT with a refusal, as a mail server does for an
unknown mailbox. Only what smtplib's client sends is understood (no TLS, no AUTH)."""

from __future__ import annotations

import socketserver
import threading
from contextlib import contextmanager


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server: _Server = self.server
        self.reply("220 localhost ESMTP test server")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb in ("MAIL", "RSET"):
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>").lower()
                refusal = server.refuse.get(address)
                if refusal:
                    self.reply(refusal)
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                server.delivered.extend(recipients)
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # NOOP and the like
                self.reply("250 OK")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse: dict[str, str]):
        super().__init__(("127.0.0.1", 0), _Session)
        self.refuse = {address.lower(): answer for address, answer in refuse.items()}
        self.delivered: list[str] = []  # one entry per recipient of each accepted message


@contextmanager
def smtp_server(refuse: dict[str, str] | None = None):
    """Run the server while the block runs; yields it (``server_address``, ``delivered``).
    ``refuse`` maps an address to the whole answer line its RCPT gets (e.g. "550 5.1.1 ...")."""
    server = _Server(refuse or {})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
