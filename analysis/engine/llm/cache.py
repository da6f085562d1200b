"""The LLM answer cache: the same text under the same model and settings is paid for once.

A MongoDB collection, ``llm_cache``, reached through :func:`sentimatrix.mongo.collection`.
Each document is one item's validated analysis::

    {"_id": <key>, "parts": {"sentiment": {...}, ...}, "model": ..., "created_at": <date>}

The key is the SHA-256 of the normalised text (:func:`.prompt.normalise_text` of the title and
text), the provider, the model, the temperature, the analysis switches and the prompt version,
so a change of any of them asks the model again. The parts are stored without timestamps; a hit
is stamped with the time of the run that reads it, like a fresh answer. Entries expire 90 days
after they are written (a TTL index on ``created_at``, created on first use); the cache holds
no user or project, only what a text means to a model, so projects share it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne

from analysis.engine.base import AnalysisOptions
from analysis.engine.llm.prompt import PROMPT_VERSION, normalise_text
from sentimatrix.mongo import collection

COLLECTION = "llm_cache"
TTL = timedelta(days=90)
TTL_INDEX = "llm_cache_created_at_ttl"


def cache_key(text: str, provider: str, model: str, temperature: float, config: AnalysisOptions) -> str:
    """The cache key of one text under one model and configuration (see the module docstring)."""
    material = json.dumps(
        [
            normalise_text(text),
            provider,
            model,
            round(float(temperature), 4),
            config.to_dict(),
            PROMPT_VERSION,
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class LLMCache:
    """Reads and writes ``llm_cache``; the TTL index is ensured once per instance."""

    def __init__(self, collection_name: str = COLLECTION):
        self.collection_name = collection_name
        self._indexed = False

    @property
    def _coll(self):
        coll = collection(self.collection_name)
        if not self._indexed:
            coll.create_index("created_at", expireAfterSeconds=int(TTL.total_seconds()), name=TTL_INDEX)
            self._indexed = True
        return coll

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The stored parts of the keys that are cached (and not yet expired)."""
        if not keys:
            return {}
        # The TTL monitor sweeps once a minute: an expired entry it has not reached is a miss.
        fresh = datetime.now(UTC) - TTL
        found = self._coll.find({"_id": {"$in": list(set(keys))}, "created_at": {"$gt": fresh}})
        return {doc["_id"]: doc["parts"] for doc in found}

    def put_many(self, entries: dict[str, dict[str, Any]], model: str = "") -> None:
        """Store validated parts by key (one bulk write; a key written twice keeps the last)."""
        if not entries:
            return
        now = datetime.now(UTC)
        self._coll.bulk_write(
            [
                UpdateOne(
                    {"_id": key}, {"$set": {"parts": parts, "model": model, "created_at": now}}, upsert=True
                )
                for key, parts in entries.items()
            ],
            ordered=False,
        )
