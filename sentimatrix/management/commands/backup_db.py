from django.core.management.base import BaseCommand, CommandError

from sentimatrix import backup


class Command(BaseCommand):
    help = (
        "Write a compressed archive of every collection of the application database (documents as "
        "BSON, with each collection's options, validator and indexes, and a manifest of counts and "
        "sha256 sums) to --out as sentimatrix_studio_YYYYmmdd_HHMMSS.tar.gz, then delete archives of "
        "that name older than --retention days. Works on the embedded server and on MongoDB; no "
        "mongodump needed. Celery's transient broker collections (kombu's messages, "
        "messages.broadcast, messages.routing and messages.queues) are not backed up."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Output directory (default: var/backups/).")
        parser.add_argument(
            "--retention",
            type=int,
            default=backup.DEFAULT_RETENTION_DAYS,
            metavar="DAYS",
            help="Delete archives in the output directory older than this many days (default: 7).",
        )

    def handle(self, *args, **opts):
        try:
            result = backup.create_backup(out_dir=opts["out"], retention_days=opts["retention"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        for entry in manifest.collections:
            if entry.type == "view":
                self.stdout.write(f"  {entry.name}: view")
            else:
                indexes = sum(1 for spec in entry.indexes if spec.get("name") != "_id_")
                self.stdout.write(f"  {entry.name}: {entry.documents} documents, {indexes} indexes")
        if manifest.skipped_collections:
            self.stdout.write(f"  skipped (broker state): {', '.join(manifest.skipped_collections)}")
        for path in result.removed_archives:
            self.stdout.write(f"removed old archive {path.name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {result.path} ({result.size_bytes / (1024 * 1024):.2f} MB, "
                f"{len(manifest.collections)} collections, {manifest.total_documents} documents)"
            )
        )
