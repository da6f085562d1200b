"""The errors a backup or restore stops with; each message is meant for the operator."""


class BackupError(Exception):
    """A backup or restore cannot proceed; the message is meant for the operator."""


class ArchiveError(BackupError):
    """The archive is unreadable, truncated, tampered with or not a backup of this application."""


class RestoreRefused(BackupError):
    """Restoring would overwrite existing documents and ``drop`` was not given."""


class EncryptionKeyError(BackupError):
    """The archive is encrypted and no configured key opens it, or the key setting is malformed."""
