"""The per-project daily request counter holds when targets start together."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson import ObjectId

from scraping import runner

pytestmark = pytest.mark.django_db(transaction=True)
TARGETS = 12


def first_pages_together(project_id) -> list[bool]:
    """Every target's first count of the day, at the same moment."""
    start = threading.Barrier(TARGETS)

    def first_page(_):
        start.wait()
        return runner.take_requests(project_id, 2, daily_cap=1000)

    with ThreadPoolExecutor(max_workers=TARGETS) as pool:
        return list(pool.map(first_page, range(TARGETS)))


def test_targets_counting_their_first_requests_together_all_get_an_answer():
    for _ in range(10):
        project_id = ObjectId()
        assert first_pages_together(project_id) == [True] * TARGETS
        assert runner.requests_left_today(project_id, 1000) == 1000 - 2 * TARGETS
