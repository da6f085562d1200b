"""Webhook signing secrets at rest: AES-256-GCM through ``sentimatrix.crypto``, like API keys.

The plaintext is shown to its owner once, when it is created, and otherwise exists only
in the worker that signs a delivery. Each ciphertext is bound to its webhook and owner
(associated data), so one copied onto another record does not decrypt.
"""

from __future__ import annotations

from notifications.models import Webhook
from sentimatrix import crypto

SECRET_FIELDS = ["secret_key_id", "secret_encrypted", "secret_nonce", "secret_tag"]


def _associated_data(webhook: Webhook) -> str:
    return f"webhook_secret:{webhook.user_id}:{webhook.pk}"


def seal_into(webhook: Webhook, plaintext: str | None) -> None:
    """Encrypt ``plaintext`` onto ``webhook`` (which must have its pk); None clears the secret."""
    if not plaintext:
        webhook.secret_key_id = ""
        webhook.secret_encrypted = webhook.secret_nonce = webhook.secret_tag = None
        return
    sealed = crypto.encrypt(plaintext, _associated_data(webhook))
    webhook.secret_key_id = sealed.key_id
    webhook.secret_encrypted = sealed.ciphertext
    webhook.secret_nonce = sealed.nonce
    webhook.secret_tag = sealed.tag


def has_secret(webhook: Webhook) -> bool:
    return bool(webhook.secret_encrypted)


def reveal(webhook: Webhook) -> str | None:
    """The plaintext secret (None when deliveries are unsigned); DecryptionError if tampered."""
    if not has_secret(webhook):
        return None
    sealed = crypto.Sealed(
        webhook.secret_key_id,
        bytes(webhook.secret_encrypted),
        bytes(webhook.secret_nonce),
        bytes(webhook.secret_tag),
    )
    return crypto.decrypt(sealed, _associated_data(webhook))


def rotate_webhook_secrets(batch_size: int = 200) -> tuple[int, int]:
    """Re-encrypt every webhook secret not yet under the current master key.

    Returns (re-encrypted, already current or unsigned). Safe to interrupt and rerun:
    each secret is rewritten in one update of its own fields only.
    """
    current = crypto.current_key_id()
    done = skipped = 0
    for webhook in Webhook.objects.all().iterator(chunk_size=batch_size):
        if not has_secret(webhook) or webhook.secret_key_id == current:
            skipped += 1
            continue
        seal_into(webhook, reveal(webhook))
        # Not updated_at: rotation is not a change the owner made.
        Webhook.objects.filter(pk=webhook.pk).update(
            **{name: getattr(webhook, name) for name in SECRET_FIELDS}
        )
        done += 1
    return done, skipped
