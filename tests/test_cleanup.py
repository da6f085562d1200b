"""manage.py cleanup: plan retention of results, 30 days for scrape jobs."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from django.core.management import call_command

from accounts import data, plans
from accounts.models import User
from analysis import retention
from projects.platforms import Platform
from sentimatrix.mongo import get_db
from tests.factories import make_user

TOUCHED = ("results", "scrape_jobs")


def result(owner, created_at, note):
    doc = {
        "project_id": ObjectId(),
        "target_id": ObjectId(),
        "scrape_job_id": ObjectId(),
        "content": {"text": f"review {note}", "platform_id": note},
        "platform": Platform.REDDIT.value,
        "note": note,
    }
    if owner is not ...:
        doc["user_id"] = owner
    if created_at is not None:
        doc["created_at"] = created_at
    return doc


@pytest.fixture
def aged_data(db):
    """Results on both sides of each owner's retention and jobs on both sides of 30 days.

    Returns the notes of the documents cleanup must remove, per collection.
    """
    mongo = get_db()
    now = datetime.now(UTC)
    owners = {key: User.objects.create(email=f"{key}@example.com", plan=key) for key in plans.PLANS}
    # A plan key no longer offered falls back to the default plan, as everywhere else.
    owners["retired"] = User.objects.create(email="retired@example.com", plan="retired-plan")
    docs, expired = [], set()
    for key, user in owners.items():
        days = plans.get_plan(user.plan).retention_days
        docs.append(result(user.pk, now - timedelta(days=days - 1), f"{key}-kept"))
        docs.append(result(user.pk, now - timedelta(days=days + 1), f"{key}-expired"))
        expired.add(f"{key}-expired")
    days = retention.DEFAULT_RESULT_RETENTION_DAYS
    gone = ObjectId()  # an owner whose account no longer exists
    docs += [
        result(gone, now - timedelta(days=days - 1), "orphan-kept"),
        result(gone, now - timedelta(days=days + 1), "orphan-expired"),
        result(..., now - timedelta(days=days + 1), "ownerless-expired"),
        result(None, now - timedelta(days=days + 1), "null-owner-expired"),
        result(owners["starter"].pk, None, "undated-kept"),
    ]
    expired |= {"orphan-expired", "ownerless-expired", "null-owner-expired"}
    mongo["results"].insert_many(docs)

    jobs = []
    for status in ("completed", "failed", "running"):
        for age, kind in (
            (retention.JOB_RETENTION_DAYS - 1, "kept"),
            (retention.JOB_RETENTION_DAYS + 1, "expired"),
        ):
            jobs.append(
                {"status": status, "created_at": now - timedelta(days=age), "note": f"{status}-{kind}"}
            )
    jobs.append({"status": "queued", "note": "undated-kept"})
    mongo["scrape_jobs"].insert_many(jobs)
    expired_jobs = {job["note"] for job in jobs if job["note"].endswith("-expired")}
    yield mongo, {"results": expired, "scrape_jobs": expired_jobs}
    for name in TOUCHED:
        mongo[name].delete_many({})


def notes(mongo, name):
    return {doc["note"] for doc in mongo[name].find({}, {"note": 1})}


def test_dry_run_counts_and_deletes_nothing(aged_data):
    mongo, expired = aged_data
    before = {name: notes(mongo, name) for name in TOUCHED}
    users = mongo["users"].count_documents({})
    out = io.StringIO()
    call_command("cleanup", dry_run=True, stdout=out)
    text = out.getvalue()
    assert f"results: would remove {len(expired['results'])}" in text
    assert f"scrape_jobs: would remove {len(expired['scrape_jobs'])}" in text
    assert "dry run" in text
    assert {name: notes(mongo, name) for name in TOUCHED} == before
    assert mongo["users"].count_documents({}) == users


def test_cleanup_removes_exactly_what_retention_allows(aged_data):
    mongo, expired = aged_data
    before = {name: notes(mongo, name) for name in TOUCHED}
    users = sorted(mongo["users"].find(), key=lambda u: u["_id"])
    out = io.StringIO()
    call_command("cleanup", stdout=out)
    text = out.getvalue()
    for name in TOUCHED:
        assert notes(mongo, name) == before[name] - expired[name]
        assert f"{name}: removed {len(expired[name])}" in text
    for key in plans.PLANS:
        plan = plans.get_plan(key)
        owners = 2 if key == plans.DEFAULT_PLAN else 1  # the retired plan counts as the default
        assert (
            f"results of {plan.label} plan users ({owners} users, {plan.retention_days} days): removed"
            in text
        )
    assert sorted(mongo["users"].find(), key=lambda u: u["_id"]) == users

    # A second run finds nothing left to remove.
    again = retention.purge_expired()
    assert again.results_removed == 0 and again.scrape_jobs_removed == 0


@pytest.mark.django_db
def test_deleted_accounts_are_purged_after_the_grace_period_freeing_the_email():
    old, recent = make_user("old@example.com"), make_user("recent@example.com")
    data.erase_user(old)
    data.erase_user(recent)
    User.objects.filter(pk=old.pk).update(deleted_at=datetime.now(UTC) - timedelta(days=31))
    report = retention.purge_expired()
    assert report.accounts_purged == 1
    assert not User.objects.filter(email="old@example.com").exists()
    assert User.objects.filter(email="recent@example.com").exists()
    # The address can be used again.
    make_user("old@example.com")
