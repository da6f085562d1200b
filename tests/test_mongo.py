"""Raw reads answer aware UTC datetimes, like the ORM; external dates are made UTC by one helper."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from scraping.models import JobOptions, ScrapeJob
from sentimatrix.mongo import collection, get_db
from sentimatrix.timeutil import as_utc

WHEN = datetime(2025, 3, 14, 9, 30, 15, 123000, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))


@pytest.fixture
def job(project):
    job = ScrapeJob(project=project, user_id=project.user_id, options=JobOptions(date_from=WHEN))
    job.save(force_insert=True)
    return job


@pytest.mark.django_db
def test_raw_reads_answer_the_stored_instant_as_an_aware_utc_datetime(job):
    doc = collection("scrape_jobs").find_one({"_id": job.pk})

    assert doc["options"]["date_from"] == WHEN
    assert doc["options"]["date_from"].tzinfo == UTC
    assert doc["created_at"].tzinfo == UTC
    assert get_db()["scrape_jobs"].find_one({"_id": job.pk})["created_at"] == doc["created_at"]
    # A raw read compares with the ORM's reading of the same field, and with now.
    assert doc["created_at"] == ScrapeJob.objects.get(pk=job.pk).created_at
    assert doc["created_at"] <= datetime.now(UTC)


@pytest.mark.django_db
def test_a_raw_read_date_goes_back_through_the_orm_and_into_queries_unchanged(job):
    doc = collection("scrape_jobs").find_one({"_id": job.pk})
    job.completed_at = doc["options"]["date_from"]
    job.save(update_fields=["completed_at"])

    assert ScrapeJob.objects.get(pk=job.pk).completed_at == WHEN
    assert ScrapeJob.objects.filter(completed_at=doc["options"]["date_from"]).count() == 1
    assert collection("scrape_jobs").count_documents({"completed_at": doc["options"]["date_from"]}) == 1
    assert collection("scrape_jobs").find_one({"_id": job.pk})["completed_at"] == WHEN


def test_as_utc_takes_a_naive_date_as_utc_and_converts_an_aware_one():
    assert as_utc(WHEN.replace(tzinfo=None)) == WHEN
    assert as_utc(WHEN.replace(tzinfo=None)).tzinfo == UTC
    berlin = WHEN.astimezone(BERLIN_WINTER)
    assert as_utc(berlin) == WHEN
    assert as_utc(berlin).tzinfo == UTC
    assert (as_utc(berlin).hour, berlin.hour) == (9, 10)
    assert as_utc(WHEN) == WHEN
