"""Indexes, TTLs and validators of the specification that Django models cannot declare.

Model ``Meta.indexes``, ``Meta.constraints`` and ``unique=True`` fields are
created by migrations. This registry holds the rest and each app's migration
applies its collections' part (``ensure(db, specs_for(...))``);
``manage.py ensure_indexes`` applies it all, idempotently: an index whose keys
and options already exist, under any name, is left alone.

What lives here rather than on the models, and why:

- indexes on paths inside embedded documents (``content.date``,
  ``analysis.sentiment.label``, ``config.schedule.next_run_at``, the OAuth ids).
  django-mongodb-backend 5.2 can index a field of an embedded model, but only
  through the embedded model's own ``Meta``, which applies the index to every
  collection embedding that model (``ProjectConfig`` is in projects *and*
  presets), and later ``AddIndex`` operations on an embedded model are no-ops.
  A compound index mixing a top-level field and an embedded path (the results
  deduplication key) cannot be declared at all;
- TTL indexes (``expireAfterSeconds`` is not an option of Django's ``Index``);
- the text index (MongoDB's ``text`` key type).

The ``users`` collection's ``$jsonSchema`` validator is here too
(:data:`VALIDATORS`, applied by :func:`ensure_validators`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymongo import ASCENDING, DESCENDING, TEXT
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


WEBHOOK_DELIVERIES_TTL = 7 * 24 * 3600  # 604800 s
AUDIT_LOGS_TTL = 365 * 24 * 3600  # 31536000 s
HOURLY_STATS_TTL = 35 * 24 * 3600  # the hour rules' baseline reads 14 days

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
    # The scheduler's query: projects whose next run is due.
    IndexSpec("projects", (("config.schedule.next_run_at", ASCENDING),), "projects_schedule_next_run_at"),
    IndexSpec("results", (("analysis.sentiment.label", ASCENDING),), "results_sentiment_label"),
    IndexSpec("results", (("content.date", DESCENDING),), "results_content_date_desc"),
    # A result is stored once per target: collectors insert and let this index refuse repeats.
    IndexSpec(
        "results",
        (("target_id", ASCENDING), ("content.platform_id", ASCENDING)),
        "results_target_platform_id_unique",
        {"unique": True},
    ),
    IndexSpec(
        "results",
        (("content.text", TEXT), ("content.title", TEXT)),
        "results_text",
        # Results store a detected language code in ``language``; MongoDB would read that field
        # as the text-search language and reject codes it has no stemmer for.
        {
            "weights": {"content.title": 10, "content.text": 5},
            "default_language": "english",
            "language_override": "text_search_language",
        },
    ),
    IndexSpec(
        "webhook_deliveries",
        (("created_at", ASCENDING),),
        "webhook_deliveries_created_ttl",
        {"expireAfterSeconds": WEBHOOK_DELIVERIES_TTL},
    ),
    IndexSpec(
        "audit_logs",
        (("created_at", ASCENDING),),
        "audit_logs_created_ttl",
        {"expireAfterSeconds": AUDIT_LOGS_TTL},
    ),
    # The results store's sort orders (analysis.results_store.sorting): a project's results of one
    # status in the order of a page, ties by id. The embedded server reads them in windows of the
    # sorted field (or of the id, for a value many results share); MongoDB walks them in order,
    # either way. Every field ascends: SecantusDB 0.7 drops the documents equal to a bound of a
    # descending field that is not an index's last.
    IndexSpec(
        "results",
        (("project_id", ASCENDING), ("excluded", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)),
        "results_project_excluded_created_id",
    ),
    IndexSpec(
        "results",
        (("project_id", ASCENDING), ("excluded", ASCENDING), ("content.date", ASCENDING), ("_id", ASCENDING)),
        "results_project_excluded_posted",
    ),
    IndexSpec(
        "results",
        (
            ("project_id", ASCENDING),
            ("excluded", ASCENDING),
            ("analysis.sentiment.score", ASCENDING),
            ("_id", ASCENDING),
        ),
        "results_project_excluded_score",
    ),
    IndexSpec(
        "results",
        (
            ("project_id", ASCENDING),
            ("excluded", ASCENDING),
            ("content.rating", ASCENDING),
            ("_id", ASCENDING),
        ),
        "results_project_excluded_rating",
    ),
    # A score order with a sentiment filter: the chosen labels' results in score order.
    IndexSpec(
        "results",
        (
            ("project_id", ASCENDING),
            ("excluded", ASCENDING),
            ("analysis.sentiment.label", ASCENDING),
            ("analysis.sentiment.score", ASCENDING),
            ("_id", ASCENDING),
        ),
        "results_project_excluded_label_score",
    ),
    # Results selected by hand: a tag, pinned evidence (newest first on the report).
    IndexSpec("results", (("project_id", ASCENDING), ("tags", ASCENDING)), "results_project_tags"),
    IndexSpec(
        "results",
        (("project_id", ASCENDING), ("pinned", ASCENDING), ("created_at", ASCENDING)),
        "results_project_pinned_created",
    ),
    # The admin's list of every project's results, newest stored first (windows of created_at,
    # ties by id: analysis.results_store.admin_list).
    IndexSpec("results", (("created_at", ASCENDING), ("_id", ASCENDING)), "results_created_id"),
    # The sweep's query: results no engine has analysed yet.
    IndexSpec("results", (("analysis.engine", ASCENDING),), "results_analysis_engine"),
    # Collections of the product beyond the specification.
    IndexSpec("daily_stats", (("project_id", ASCENDING), ("day", ASCENDING)), "daily_stats_project_day"),
    IndexSpec("daily_stats", (("target_id", ASCENDING), ("day", ASCENDING)), "daily_stats_target_day"),
    # Hourly arrivals (alert rules' hour windows) are kept for their baseline only.
    IndexSpec("hourly_stats", (("project_id", ASCENDING), ("hour", ASCENDING)), "hourly_stats_project_hour"),
    IndexSpec("hourly_stats", (("target_id", ASCENDING), ("hour", ASCENDING)), "hourly_stats_target_hour"),
    IndexSpec(
        "hourly_stats",
        (("hour", ASCENDING),),
        "hourly_stats_hour_ttl",
        {"expireAfterSeconds": HOURLY_STATS_TTL},
    ),
    # Keyword rules' tallies of their current window (notifications.alerts.evaluation).
    IndexSpec(
        "alert_windows",
        (("created_at", ASCENDING),),
        "alert_windows_created_ttl",
        {"expireAfterSeconds": 3 * 24 * 3600},
    ),
    IndexSpec(
        "request_counters",
        (("created_at", ASCENDING),),
        "request_counters_created_ttl",
        {"expireAfterSeconds": 3 * 24 * 3600},
    ),
    IndexSpec(
        "llm_cache",
        (("created_at", ASCENDING),),
        "llm_cache_created_at_ttl",
        {"expireAfterSeconds": 90 * 24 * 3600},
    ),
]

#: Indexes an earlier version created that a registry index now covers (its keys are a prefix of
#: one above): dropped by the migration that replaced them.
SUPERSEDED = {"results": ("results_project_excluded_created",)}

COMPARED_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")


def specs_for(*collections: str) -> list[IndexSpec]:
    """The registry's indexes of the named collections (what one app's migration applies)."""
    return [spec for spec in SPEC_INDEXES if spec.collection in collections]


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


def missing(db, specs: list[IndexSpec] | None = None) -> list[IndexSpec]:
    """The specs that have no matching index in ``db``."""
    result = []
    for spec in specs if specs is not None else SPEC_INDEXES:
        existing = db[spec.collection].index_information().values()
        if not any(_same(info, spec) for info in existing):
            result.append(spec)
    return result


# --- Validators ---------------------------------------------------------------------

_STRING = {"bsonType": "string"}
_BOOL = {"bsonType": "bool"}
_INT = {"bsonType": ["int", "long"]}
_DATE = {"bsonType": "date"}
_OPTIONAL_DATE = {"bsonType": ["date", "null"]}
_OPTIONAL_STRING = {"bsonType": ["string", "null"]}

# The users collection is validated by the server as well as by the models
# (the other collections are validated by the models only): accounts are the
# data a bug must never corrupt. Extra fields are allowed so that a new model
# field never needs the validator changed first.
USERS_SCHEMA = {
    "bsonType": "object",
    "required": ["email", "password_hash", "created_at"],
    "properties": {
        "email": _STRING,
        "password_hash": _STRING,
        "name": _STRING,
        "company": _STRING,
        "avatar_url": _STRING,
        "role": {"enum": ["user", "admin"]},
        "plan": _STRING,
        "status": {"enum": ["active", "suspended", "deleted"]},
        "settings": {
            "bsonType": "object",
            "properties": {
                "timezone": _STRING,
                "email_notifications": _BOOL,
                "weekly_digest": _BOOL,
                "default_preset": _STRING,
                "results_per_page": _INT,
                "dashboard_layout": {"enum": ["grid", "list"]},
            },
        },
        "oauth": {
            "bsonType": "object",
            "properties": {"google_id": _OPTIONAL_STRING, "github_id": _OPTIONAL_STRING},
        },
        "usage": {
            "bsonType": "object",
            "properties": {
                "projects_count": _INT,
                "scrapes_this_month": _INT,
                "api_calls_this_month": _INT,
                "last_reset_at": _OPTIONAL_DATE,
            },
        },
        "email_verified": _BOOL,
        "email_verified_at": _OPTIONAL_DATE,
        "created_at": _DATE,
        "updated_at": _DATE,
        "last_login_at": _OPTIONAL_DATE,
        "deleted_at": _OPTIONAL_DATE,
    },
}

VALIDATORS: dict[str, dict] = {"users": {"$jsonSchema": USERS_SCHEMA}}


def ensure_validators(db, collections: tuple[str, ...] | None = None) -> list[str]:
    """Install the registry's validators (creating a missing collection) where they differ.

    Returns one line per collection changed: none on a database that already has them.
    """
    report = []
    installed = {info["name"]: info.get("options", {}) for info in db.list_collections()}
    for name, validator in VALIDATORS.items():
        if collections is not None and name not in collections:
            continue
        options = {"validator": validator, "validationLevel": "strict", "validationAction": "error"}
        if name not in installed:
            db.create_collection(name, **options)
        elif any(installed[name].get(key) != value for key, value in options.items()):
            db.command("collMod", name, **options)
        else:
            # Already what the registry says: an unchanged database reports no change.
            continue
        report.append(f"validator {name}")
    return report
