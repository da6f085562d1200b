"""GET /health/db: status, server version, counts, text search; nothing about where the server is.

The counts and versions are for staff; anyone else (load balancers, monitors, visitors) gets
whether the database answers and nothing more, on /health/db and /health/ alike.
"""

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from django.conf import settings
from pymongo import MongoClient

from accounts.models import User
from sentimatrix import embedded_db, health
from sentimatrix.mongo import get_db


def assert_no_location(text: str, port: int) -> None:
    for secret in (settings.MONGODB_URI, "mongodb://", "127.0.0.1", "localhost", str(port)):
        assert secret not in text, secret


@pytest.fixture
def some_results(db):
    mongo = get_db()
    now = datetime.now(UTC)
    mongo["results"].insert_many(
        [
            {
                "target_id": ObjectId(),
                "content": {"text": f"review {i}", "platform_id": str(i)},
                "created_at": now,
            }
            for i in range(3)
        ]
    )
    mongo["scrape_jobs"].insert_one({"status": "completed", "created_at": now})
    yield mongo
    mongo["results"].delete_many({})
    mongo["scrape_jobs"].delete_many({})


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("ops@example.com", "an-operator-password-1"))
    return client


def test_health_db_reports_counts_and_whether_text_search_is_native(staff_client, some_results):
    mongo = some_results
    response = staff_client.get("/health/db")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok" and body["connected"] is True
    assert body["server_version"] == mongo.client.admin.command("buildInfo")["version"]
    assert list(body["collections"]) == list(health.SPEC_COLLECTIONS)
    for name, count in body["collections"].items():
        assert count == mongo[name].count_documents({}), name
    assert body["collections"]["results"] == 3
    present = set(mongo.list_collection_names())
    assert body["missing_collections"] == [n for n in health.SPEC_COLLECTIONS if n not in present]
    # Whether results has a text index: never on the embedded server, which has none.
    assert body["text_search_native"] is (
        False if settings.USING_EMBEDDED_DB else health.has_text_index(mongo["results"])
    )
    assert set(body) == {
        "status",
        "connected",
        "server_version",
        "collections",
        "missing_collections",
        "text_search_native",
    }
    assert_no_location(response.content.decode(), mongo.client.address[1])


def test_unreachable_database_reports_only_the_error_class(monkeypatch):
    port = embedded_db._free_port()  # nothing listens there
    client = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=300)
    monkeypatch.setattr(health, "get_db", lambda: client["sentimatrix_studio"])
    try:
        report = health.database_report(timeout=0.5)
    finally:
        client.close()
    assert report == {"status": "error", "connected": False, "error": "ServerSelectionTimeoutError"}
    assert_no_location(str(report), port)


def test_health_db_shows_counts_only_to_staff(client, some_results):
    visitor = client.get("/health/db")
    client.force_login(User.objects.create_user("ana@example.com", "a-user-password-123"))
    signed_in = client.get("/health/db")
    for response in (visitor, signed_in):
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "connected": True}
        assert "results" not in response.content.decode()
        assert response["Cache-Control"].startswith("max-age=0")


def test_health_stays_public_and_minimal(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    # Up or down and nothing else: no server version, transport or deployment details.
    assert response.json() == {"status": "ok", "database": {"ok": True}, "broker": {"ok": True}}

    client.force_login(User.objects.create_superuser("ops@example.com", "an-operator-password-1"))
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["database"]["version"] == get_db().client.admin.command("buildInfo")["version"]
    assert body["embedded_database"] is settings.USING_EMBEDDED_DB
