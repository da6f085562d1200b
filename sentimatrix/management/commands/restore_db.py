from django.core.management.base import BaseCommand, CommandError

from sentimatrix import backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by backup_db into the application database. The whole archive is "
        "verified first (gzip and tar readable, manifest present, every member's document count and "
        "sha256); a damaged or truncated archive is refused and nothing is written. Without --drop, "
        "collections of the archive must be absent or empty in the database (empty ones are recreated "
        "with the archive's options and indexes); with --drop, each collection of the archive is "
        "replaced. Collections that are not in the archive are never touched, nor are sessions, "
        "confirmation keys, caches and broker state an older archive may hold. An encrypted archive "
        "(.tar.gz.enc) is decrypted with BACKUP_ENCRYPTION_KEYS and each block's authentication tag "
        "checked; without the right key, or tampered with, it is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Path of a sentimatrix_studio_*.tar.gz[.enc] archive.")
        parser.add_argument(
            "--drop",
            action="store_true",
            help="Replace collections of the archive that already hold documents.",
        )

    def handle(self, *args, **opts):
        try:
            result = backup.restore_backup(opts["archive"], drop=opts["drop"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            f"verified and restored {opts['archive']}: {len(manifest.collections)} collections, "
            f"{manifest.total_documents} documents from database {manifest.database!r} "
            f"taken {manifest.created_at} (server {manifest.server.get('version', '?')})"
        )
        for item in result.collections:
            if item.type == "view":
                self.stdout.write(f"  {item.name}: view")
            else:
                self.stdout.write(f"  {item.name}: {item.documents} documents, {item.indexes} indexes")
            for note in item.skipped_indexes:
                self.stdout.write(self.style.WARNING(f"    index not created on this server: {note}"))
        if result.left_out:
            self.stdout.write(
                f"  left out (credentials, caches and task state are never restored): {', '.join(result.left_out)}"
            )
        self.stdout.write(self.style.SUCCESS(f"restored {len(result.collections)} collections"))
