from django.core.management.base import BaseCommand

from accounts import vault
from scraping.webhooks.vault import rotate_webhook_secrets
from sentimatrix import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of SENTIMATRIX_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **opts):
        current = crypto.current_key_id()
        done, skipped = vault.rotate_all()
        self.stdout.write(
            self.style.SUCCESS(f"API keys: {done} re-encrypted under {current!r}, {skipped} already current.")
        )
        done, skipped = rotate_webhook_secrets()
        self.stdout.write(
            self.style.SUCCESS(
                f"Webhook secrets: {done} re-encrypted under {current!r}, "
                f"{skipped} already current or unsigned."
            )
        )
