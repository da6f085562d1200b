"""Backup and restore of the application database, with no MongoDB tools needed.

An archive is a gzip-compressed tar file named ``sentimatrix_studio_YYYYmmdd_HHMMSS.tar.gz``
(UTC), ``....tar.gz.enc`` when encrypted under ``BACKUP_ENCRYPTION_KEYS``. Each part has its
module: the archive's contents and what it leaves out (:mod:`.archive_format`), file names and
retention (:mod:`.archive_files`), encryption (:mod:`.encryption`), taking a backup
(:mod:`.create`), reading and verifying one (:mod:`.verify`) and restoring it (:mod:`.restore`).
"""

from sentimatrix.backup.archive_files import (
    DEFAULT_RETENTION_DAYS,
    archive_name,
    archive_time,
    prune_archives,
)
from sentimatrix.backup.archive_format import (
    LEFT_OUT,
    MANIFEST_NAME,
    SKIPPED_COLLECTIONS,
    CollectionInfo,
    Manifest,
    left_out_collections,
)
from sentimatrix.backup.create import BackupResult, application_version, create_backup
from sentimatrix.backup.encryption import ENCRYPTED_MAGIC, backup_keys
from sentimatrix.backup.errors import ArchiveError, BackupError, EncryptionKeyError, RestoreRefused
from sentimatrix.backup.restore import RestoredCollection, RestoreResult, restore_backup
from sentimatrix.backup.verify import read_manifest, verify_archive

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "ENCRYPTED_MAGIC",
    "LEFT_OUT",
    "MANIFEST_NAME",
    "SKIPPED_COLLECTIONS",
    "ArchiveError",
    "BackupError",
    "BackupResult",
    "CollectionInfo",
    "EncryptionKeyError",
    "Manifest",
    "RestoreRefused",
    "RestoreResult",
    "RestoredCollection",
    "application_version",
    "archive_name",
    "archive_time",
    "backup_keys",
    "create_backup",
    "left_out_collections",
    "prune_archives",
    "read_manifest",
    "restore_backup",
    "verify_archive",
]
