"""Liveness of the database and the broker, for load balancers and operators."""

from django.conf import settings
from pymongo.errors import PyMongoError

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
    from sentimatrix.celery import app

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
        "embedded_database": settings.EMBEDDED_DB is not None,
    }
