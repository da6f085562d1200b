from django.core.management.base import BaseCommand

from sentimatrix import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of SENTIMATRIX_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **opts):
        current = crypto.current_key_id()
        # Each app that stores secrets registered how to re-encrypt them (API keys, webhook secrets).
        for rotation in crypto.rotations():
            done, left = rotation.rotate()
            self.stdout.write(
                self.style.SUCCESS(
                    f"{rotation.label}: {done} re-encrypted under {current!r}, {left} {rotation.left}."
                )
            )
