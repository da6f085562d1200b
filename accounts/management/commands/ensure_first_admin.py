from django.core.management.base import BaseCommand

from accounts.services import ensure_first_admin


class Command(BaseCommand):
    help = (
        "Create the first admin account when there is none (ADMIN_EMAIL, ADMIN_PASSWORD; a missing "
        "password is generated and shown once). runstack runs this before starting the stack."
    )

    def handle(self, *args, **opts):
        created = ensure_first_admin()
        if created:
            email, password = created
            self.stdout.write(self.style.WARNING(f"First admin account: {email}"))
            if password:
                self.stdout.write(self.style.WARNING(f"Generated password (shown once): {password}"))
