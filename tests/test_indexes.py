"""After `migrate`, every index of the specification exists: model indexes and the registry."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django_mongodb_backend.models import EmbeddedModel
from pymongo import TEXT
from pymongo.errors import OperationFailure

from accounts.models import Role, Status
from sentimatrix import dbindexes
from sentimatrix.mongo import get_db

APPS = ("accounts", "projects", "scraping", "analysis", "notifications")
MODELS = [
    m for app in APPS for m in apps.get_app_config(app).get_models() if not issubclass(m, EmbeddedModel)
]
SPEC_COLLECTIONS = {
    "users",
    "api_keys",
    "audit_logs",
    "projects",
    "targets",
    "schedules",
    "presets",
    "scrape_jobs",
    "webhooks",
    "webhook_deliveries",
    "results",
    "saved_views",  # the explorer's named views, per project
    "report_schedules",  # scheduled reports mailed to people without an account
    "alert_rules",  # what to watch in a project
    "alerts",  # each time a rule fired, with its evidence
    "release_markers",  # dated notes drawn on a project's time charts
}


def indexes(collection: str) -> dict:
    return get_db()[collection].index_information()


def server_has_text_indexes() -> bool:
    """Ask the server: create a text index on a scratch collection."""
    scratch = get_db()["scratch_text_probe"]
    try:
        scratch.create_index([("t", TEXT)])
    except OperationFailure as exc:
        assert exc.code == 67  # CannotCreateIndex: the only acceptable refusal
        return False
    finally:
        scratch.drop()
    return True


def test_models_cover_every_collection_of_the_specification():
    assert {m._meta.db_table for m in MODELS} == SPEC_COLLECTIONS


@pytest.mark.django_db
def test_every_model_index_and_constraint_exists():
    missing = []
    for model in MODELS:
        existing = indexes(model._meta.db_table)
        for name in [i.name for i in model._meta.indexes] + [c.name for c in model._meta.constraints]:
            if name not in existing:
                missing.append(f"{model._meta.db_table}.{name}")
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                unique_keys = [info["key"] for info in existing.values() if info.get("unique")]
                if [(field.column, 1)] not in [list(k) for k in unique_keys]:
                    missing.append(f"{model._meta.db_table}.{field.column} (unique)")
    assert not missing


@pytest.mark.django_db
def test_every_registry_index_exists():
    text_supported = server_has_text_indexes()
    missing = [spec for spec in dbindexes.missing(get_db()) if not (spec.is_text and not text_supported)]
    assert not missing
    present = any("weights" in info for info in indexes("results").values())
    assert present == text_supported


@pytest.mark.django_db
def test_specification_indexes_by_key():
    """The index list of the database-tasks document, phase 2, checked against the server."""
    wanted = {
        "users": [[("email", 1)], [("created_at", -1)], [("oauth.google_id", 1)], [("oauth.github_id", 1)]],
        "projects": [
            [("user_id", 1)],
            [("user_id", 1), ("status", 1)],
            [("created_at", -1)],
            [("config.schedule.next_run_at", 1)],
        ],
        "targets": [
            [("project_id", 1)],
            [("project_id", 1), ("status", 1)],
            [("user_id", 1)],
            [("url", 1)],
            [("project_id", 1), ("platform", 1)],
        ],
        "results": [
            [("project_id", 1), ("created_at", -1)],
            [("target_id", 1), ("created_at", -1)],
            [("user_id", 1)],
            [("scrape_job_id", 1)],
            [("analysis.sentiment.label", 1)],
            [("content.date", -1)],
            [("platform", 1)],
            [("target_id", 1), ("content.platform_id", 1)],
        ],
        "scrape_jobs": [
            [("project_id", 1), ("created_at", -1)],
            [("status", 1)],
            [("user_id", 1)],
            [("created_at", -1)],
        ],
        "schedules": [[("project_id", 1)], [("user_id", 1)], [("enabled", 1), ("next_run", 1)]],
        "api_keys": [[("user_id", 1)], [("user_id", 1), ("provider", 1)]],
        "webhooks": [[("user_id", 1)], [("enabled", 1), ("events", 1)]],
        "webhook_deliveries": [
            [("webhook_id", 1), ("created_at", -1)],
            [("user_id", 1)],
            [("status", 1)],
            [("created_at", 1)],
        ],
        "audit_logs": [
            [("user_id", 1), ("created_at", -1)],
            [("event_type", 1)],
            [("created_at", -1)],
            [("created_at", 1)],
        ],
        "presets": [[("user_id", 1)], [("user_id", 1), ("name", 1)], [("created_at", -1)]],
    }
    absent = []
    for collection, keys in wanted.items():
        existing = [list(info["key"]) for info in indexes(collection).values()]
        absent += [f"{collection} {key}" for key in keys if key not in existing]
    assert not absent


@pytest.mark.django_db
def test_unique_indexes_of_the_specification():
    def unique(collection, key):
        return any(info.get("unique") and list(info["key"]) == key for info in indexes(collection).values())

    assert unique("users", [("email", 1)])
    assert unique("users", [("oauth.google_id", 1)]) and unique("users", [("oauth.github_id", 1)])
    assert unique("schedules", [("project_id", 1)])
    assert unique("presets", [("user_id", 1), ("name", 1)])
    assert unique("results", [("target_id", 1), ("content.platform_id", 1)])


@pytest.mark.django_db
def test_only_alerts_with_a_delivery_under_way_are_in_the_sweeps_partial_index():
    info = indexes("alerts")["alerts_delivering"]
    assert list(info["key"]) == [("delivering", 1)]
    assert info["partialFilterExpression"] == {"delivering": {"$gt": []}}


@pytest.mark.django_db
def test_only_pending_webhook_deliveries_are_in_the_sweeps_partial_index():
    info = indexes("webhook_deliveries")["deliveries_pending"]
    assert list(info["key"]) == [("due_at", 1)]
    assert info["partialFilterExpression"] == {"status": {"$eq": "pending"}}


@pytest.mark.django_db
def test_ttl_indexes_expire_deliveries_after_7_days_and_audit_logs_after_a_year():
    def ttl(collection):
        return {
            info["expireAfterSeconds"]
            for info in indexes(collection).values()
            if list(info["key"]) == [("created_at", 1)] and "expireAfterSeconds" in info
        }

    assert ttl("webhook_deliveries") == {604800}
    assert ttl("audit_logs") == {31536000}


def test_text_index_definition_follows_the_database_document():
    spec = next(s for s in dbindexes.SPEC_INDEXES if s.is_text)
    assert (spec.collection, [k for k, _ in spec.keys]) == ("results", ["content.text", "content.title"])
    assert spec.options["weights"] == {"content.title": 10, "content.text": 5}
    assert spec.options["default_language"] == "english"


@pytest.mark.django_db
def test_ensure_is_idempotent_and_reports_what_it_skipped():
    db = get_db()
    before = {c: indexes(c) for c in SPEC_COLLECTIONS}
    report = dbindexes.ensure(db)
    assert not [line for line in report if line.startswith("created")]
    if not server_has_text_indexes():
        assert report == ["skipped results.results_text: server has no text indexes"]
    assert {c: indexes(c) for c in SPEC_COLLECTIONS} == before


@pytest.mark.django_db
def test_ensure_recreates_a_dropped_index_and_the_command_applies_the_registry(capsys):
    db = get_db()
    db["results"].drop_index("results_content_date_desc")
    call_command("ensure_indexes")
    assert "created results.results_content_date_desc" in capsys.readouterr().out
    assert "results_content_date_desc" in indexes("results")


@pytest.mark.django_db
def test_users_collection_has_the_schema_validator():
    info = get_db().command("listCollections", filter={"name": "users"})["cursor"]["firstBatch"][0]
    validator = info["options"]["validator"]["$jsonSchema"]
    assert validator == dbindexes.USERS_SCHEMA
    assert set(validator["required"]) == {"email", "password_hash", "created_at"}
    # The server's enumerations are the models' choices.
    assert validator["properties"]["role"]["enum"] == Role.values
    assert validator["properties"]["status"]["enum"] == Status.values
    assert info["options"]["validationAction"] == "error"


@pytest.mark.django_db
def test_the_check_reports_no_change_on_an_unchanged_database(capsys):
    # The first run brings the database to the registry (whatever earlier tests left); the
    # second finds nothing to do, neither index nor validator.
    call_command("ensure_indexes")
    capsys.readouterr()
    call_command("ensure_indexes")
    out = capsys.readouterr().out
    assert "indexes checked: no change" in out
    assert "validator users" not in out
    assert not [line for line in out.splitlines() if line.startswith("created")]
    assert dbindexes.ensure_validators(get_db()) == []


@pytest.mark.django_db
def test_a_changed_validator_is_put_back_and_reported_once(capsys):
    db = get_db()
    db.command("collMod", "users", validationLevel="moderate")
    assert dbindexes.ensure_validators(db) == ["validator users"]
    assert dbindexes.ensure_validators(db) == []
    info = db.command("listCollections", filter={"name": "users"})["cursor"]["firstBatch"][0]
    assert info["options"]["validationLevel"] == "strict"
