from bson import ObjectId
from bson.errors import InvalidId
from django.core.management.base import BaseCommand, CommandError

from analysis import pipeline, stats
from sentimatrix.mongo import collection


class Command(BaseCommand):
    help = (
        "Recompute project/target statistics and daily aggregates from the results; report drift; "
        "queue every result that is not analysed yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_ids", nargs="*", help="Projects to rebuild (default: all).")

    def handle(self, *args, **opts):
        try:
            ids = [ObjectId(pid) for pid in opts["project_ids"]]
        except InvalidId as exc:
            raise CommandError(f"not a project id: {exc}") from exc
        if not ids:
            ids = [doc["_id"] for doc in collection("projects").find({}, {"_id": 1})]
        drifted = 0
        for project_id in ids:
            drift = stats.rebuild(project_id)
            if drift:
                drifted += 1
                self.stdout.write(self.style.WARNING(f"project {project_id}: {len(drift)} figure(s) drifted"))
                for name, (stored, expected) in sorted(drift.items())[:20]:
                    self.stdout.write(f"  {name}: stored {stored}, recomputed {expected}")
        self.stdout.write(self.style.SUCCESS(f"rebuilt {len(ids)} project(s); {drifted} had drifted"))
        queued = pipeline.sweep_unanalysed(ids, older_than=0)
        for project_id, count in queued.items():
            self.stdout.write(
                self.style.WARNING(f"project {project_id}: {count} result(s) not analysed; queued")
            )
        self.stdout.write(f"{sum(queued.values())} unanalysed result(s) queued for analysis")
