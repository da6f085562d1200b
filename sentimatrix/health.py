"""Liveness of the database and the broker, for load balancers and operators.

Anyone may ask whether the service is up (:func:`public_status`, :func:`public_database_report`);
versions, transports and collection counts describe the deployment to an attacker, so only staff
get :func:`overall` and :func:`database_report`.
"""

import pymongo
from django.conf import settings
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from sentimatrix.celery import app
from sentimatrix.mongo import get_db


def database_status() -> dict:
    try:
        client = get_db().client
        client.admin.command("ping")
        info = client.admin.command("buildInfo")
        return {"ok": True, "version": info.get("version", "")}
    except PyMongoError as exc:
        return {"ok": False, "error": type(exc).__name__}


def broker_status(timeout: float = 3.0) -> dict:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return {"ok": True, "transport": conn.transport_cls if isinstance(conn.transport_cls, str) else ""}
    except Exception as exc:  # kombu raises transport-specific errors
        return {"ok": False, "error": type(exc).__name__}


def overall() -> dict:
    db = database_status()
    broker = broker_status()
    return {
        "status": "ok" if db["ok"] and broker["ok"] else "degraded",
        "database": db,
        "broker": broker,
        "embedded_database": settings.USING_EMBEDDED_DB,
    }


def public_status() -> dict:
    """What /health/ tells anyone: up or degraded, and which of database and broker answer."""
    report = overall()
    return {
        "status": report["status"],
        "database": {"ok": report["database"]["ok"]},
        "broker": {"ok": report["broker"]["ok"]},
    }


# The collections of the specification, reported by ``/health/db``.
SPEC_COLLECTIONS = (
    "users",
    "projects",
    "targets",
    "scrape_jobs",
    "results",
    "schedules",
    "api_keys",
    "webhooks",
    "webhook_deliveries",
    "audit_logs",
    "refresh_tokens",
    "presets",
)


def has_text_index(coll) -> bool:
    """True when the collection has a text index (stored as ``_fts``/``_ftsx`` with weights)."""
    return any("weights" in info or "_fts" in info.get("key", {}) for info in coll.list_indexes())


def database_report(timeout: float = 5.0) -> dict:
    """Connection status, server version, document counts of the specification's collections
    and whether ``results`` has a native text index.

    Only those facts: no URI, host, port, user or error text (which can name the host) is
    returned; a failure reports the exception's class name.
    """
    try:
        # Bounds server selection too, so an unreachable database answers within the timeout.
        with pymongo.timeout(timeout):
            db = get_db()
            db.client.admin.command("ping")
            version = db.client.admin.command("buildInfo").get("version", "")
            present = set(db.list_collection_names())
            counts = {
                name: db[name].estimated_document_count() if name in present else 0
                for name in SPEC_COLLECTIONS
            }
            text_native = "results" in present and has_text_index(db["results"])
    except (PyMongoError, DatabaseError) as exc:
        return {"status": "error", "connected": False, "error": type(exc).__name__}
    return {
        "status": "ok",
        "connected": True,
        "server_version": version,
        "collections": counts,
        "missing_collections": [name for name in SPEC_COLLECTIONS if name not in present],
        "text_search_native": text_native,
    }


def public_database_report(timeout: float = 5.0) -> dict:
    """What /health/db tells anyone who is not staff: whether the database answers."""
    report = database_report(timeout)
    return {"status": report["status"], "connected": report["connected"]}
