"""GET /health/db: status, server version, counts, text search; nothing about where the server is."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from django.conf import settings
from pymongo import MongoClient

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


def test_health_db_reports_counts_and_no_native_text_search(client, some_results):
    mongo = some_results
    response = client.get("/health/db")
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
    # The embedded server has no text indexes.
    assert body["text_search_native"] is False
    assert set(body) == {
        "status",
        "connected",
        "server_version",
        "collections",
        "missing_collections",
        "text_search_native",
    }
    assert_no_location(response.content.decode(), settings.EMBEDDED_DB.port)


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
