from django.core.management.base import BaseCommand

from sentimatrix import dbindexes
from sentimatrix.mongo import get_db


class Command(BaseCommand):
    help = "Create every index of the specification that is missing (idempotent)."

    def handle(self, *args, **opts):
        report = dbindexes.ensure(get_db())
        report += dbindexes.ensure_validators(get_db())
        for line in report:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"indexes checked: {len(report)} change(s)"))
