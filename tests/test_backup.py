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
from allauth.account.models import EmailAddress, EmailConfirmation
from bson import Binary, Code, CodecOptions, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.raw_bson import RawBSONDocument
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from projects.platforms import Platform
from sentimatrix import backup
from sentimatrix.backup import archive_format, encryption
from sentimatrix.backup.archive_format import DocumentSplitter
from sentimatrix.crypto import generate_key_spec, parse_keys
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
                assert sorted(DocumentSplitter(name).feed(data)) == sorted(entry["documents"])
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
        docs = DocumentSplitter(name).feed(data)
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


# --- What a backup leaves out -----------------------------------------------------------

PASSWORD = "a-long-admin-password-42"


def signed_in_admin(client) -> tuple[User, str]:
    """An admin signed in through the authentication backends: a real session and its key."""
    admin = User.objects.create_superuser("admin@example.com", PASSWORD)
    assert client.login(email=admin.email, password=PASSWORD)
    return admin, client.cookies[settings.SESSION_COOKIE_NAME].value


def signs_in(session_key: str) -> bool:
    """Whether a browser holding nothing but this session key reaches a signed-in page."""
    stranger = Client()
    stranger.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return stranger.get(reverse("projects:list")).status_code == 200


def archive_contents(archive: Path) -> tuple[list[str], bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        return [m.name for m in members], b"".join(tar.extractfile(m).read() for m in members)


def test_backup_holds_no_session_or_confirmation_key_that_signs_in(db, client, tmp_path):
    mongo = get_db()
    admin, session_key = signed_in_admin(client)
    assert signs_in(session_key)  # the credential an archive must not hand out
    address = EmailAddress.objects.create(user=admin, email="second@example.com", verified=False)
    confirmation = EmailConfirmation.create(address)
    cache.set(f"login-lockout:{admin.email}", True, 300)
    # The other left-out collections hold a marked document, so each one is seen left out. Not
    # kombu's routing, fanout and queue tables: a worker later in the session reads those (and
    # needs the fanout one capped), while a message for a queue nobody consumes is harmless.
    marker = f"left-out-{uuid.uuid4().hex}"
    filled = sorted(
        backup.SKIPPED_COLLECTIONS
        - {"django_session", "django_cache", "messages.broadcast", "messages.routing", "messages.queues"}
    )
    for name in filled:
        mongo[name].insert_one({"marker": marker, "queue": f"nobody-{marker}"})
    try:
        archive = take_backup(tmp_path)
        names, blob = archive_contents(archive)
    finally:
        for name in filled:
            mongo[name].delete_many({"marker": marker})

    for secret in (session_key, confirmation.key, marker, "login-lockout"):
        assert secret.encode() not in blob, secret
    manifest = backup.read_manifest(archive)
    assert set(manifest.skipped_collections) == set(backup.SKIPPED_COLLECTIONS) & set(
        mongo.list_collection_names()
    )
    assert {"django_session", "django_cache", *filled} <= set(manifest.skipped_collections)
    assert not {f"{name}.bson" for name in backup.SKIPPED_COLLECTIONS} & set(names)
    # What an account needs is there: the user, its addresses, its migrations.
    assert {"users.bson", "account_emailaddress.bson", "django_migrations.bson"} <= set(names)
    assert admin.email.encode() in blob
    assert signs_in(session_key)


def test_restore_leaves_out_sessions_held_by_an_older_archive(db, client, tmp_path, monkeypatch):
    admin, session_key = signed_in_admin(client)
    with monkeypatch.context() as earlier_version:
        earlier_version.setattr(archive_format, "SKIPPED_COLLECTIONS", frozenset())
        archive = take_backup(tmp_path)
    assert "django_session.bson" in archive_contents(archive)[0]
    client.logout()
    assert not signs_in(session_key)

    output = restore(archive, drop=True)

    assert re.search(r"left out.*django_session", output), output
    assert not signs_in(session_key)
    assert User.objects.get(email=admin.email).check_password(PASSWORD)


# --- Encrypted archives --------------------------------------------------------------------


def encrypted_layout(data: bytes) -> tuple[int, int]:
    """(offset of the first encrypted block, block size) of an encrypted archive."""
    assert data.startswith(backup.ENCRYPTED_MAGIC)
    at = len(backup.ENCRYPTED_MAGIC)
    header_size = int.from_bytes(data[at : at + 4], "big")
    header = json.loads(data[at + 4 : at + 4 + header_size])
    return at + 4 + header_size, header["chunk_bytes"] + 16


@pytest.fixture
def encrypting(settings, monkeypatch):
    """A backup key in the settings, and blocks small enough that an archive spans many."""
    monkeypatch.setattr(encryption, "ENCRYPTION_CHUNK_BYTES", 16 * 1024)
    settings.BACKUP_ENCRYPTION_KEYS = generate_key_spec("b1")
    return settings


def test_encrypted_archive_round_trip(seeded, encrypting, tmp_path):
    mongo = seeded
    before = snapshot(mongo)
    archive = take_backup(tmp_path)
    assert archive.name.endswith(".tar.gz.enc") and backup.archive_time(archive.name)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    data = archive.read_bytes()
    start, block = encrypted_layout(data)
    assert (len(data) - start) // block >= 3
    with pytest.raises(tarfile.ReadError), tarfile.open(archive):
        pass
    for plain in (b"results.bson", b"owner@example.com", b"sk-...abc123", b'"format_version"'):
        assert plain not in data

    manifest = backup.verify_archive(archive)
    assert {c.name for c in manifest.collections} == set(before)
    mongo["results"].update_one({}, {"$set": {"content.text": "edited"}})
    mongo[PROBE].insert_one({"name": "extra"})
    assert "restored" in restore(archive, drop=True)
    assert snapshot(mongo) == before

    # A newer key in front of it (rotation) still reads an archive of the older one.
    encrypting.BACKUP_ENCRYPTION_KEYS = f"{generate_key_spec('b2')},{encrypting.BACKUP_ENCRYPTION_KEYS}"
    assert backup.verify_archive(archive).total_documents == manifest.total_documents


def test_tampered_encrypted_archives_are_refused_and_data_is_untouched(seeded, encrypting, tmp_path):
    mongo = seeded
    archive = take_backup(tmp_path)
    before = snapshot(mongo)
    data = archive.read_bytes()
    start, block = encrypted_layout(data)
    second = start + block
    header_at = len(backup.ENCRYPTED_MAGIC) + 4

    cases = {
        "flipped": (
            data[: second + 100] + bytes([data[second + 100] ^ 1]) + data[second + 101 :],
            "archive is damaged or tampered with: encrypted block 2 fails its authentication",
        ),
        "swapped": (
            data[:start] + data[second : second + block] + data[start:second] + data[second + block :],
            "archive is damaged or tampered with: encrypted block 1 fails its authentication",
        ),
        # The final block is always shorter than the others: this drops it whole.
        "cut at a block": (
            data[: len(data) - (len(data) - start) % block],
            "archive is truncated: it ends after encrypted block",
        ),
        "cut inside a block": (
            data[: second + 1000],
            "archive is damaged or tampered with: encrypted block 2",
        ),
        "header edited": (
            data[:header_at] + data[header_at:start].replace(b"AES-256-GCM", b"AES-256-GCX") + data[start:],
            "archive is damaged or tampered with: encrypted block 1 fails its authentication",
        ),
    }
    for label, (content, message) in cases.items():
        bad = tmp_path / label / archive.name
        bad.parent.mkdir()
        bad.write_bytes(content)
        with pytest.raises(CommandError) as refused:
            restore(bad, drop=True)
        assert str(refused.value).startswith(message), (label, str(refused.value))
    assert snapshot(mongo) == before


def test_encrypted_archive_needs_its_key(seeded, encrypting, tmp_path):
    mongo = seeded
    archive = take_backup(tmp_path)
    before = snapshot(mongo)
    cases = {
        "": "archive is encrypted (key 'b1'): set BACKUP_ENCRYPTION_KEYS to the key it was written with",
        generate_key_spec("b1"): "wrong key: the BACKUP_ENCRYPTION_KEYS entry 'b1' is not the key",
        generate_key_spec(
            "b9"
        ): "archive is encrypted with key 'b1', which BACKUP_ENCRYPTION_KEYS does not hold",
    }
    for keys, message in cases.items():
        encrypting.BACKUP_ENCRYPTION_KEYS = keys
        with pytest.raises(CommandError) as refused:
            restore(archive, drop=True)
        assert str(refused.value).startswith(message), (keys, str(refused.value))
    assert snapshot(mongo) == before

    out = io.StringIO()
    call_command("backup_db", generate_key=True, stdout=out)
    generated = out.getvalue().strip()
    assert len(parse_keys(generated)) == 1 and generated != encrypting.BACKUP_ENCRYPTION_KEYS
    assert not (tmp_path / "other").exists()

    encrypting.BACKUP_ENCRYPTION_KEYS = "b1:c2hvcnQ"  # "short"
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEYS: encryption key 'b1' must be 32 bytes"):
        take_backup(tmp_path / "other")
