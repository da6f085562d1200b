"""Indexes, TTLs and validators of the specification that Django models cannot declare.

Model ``Meta.indexes`` and ``unique=True`` fields are created by migrations.
This registry holds the rest (TTL, sparse-unique on embedded fields, text
indexes) and ``ensure_indexes`` applies it idempotently: an index whose keys
and options already exist, under any name, is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymongo import ASCENDING, TEXT
from pymongo.errors import OperationFailure


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: tuple[tuple[str, int | str], ...]
    name: str
    options: dict = field(default_factory=dict)

    @property
    def is_text(self) -> bool:
        return any(direction == TEXT for _, direction in self.keys)


# The specification's "sparse unique" OAuth ids become partial unique indexes:
# embedded documents store unlinked ids as null, and a sparse index would still
# index those nulls and refuse a second user without a Google account.
SPEC_INDEXES: list[IndexSpec] = [
    IndexSpec(
        "users",
        (("oauth.google_id", ASCENDING),),
        "users_oauth_google_id_unique",
        {"unique": True, "partialFilterExpression": {"oauth.google_id": {"$type": "string"}}},
    ),
    IndexSpec(
        "users",
        (("oauth.github_id", ASCENDING),),
        "users_oauth_github_id_unique",
        {"unique": True, "partialFilterExpression": {"oauth.github_id": {"$type": "string"}}},
    ),
]

COMPARED_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")


def _same(existing: dict, spec: IndexSpec) -> bool:
    if spec.is_text:
        # Text indexes are stored as {_fts: "text", _ftsx: 1}; compare by weights.
        return "weights" in existing and set(existing["weights"]) == {k for k, _ in spec.keys}
    if list(existing["key"]) != list(spec.keys):
        return False
    return all(existing.get(opt) == spec.options.get(opt) for opt in COMPARED_OPTIONS)


def ensure(db, specs: list[IndexSpec] | None = None) -> list[str]:
    """Create missing indexes; returns one human line per action taken or skipped."""
    report = []
    for spec in specs if specs is not None else SPEC_INDEXES:
        coll = db[spec.collection]
        existing = coll.index_information().values()
        if any(_same(info, spec) for info in existing):
            continue
        try:
            coll.create_index(list(spec.keys), name=spec.name, **spec.options)
            report.append(f"created {spec.collection}.{spec.name}")
        except OperationFailure as exc:
            if spec.is_text and exc.code == 67:
                # The embedded server has no text indexes; search falls back.
                report.append(f"skipped {spec.collection}.{spec.name}: server has no text indexes")
            else:
                raise
    return report
