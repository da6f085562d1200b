"""Archive file names (UTC times in them), the default backup folder, and pruning archives past retention."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings

ARCHIVE_PREFIX = "sentimatrix_studio_"
ARCHIVE_SUFFIX = ".tar.gz"
ENCRYPTED_SUFFIX = ".tar.gz.enc"
ARCHIVE_NAME_RE = re.compile(r"^sentimatrix_studio_(\d{8}_\d{6})\.tar\.gz(?:\.enc)?$")
TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S"
DEFAULT_RETENTION_DAYS = 7


def archive_name(moment: datetime, encrypted: bool = False) -> str:
    """The file name of an archive taken at ``moment`` (converted to UTC)."""
    suffix = ENCRYPTED_SUFFIX if encrypted else ARCHIVE_SUFFIX
    return f"{ARCHIVE_PREFIX}{moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)}{suffix}"


def archive_time(name: str) -> datetime | None:
    """The UTC time encoded in an archive file name, or None for any other name."""
    match = ARCHIVE_NAME_RE.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def default_backup_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def prune_archives(
    out_dir: str | os.PathLike,
    retention_days: int,
    now: datetime | None = None,
    keep: set[Path] | None = None,
) -> list[Path]:
    """Delete archives in ``out_dir`` whose name-encoded time is older than ``retention_days``.

    Only files matching the archive name pattern are considered; the time comes from the name,
    not the file's mtime, so copying archives around does not change their age.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    cutoff = now - timedelta(days=retention_days)
    keep = {Path(p).resolve() for p in keep or ()}
    removed = []
    for path in sorted(Path(out_dir).iterdir()):
        taken = archive_time(path.name)
        if taken is None or not path.is_file() or path.resolve() in keep:
            continue
        if taken < cutoff:
            path.unlink()
            removed.append(path)
    return removed
