"""Results ingested per second from recorded Steam reviews played by a local server.

    .venv/bin/python bench/ingest_rate.py [--reviews 5000] [--targets 10]

1. One target of N reviews, collected in this process (rate-limit delay 0).
2. T targets of N reviews each in parallel, run by one real worker with 2 processes.
3. Writing the same N documents three ways: the ORM (``bulk_create``), the collector path
   (``results_store.write_items``: idempotent bulk upserts) and a raw ``insert_many``.
"""

from __future__ import annotations

import argparse
import time

from common import embedded_django, local_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--targets", type=int, default=10)
    args = parser.parse_args()
    with embedded_django("ingest"), local_server() as server:
        run(server, args.reviews, args.targets)


def run(server, reviews: int, targets: int) -> None:
    from django.conf import settings

    from analysis.models import Result
    from scraping import jobs
    from scraping.models import ScrapeJob
    from sentimatrix.mongo import collection
    from tests.conftest import playback_env
    from tests.factories import add_steam_target, make_project, make_user
    from tests.playback import serve_steam
    from tests.workers import WorkerProcess

    base = server.url_for("").rstrip("/")
    settings.PLATFORM_BASE_URLS = {**settings.PLATFORM_BASE_URLS, "steam": base}
    for n in range(targets + 1):
        serve_steam(server, 900000 + n, count=reviews, page_size=100)
    user = make_user("bench@example.com", plan="enterprise")

    # 1. One target, in this process.
    project = make_project(
        user, "single", max_reviews_per_target=reviews, max_requests_per_day=100000, rate_limit_delay=0
    )
    target = add_steam_target(project, 900000)
    job = jobs.start_job(project, triggered_by=user)
    started = time.perf_counter()
    jobs.run_target(job.pk, target.pk)
    single = time.perf_counter() - started
    stored = Result.objects.filter(target=target).count()
    print(f"one target:        {stored} results in {single:.2f}s = {stored / single:,.0f} results/s")

    # 2. Parallel targets with a real worker (2 processes).
    project = make_project(
        user, "parallel", max_reviews_per_target=reviews, max_requests_per_day=100000, rate_limit_delay=0
    )
    for n in range(1, targets + 1):
        add_steam_target(project, 900000 + n)
    import tempfile
    from pathlib import Path

    worker = WorkerProcess(
        Path(tempfile.mkdtemp()) / "worker.log", concurrency=2, queues="scrape", **playback_env(server)
    )
    try:
        worker.wait_ready()
        started = time.perf_counter()
        job = jobs.start_job(project, triggered_by=user)
        while not ScrapeJob.objects.get(pk=job.pk).is_finished:
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
    stored = Result.objects.filter(project=project).count()
    print(
        f"{targets} targets, 2 workers: {stored} results in {elapsed:.2f}s = {stored / elapsed:,.0f} results/s"
    )

    # 3. ORM against raw pymongo for the same documents.
    from bson import ObjectId

    from analysis.models import Content
    from scraping.collectors.base import CollectedItem
    from scraping.collectors.steam import SteamCollector  # noqa: F401 - same mapping as the runs
    from scraping.results_store import TargetRef, result_document, write_items

    ref = TargetRef(project.pk, target.pk, user.pk, "steam")
    items = [
        CollectedItem(platform_id=f"b{i}", text=f"review number {i} " * 8, author="a", rating=5.0)
        for i in range(reviews)
    ]
    from django.utils import timezone

    now = timezone.now()
    collection("results").delete_many({"target_id": target.pk})
    started = time.perf_counter()
    Result.objects.bulk_create(
        [
            Result(
                project=project,
                target=target,
                user=user,
                platform="steam",
                content=Content(platform_id=i.platform_id, text=i.text, author=i.author, rating=i.rating),
            )
            for i in items
        ],
        batch_size=1000,
    )
    orm = time.perf_counter() - started
    collection("results").delete_many({"target_id": target.pk})
    started = time.perf_counter()
    for start in range(0, reviews, 100):
        write_items(items[start : start + 100], ref, None)
    upserts = time.perf_counter() - started
    collection("results").delete_many({"target_id": target.pk})
    docs = [{**result_document(i, ref, None, now), "_id": ObjectId()} for i in items]
    started = time.perf_counter()
    collection("results").insert_many(docs, ordered=False)
    raw = time.perf_counter() - started
    print(
        f"write {reviews} docs: ORM bulk_create {orm:.2f}s, collector upserts {upserts:.2f}s, raw insert_many {raw:.2f}s"
    )
    print(f"ratio ORM/raw = {orm / raw:.2f}, collector upserts/raw = {upserts / raw:.2f}")


if __name__ == "__main__":
    main()
