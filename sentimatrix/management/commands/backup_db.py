import secrets

from django.core.management.base import BaseCommand, CommandError

from sentimatrix import backup
from sentimatrix.crypto import generate_key_spec


class Command(BaseCommand):
    help = (
        "Write a compressed archive of the application database (documents as BSON, with each "
        "collection's options, validator and indexes, and a manifest of counts and sha256 sums) to "
        "--out as sentimatrix_studio_YYYYmmdd_HHMMSS.tar.gz, then delete archives of that name older "
        "than --retention days. Works on the embedded server and on MongoDB; no mongodump needed. "
        "Left out: sessions, email confirmation keys and OAuth tokens (credentials), caches and "
        "rate-limit counters, and the broker's and Celery's task state. With BACKUP_ENCRYPTION_KEYS "
        "set, the whole archive is encrypted (AES-256-GCM) as ....tar.gz.enc."
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
        parser.add_argument(
            "--generate-key",
            action="store_true",
            help="Print a new BACKUP_ENCRYPTION_KEYS entry and exit (no backup is taken).",
        )

    def handle(self, *args, **opts):
        if opts["generate_key"]:
            self.stdout.write(generate_key_spec(f"b{secrets.token_hex(3)}"))
            return
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
        reasons = backup.left_out_collections()
        by_reason: dict[str, list[str]] = {}
        for name in manifest.skipped_collections:
            by_reason.setdefault(reasons.get(name, "server's own collection"), []).append(name)
        for reason, names in by_reason.items():
            self.stdout.write(f"  left out ({reason}): {', '.join(names)}")
        for path in result.removed_archives:
            self.stdout.write(f"removed old archive {path.name}")
        if result.encrypted_with:
            protection = f"encrypted with backup key {result.encrypted_with!r}"
        else:
            protection = "not encrypted"
            self.stdout.write(
                self.style.WARNING(
                    "The archive is not encrypted; it holds password hashes and every result. Set "
                    "BACKUP_ENCRYPTION_KEYS (manage.py backup_db --generate-key) to encrypt archives."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {result.path} ({result.size_bytes / (1024 * 1024):.2f} MB, "
                f"{len(manifest.collections)} collections, {manifest.total_documents} documents, "
                f"{protection})"
            )
        )
