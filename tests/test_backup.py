"""backup_db / restore_db against the embedded test database."""

import hashlib
import io
import json
import random
import re
import stat
import tarfile
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from bson import Binary, Code, CodecOptions, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.raw_bson import RawBSONDocument
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from scraping.platforms import Platform
from sentimatrix import backup
from sentimatrix.mongo import get_db

RAW = CodecOptions(document_class=RawBSONDocument)
PROBE = "backup_probe"
PROBE_VIEW = "backup_probe_positive"
# Collections this module fills with raw documents; emptied (not dropped) after each test
# because their indexes may come from migrations of their models.
RAW_COLLECTIONS = ("results", "api_keys")
STEAM_APP = "288120"


def steam_reviews() -> list[dict]:
    path = Path(settings.SHARED_DATA_DIR) / "platforms" / "steam" / f"steamreviews_review_{STEAM_APP}.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["reviews"].values())


def result_document(review: dict, *, owner, project, target, job, now: datetime) -> dict:
    """A ``results`` document of the specification's shape built from a recorded Steam review."""
    text = review["review"]
    positive = review["voted_up"]
    score = 0.6 if positive else -0.6
    return {
        "project_id": project,
        "target_id": target,
        "user_id": owner,
        "scrape_job_id": job,
        "content": {
            "text": text,
            "title": None,
            "author": review["author"]["steamid"],
            "rating": 5 if positive else 1,
            "date": datetime.fromtimestamp(review["timestamp_created"], UTC),
            "url": f"https://steamcommunity.com/profiles/{review['author']['steamid']}/recommended/{STEAM_APP}/",
            "platform_id": review["recommendationid"],
        },
        "analysis": {
            "sentiment": {
                "label": "positive" if positive else "negative",
                "score": score,
                "confidence": 0.8,
                "scores": {
                    "very_positive": 0.3 if positive else 0.0,
                    "positive": 0.5 if positive else 0.1,
                    "neutral": 0.1,
                    "negative": 0.1 if positive else 0.5,
                    "very_negative": 0.0 if positive else 0.3,
                },
                "analyzed_at": now,
            },
            "insights": {
                "pros": ["gameplay"],
                "cons": [],
                "topics": [{"topic": "price", "sentiment": score}],
            },
        },
        "platform": Platform.STEAM.value,
        "language": review["language"],
        "word_count": len(text.split()),
        "created_at": now - timedelta(days=3),
        "updated_at": now,
    }


def probe_documents(now: datetime) -> list[dict]:
    """Documents with every BSON type a backup must carry unchanged."""
    return [
        {
            "_id": ObjectId(),
            "name": "types",
            "when": now,
            "before_epoch": datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC),
            "int32": 7,
            "int64": Int64(2**40),
            "double": 0.1,
            "decimal": Decimal128(Decimal("12.3400")),
            "bytes": Binary(b"\x00\xffnonce", 0),
            "uuid": Binary.from_uuid(uuid.UUID(int=42)),
            "md5": Binary(b"0123456789abcdef", 5),
            "regex": Regex("^steam", "i"),
            "ts": Timestamp(1700000000, 3),
            "code": Code("function () { return 1; }"),
            "min": MinKey(),
            "max": MaxKey(),
            "null": None,
            "flag": True,
            "nested": {"a": [1, {"b": [ObjectId(), {"c": now}]}], "empty": {}},
            "label": "positive",
        },
        {"_id": "string-id", "name": "string id", "label": "negative", "expires_at": now + timedelta(days=1)},
        {"_id": 42, "name": "int id", "label": "positive", "tenant": {"key": "acme"}},
    ]


@pytest.fixture
def seeded(db):
    """Spec collections and a probe collection with options, indexes and a view, in the test DB."""
    mongo = get_db()
    now = datetime.now(UTC).replace(microsecond=0)
    owner = User.objects.create(email="owner@example.com", name="Owner", plan="standard")
    User.objects.create(email="other@example.com", plan="enterprise")
    refs = {"owner": owner.pk, "project": ObjectId(), "target": ObjectId(), "job": ObjectId()}
    mongo["results"].insert_many([result_document(r, now=now, **refs) for r in steam_reviews()])
    rng = random.Random(7)
    mongo["api_keys"].insert_many(
        [
            {
                "user_id": owner.pk,
                "name": f"key {i}",
                "provider": provider,
                "encrypted_key": Binary(rng.randbytes(48)),
                "key_nonce": Binary(rng.randbytes(12)),
                "key_tag": Binary(rng.randbytes(16)),
                "masked_key": "sk-...abc123",
                "is_valid": True,
                "created_at": now,
            }
            for i, provider in enumerate(("openai", "groq", "scraperapi"))
        ]
    )
    mongo.create_collection(
        PROBE,
        validator={"$jsonSchema": {"bsonType": "object", "required": ["name"]}},
        validationLevel="strict",
        validationAction="error",
    )
    mongo[PROBE].create_index([("expires_at", 1)], expireAfterSeconds=3600, name="probe_ttl")
    mongo[PROBE].create_index(
        [("tenant.key", 1)],
        unique=True,
        partialFilterExpression={"tenant.key": {"$type": "string"}},
        name="probe_tenant_unique",
    )
    mongo[PROBE].create_index([("label", 1), ("when", -1)], name="probe_label_when")
    mongo[PROBE].insert_many(probe_documents(now))
    mongo.command({"create": PROBE_VIEW, "viewOn": PROBE, "pipeline": [{"$match": {"label": "positive"}}]})
    yield mongo
    mongo.drop_collection(PROBE_VIEW)
    mongo.drop_collection(PROBE)
    for name in RAW_COLLECTIONS:
        mongo[name].delete_many({})


def snapshot(mongo) -> dict:
    """Every backed-up collection: kind, options, indexes and the raw bytes of every document."""
    state = {}
    for info in mongo.list_collections():
        name = info["name"]
        if name in backup.SKIPPED_COLLECTIONS or name.startswith("system."):
            continue
        entry = {"type": info.get("type", "collection"), "options": info.get("options", {})}
        if entry["type"] == "collection":
            coll = mongo.get_collection(name, codec_options=RAW)
            entry["documents"] = [bytes(doc.raw) for doc in coll.find().sort("_id", 1)]
            entry["indexes"] = sorted(
                (
                    {**{k: v for k, v in spec.items() if k != "ns"}, "key": list(spec["key"].items())}
                    for spec in mongo[name].list_indexes()
                ),
                key=lambda spec: spec["name"],
            )
        state[name] = entry
    return state


def take_backup(out_dir: Path, **options) -> Path:
    call_command("backup_db", out=str(out_dir), stdout=io.StringIO(), **options)
    archives = sorted(p for p in out_dir.iterdir() if backup.archive_time(p.name))
    assert archives, "backup_db wrote no archive"
    return archives[-1]


def restore(archive: Path, drop: bool = False) -> str:
    out = io.StringIO()
    call_command("restore_db", str(archive), drop=drop, stdout=out)
    return out.getvalue()


def rewrite_archive(source: Path, dest: Path, change) -> None:
    """Copy an archive member by member; ``change(name, data)`` returns new bytes or None to omit."""
    with tarfile.open(source, "r:gz") as src, tarfile.open(dest, "w:gz") as out:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_backup_drop_restore_gives_identical_collections(seeded, tmp_path):
    mongo = seeded
    # A broker message for a queue nobody consumes: backups must leave kombu's state out.
    parked = (
        mongo["messages"].insert_one({"queue": f"nobody-{uuid.uuid4().hex}", "payload": "{}"}).inserted_id
    )
    try:
        before = snapshot(mongo)
        archive = take_backup(tmp_path)
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600

        manifest = backup.read_manifest(archive)
        assert manifest.database == mongo.name
        assert manifest.server["version"] == mongo.client.admin.command("buildInfo")["version"]
        assert manifest.application["version"] == backup.application_version() != "unknown"
        assert "messages" in manifest.skipped_collections
        recorded = {c.name: c for c in manifest.collections}
        assert set(recorded) == set(before)
        with tarfile.open(archive, "r:gz") as tar:
            names = tar.getnames()
            assert names[0] == backup.MANIFEST_NAME and "messages.bson" not in names
            for name, entry in before.items():
                if entry["type"] == "view":
                    assert recorded[name].member is None
                    continue
                data = tar.extractfile(recorded[name].member).read()
                # Natural order in the archive, _id order in the snapshot: same documents, same bytes.
                assert sorted(backup._DocumentSplitter(name).feed(data)) == sorted(entry["documents"])
                assert recorded[name].documents == len(entry["documents"])
                assert recorded[name].sha256 == hashlib.sha256(data).hexdigest()

        for name in before:
            mongo.drop_collection(name)
        assert not set(mongo.list_collection_names()) & set(before)

        output = restore(archive)
        assert "restored" in output
        assert snapshot(mongo) == before
        assert mongo["messages"].find_one({"_id": parked}) is not None

        # The types came back as types, not as strings or plain numbers.
        typed = mongo[PROBE].find_one({"name": "types"})
        assert isinstance(typed["_id"], ObjectId)
        assert isinstance(typed["when"], datetime) and isinstance(typed["int64"], Int64)
        assert isinstance(typed["decimal"], Decimal128) and isinstance(typed["ts"], Timestamp)
        assert isinstance(typed["uuid"], Binary) and typed["uuid"].subtype == 4
        assert isinstance(typed["nested"]["a"][1]["b"][0], ObjectId)
        assert [d["_id"] for d in mongo[PROBE_VIEW].find().sort("_id", 1)] == [
            d["_id"] for d in mongo[PROBE].find({"label": "positive"}).sort("_id", 1)
        ]

        # --drop replaces changed, added and removed documents and a dropped index.
        mongo["results"].update_one({}, {"$set": {"content.text": "edited", "analysis": None}})
        mongo["api_keys"].delete_one({})
        mongo[PROBE].insert_one({"name": "extra"})
        mongo[PROBE].drop_index("probe_label_when")
        User.objects.create(email="late@example.com")
        restore(archive, drop=True)
        assert snapshot(mongo) == before
    finally:
        mongo["messages"].delete_one({"_id": parked})


def test_truncated_archive_is_refused_and_data_is_untouched(seeded, tmp_path):
    mongo = seeded
    archive = take_backup(tmp_path)
    expected = {c.member: c.documents for c in backup.read_manifest(archive).collections if c.member}
    # The recorded reviews make results.bson nearly all of the archive: half of it ends inside.
    data = archive.read_bytes()
    cut = tmp_path / "cut" / archive.name
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) // 2])
    before = snapshot(mongo)

    with pytest.raises(CommandError) as refused:
        restore(cut, drop=True)

    match = re.fullmatch(r"archive is truncated: (\S+) has (\d+) of (\d+) documents", str(refused.value))
    assert match, str(refused.value)
    member, found, total = match.group(1), int(match.group(2)), int(match.group(3))
    assert member == "results.bson"
    assert total == expected[member] and found < total
    assert snapshot(mongo) == before


def test_damaged_or_tampered_archives_are_refused_and_data_is_untouched(seeded, tmp_path):
    mongo = seeded
    archive = take_backup(tmp_path)
    before = snapshot(mongo)
    manifest = backup.read_manifest(archive)
    results_count = next(c.documents for c in manifest.collections if c.name == "results")

    def edit_text(name, data):
        # Same length, one letter changed inside a review text: only the checksum can tell.
        if name != "results.bson":
            return data
        at = data.index(b"game")
        return data[:at] + b"gaMe" + data[at + 4 :]

    def drop_last_document(name, data):
        if name != "results.bson":
            return data
        docs = backup._DocumentSplitter(name).feed(data)
        return b"".join(docs[:-1])

    def omit_users(name, data):
        return None if name == "users.bson" else data

    def inflate_count(name, data):
        if name != backup.MANIFEST_NAME:
            return data
        body = json.loads(data)
        for entry in body["collections"]:
            if entry["name"] == "results":
                entry["documents"] += 1
        return json.dumps(body).encode()

    cases = {
        "edited": (edit_text, "archive is damaged or tampered with: results.bson does not match the sha256"),
        "short": (
            drop_last_document,
            f"archive is damaged or tampered with: results.bson has {results_count - 1} documents, "
            f"its manifest records {results_count}",
        ),
        "omitted": (omit_users, "archive is truncated: users.bson is missing"),
        "count": (
            inflate_count,
            f"archive is damaged or tampered with: results.bson has {results_count} documents, "
            f"its manifest records {results_count + 1}",
        ),
    }
    for label, (change, message) in cases.items():
        bad = tmp_path / label / archive.name
        bad.parent.mkdir()
        rewrite_archive(archive, bad, change)
        with pytest.raises(CommandError) as refused:
            restore(bad, drop=True)
        assert str(refused.value).startswith(message), (label, str(refused.value))

    not_gzip = tmp_path / "plain.tar.gz"
    not_gzip.write_bytes(b"this is not an archive")
    with pytest.raises(CommandError, match="archive is not a gzip file"):
        restore(not_gzip, drop=True)
    assert snapshot(mongo) == before


def test_restore_without_drop_refuses_collections_that_hold_documents(seeded, tmp_path):
    mongo = seeded
    archive = take_backup(tmp_path)
    before = snapshot(mongo)
    with pytest.raises(CommandError) as refused:
        restore(archive)
    message = str(refused.value)
    assert message.startswith("refusing to restore: these collections already hold documents:")
    for name in ("results", "users", "api_keys", PROBE):
        count = mongo[name].count_documents({})
        assert f"{name} ({count} documents)" in message
    assert "--drop" in message
    assert snapshot(mongo) == before


def test_retention_deletes_only_old_archives_of_the_name_pattern(db, tmp_path):
    now = datetime.now(UTC)
    ages = {
        days: tmp_path / backup.archive_name(now - timedelta(days=days, hours=1)) for days in (30, 8, 6, 1)
    }
    others = [
        tmp_path / "notes.txt",
        tmp_path / (backup.archive_name(now - timedelta(days=40)) + ".partial"),
        tmp_path / backup.archive_name(now - timedelta(days=40)).replace("sentimatrix_studio", "other_app"),
    ]
    for path in [*ages.values(), *others]:
        path.write_bytes(b"old")

    out = io.StringIO()
    call_command("backup_db", out=str(tmp_path), stdout=out)  # default retention: 7 days

    remaining = set(tmp_path.iterdir())
    for days, path in ages.items():
        assert (path in remaining) == (days < backup.DEFAULT_RETENTION_DAYS), days
        if days >= backup.DEFAULT_RETENTION_DAYS:
            assert f"removed old archive {path.name}" in out.getvalue()
    assert all(path in remaining for path in others)
    fresh = [p for p in remaining if backup.archive_time(p.name) and p.read_bytes() != b"old"]
    assert len(fresh) == 1
    backup.verify_archive(fresh[0])

    call_command("backup_db", out=str(tmp_path / "other"), retention=0, stdout=io.StringIO())
    # Retention in another directory never reaches this one.
    assert set(tmp_path.iterdir()) - {tmp_path / "other"} == remaining
