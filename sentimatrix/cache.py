"""A Django cache backend on a MongoDB collection, shared by every process.

Rate limits (sign-in, API) must hold across web processes; without Redis the
database every process already shares is the natural place. Entries carry an
``expires_at`` date with a TTL index, and reads ignore expired entries so the
index's once-a-minute sweep never decides correctness.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from bson.binary import Binary
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from sentimatrix.mongo import collection


class MongoCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)
        self._collection_name = location or "django_cache"
        self._indexed = False

    @property
    def _coll(self):
        coll = collection(self._collection_name)
        if not self._indexed:
            coll.create_index("expires_at", expireAfterSeconds=0, name="cache_expires_at_ttl")
            self._indexed = True
        return coll

    def _expiry(self, timeout) -> datetime | None:
        # get_backend_timeout() answers an absolute UNIX time (or None: never).
        expires = self.get_backend_timeout(timeout)
        return None if expires is None else datetime.fromtimestamp(expires, UTC)

    @staticmethod
    def _live(now: datetime | None = None) -> dict:
        now = now or datetime.now(UTC)
        return {"$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}]}

    @staticmethod
    def _dump(value):
        # Integers stay native so incr() can use $inc atomically.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return Binary(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def _load(stored):
        if isinstance(stored, bytes):
            return pickle.loads(stored)  # noqa: S301 - only this backend writes these bytes
        return stored

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = datetime.now(UTC)
        self._coll.delete_one({"_id": key, "expires_at": {"$lte": now}})
        try:
            self._coll.insert_one(
                {"_id": key, "value": self._dump(value), "expires_at": self._expiry(timeout)}
            )
        except DuplicateKeyError:
            return False
        return True

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        doc = self._coll.find_one({"_id": key, **self._live()})
        return default if doc is None else self._load(doc["value"])

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        self._coll.replace_one(
            {"_id": key},
            {"_id": key, "value": self._dump(value), "expires_at": self._expiry(timeout)},
            upsert=True,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        result = self._coll.update_one(
            {"_id": key, **self._live()}, {"$set": {"expires_at": self._expiry(timeout)}}
        )
        return result.matched_count == 1

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._coll.delete_one({"_id": key}).deleted_count == 1

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._coll.count_documents({"_id": key, **self._live()}, limit=1) == 1

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        doc = self._coll.find_one_and_update(
            {"_id": key, **self._live()},
            {"$inc": {"value": delta}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise ValueError(f"Key '{key}' not found")
        return doc["value"]

    def clear(self):
        self._coll.delete_many({})
