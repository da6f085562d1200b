"""Writing collected items into ``results``: in bulk, idempotent, never duplicated.

Each item is an upsert keyed on (target_id, content.platform_id), the unique
index of the collection, with every field under ``$setOnInsert``: a page
written twice (a task run twice, a worker that died after writing) inserts
nothing the second time and never overwrites an analysed result.

Bulk writes bypass the model's field validators, so the rules that matter for
safety are applied here, where every collector's items pass: ``content.url``
keeps only an http(s) address (a ``javascript:`` or ``data:`` link from a feed
or an imported file would otherwise be rendered as a link to click).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from bson import ObjectId
from django.core.exceptions import ValidationError
from django.utils import timezone
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from scraping.collectors.base import CollectedItem
from sentimatrix.mongo import collection
from sentimatrix.validators import validate_http_url

DUPLICATE_KEY = 11000
# A stored result is analysed once an engine has written its analysis; it is stored here with
# ``analysis.engine`` empty (older documents may lack it).
UNANALYSED = {"analysis.engine": {"$in": ["", None]}}
#: The longest ``content.url`` the data model stores.
URL_MAX_LENGTH = 2048
_WHITESPACE = re.compile(r"\s")


def safe_web_url(value: object) -> str:
    """``value`` as an http(s) URL the data model accepts, else ``""``.

    The one rule for links to a result's original: the model's own validator
    (scheme http or https, a real host), after trimming and percent-encoding
    inner whitespace, which feeds and spreadsheets leave in otherwise good
    addresses. Anything else (``javascript:``, ``data:``, ``vbscript:``, a
    relative path) is dropped, since a page would render it as a link.
    """
    if not isinstance(value, str):
        return ""
    url = _WHITESPACE.sub(lambda match: quote(match.group(0)), value.strip())
    if not url or len(url) > URL_MAX_LENGTH:
        return ""
    try:
        validate_http_url(url)
    except ValidationError:
        return ""
    return url


@dataclass(frozen=True)
class TargetRef:
    project_id: ObjectId
    target_id: ObjectId
    user_id: ObjectId
    platform: str


@dataclass
class WriteOutcome:
    inserted_ids: list[ObjectId]
    known: int  # items that were already stored

    @property
    def inserted(self) -> int:
        return len(self.inserted_ids)


def is_analysed(doc: dict) -> bool:
    """Whether an engine has analysed this result document (the rule of :data:`UNANALYSED`)."""
    return bool((doc.get("analysis") or {}).get("engine"))


def result_document(item: CollectedItem, ref: TargetRef, job_id: ObjectId | None, now: datetime) -> dict:
    """The ``results`` document of a freshly collected item (analysis still empty)."""
    text = item.text or ""
    return {
        "project_id": ref.project_id,
        "target_id": ref.target_id,
        "user_id": ref.user_id,
        "scrape_job_id": job_id,
        "content": {
            "text": text,
            "title": item.title or "",
            "author": item.author or "",
            "rating": item.rating,
            "date": item.date,
            "url": safe_web_url(item.url),
            "platform_id": str(item.platform_id),
            "parent_id": item.parent_id,
            "metadata": item.metadata or {},
        },
        "analysis": {"sentiment": None, "emotions": None, "summary": None, "insights": None, "engine": ""},
        "platform": item.platform or ref.platform,
        "language": "",
        "word_count": len(text.split()),
        "flags": {"rating_disagreement": False},
        "excluded": False,
        "tags": [],
        "pinned": False,
        "created_at": now,
        "updated_at": now,
    }


def write_items(items: Iterable[CollectedItem], ref: TargetRef, job_id: ObjectId | None) -> WriteOutcome:
    """Upsert a page of items; returns the ids of the results that are new."""
    now = timezone.now()
    operations, seen = [], set()
    for item in items:
        key = str(item.platform_id)
        if not key or key in seen:  # a platform repeating an item inside one page
            continue
        seen.add(key)
        doc = result_document(item, ref, job_id, now)
        operations.append(
            UpdateOne(
                {"target_id": ref.target_id, "content.platform_id": key},
                {"$setOnInsert": doc},
                upsert=True,
            )
        )
    if not operations:
        return WriteOutcome([], 0)
    try:
        result = collection("results").bulk_write(operations, ordered=False)
        upserted = result.upserted_ids
    except BulkWriteError as exc:
        # Two workers upserting the same new item race on the unique index: the loser's
        # duplicate-key error means "already stored", which is what it wanted.
        errors = [e for e in exc.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
        if errors:
            raise
        upserted = {u["index"]: u["_id"] for u in exc.details.get("upserted", [])}
    inserted_ids = [upserted[i] for i in sorted(upserted)]
    return WriteOutcome(inserted_ids, len(operations) - len(inserted_ids))
