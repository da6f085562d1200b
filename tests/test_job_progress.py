"""One formula for a job's progress: its page, its progress partial and the API agree."""

import pytest

from api.serializers import JobSerializer
from scraping.models import JobStatus, JobTarget, ScrapeJob
from scraping.presenters import job_summary


def job(status, progresses, stored=0):
    return ScrapeJob(
        status=status, progress=stored, targets=[JobTarget(status=status, progress=p) for p in progresses]
    )


@pytest.mark.parametrize(
    ("status", "progresses", "stored", "expected"),
    [
        (JobStatus.RUNNING, [40, 100, 100], 0, 80),
        (JobStatus.RUNNING, [0, 1], 0, 0),  # 0.5 rounds to even
        (JobStatus.RUNNING, [], 30, 30),  # no target line yet: what the job says
        (JobStatus.QUEUED, [], 0, 0),
        (JobStatus.COMPLETED, [40], 40, 100),
        (JobStatus.FAILED, [10, 20], 15, 100),
        (JobStatus.CANCELLED, [], 0, 100),
    ],
)
def test_the_page_and_the_api_show_the_same_progress(status, progresses, stored, expected):
    scrape = job(status, progresses, stored)
    assert scrape.overall_progress == expected
    assert job_summary(scrape).progress == expected
    assert JobSerializer().get_progress(scrape) == expected
