"""Uploaded review files of file-import targets: where they are kept, storing, removing.

Files live under the upload directory (``settings.MEDIA_ROOT``, else ``var/uploads``), in a
folder per user, named by their SHA-256: the same file uploaded twice by one user is stored
once. A target names its file by the path relative to that directory
(``platform_data.file_path``); the file-import collector reads it from there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePath

from bson import ObjectId
from django.conf import settings

from projects.recognition import Recognition
from sentimatrix.mongo import collection


def upload_root() -> Path:
    """The directory uploaded files live in."""
    media = getattr(settings, "MEDIA_ROOT", "")
    return Path(media) if media else Path(settings.VAR_DIR) / "uploads"


def store(user_id: ObjectId, recognition: Recognition, data: bytes) -> str:
    """Write the file under the user's folder of the upload root; returns its path relative
    to the root. Content-addressed: the same file is stored once per user."""
    suffix = PurePath(recognition.platform_data["filename"]).suffix.lower()
    relative = f"{user_id}/{recognition.platform_data['sha256']}{suffix}"
    path = upload_root() / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    return relative


def remove_if_unused(user_id: ObjectId, file_path: str) -> None:
    """Delete the user's uploaded file unless a target still names it."""
    if not file_path or collection("targets").count_documents(
        {"platform_data.file_path": file_path}, limit=1
    ):
        return
    root = upload_root().resolve()
    path = (root / file_path).resolve()
    if path.is_relative_to(root / str(user_id)) and path.is_file():
        path.unlink()
