from django.core.management.base import BaseCommand

from sentimatrix import dbindexes
from sentimatrix.mongo import get_db

# Lines of the registry's report that describe the server rather than a change made to the
# database (the embedded server has no text indexes): shown, never counted as changes.
NOTE_PREFIX = "skipped "


class Command(BaseCommand):
    help = "Create every index and validator of the specification that is missing (idempotent)."

    def handle(self, *args, **opts):
        report = dbindexes.ensure(get_db())
        report += dbindexes.ensure_validators(get_db())
        changes = [line for line in report if not line.startswith(NOTE_PREFIX)]
        for line in report:
            self.stdout.write(line)
        if changes:
            self.stdout.write(self.style.SUCCESS(f"indexes checked: {len(changes)} change(s)"))
        else:
            self.stdout.write(self.style.SUCCESS("indexes checked: no change"))
