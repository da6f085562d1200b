"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A secret is ``whsec_`` followed by base64 of its key bytes. Each delivery carries
``webhook-id`` (the same on every retry of one message), ``webhook-timestamp`` (Unix
seconds of this attempt) and ``webhook-signature``: ``v1,`` then base64 of
HMAC-SHA256(key, ``"{id}.{timestamp}.{body}"``). Receivers verify with any Standard
Webhooks library and reject timestamps far from their clock (replays).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from bson import ObjectId

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the standard defines, not a secret
SECRET_BYTES = 32
# Shorter keys make weak HMACs; longer ones buy nothing.
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64


class InvalidSecret(ValueError):
    """Not a ``whsec_<base64>`` secret of a usable length."""


def generate_secret() -> str:
    """A new random secret in the ``whsec_...`` form."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; raises ``InvalidSecret``."""
    secret = secret.strip()
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"A signing secret starts with {SECRET_PREFIX}.")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret(f"After {SECRET_PREFIX} a signing secret is base64.") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"A signing secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes (base64 after "
            f"{SECRET_PREFIX}); this one holds {len(key)}."
        )
    return key


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) of one delivery."""
    digest = hmac.new(
        secret_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256
    ).digest()
    return "v1," + base64.b64encode(digest).decode()


def new_message_id() -> str:
    """A message id, unique per event (kept on retries and redeliveries)."""
    return f"msg_{ObjectId()}"


def headers(secret: str | None, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (no signature without a secret)."""
    result = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if secret:
        result["webhook-signature"] = sign(secret, message_id, timestamp, body)
    return result
