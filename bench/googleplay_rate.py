"""Google Play results per second through the whole pipeline, on constructed answers served locally.

    .venv/bin/python bench/googleplay_rate.py [--reviews 3000] [--repeat 2]

A local server answers the store's ``batchexecute`` reviews call with generated reviews in the
constructed format (``tests/googleplay_server.py``; 150 a page, as the collector asks) and the
app page with the constructed one. In this process, with a rate-limit delay of 0:

0. collect only: the collector's pages read to the end, nothing stored (the parsing's share);
1. collect + store: a job runs the target (recognised from a pasted link) to the end;
2. analyse: the stored results are analysed by the project's local engine in batches of
   ``ANALYSIS_BATCH_SIZE``, as the analysis worker would;
3. the whole pipeline: results / (collect + store + analyse time).

The best of ``--repeat`` runs is printed (each run a fresh project and target).
"""

from __future__ import annotations

import argparse
import time

from common import embedded_django, local_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with embedded_django("googleplay"), local_server() as server:
        run(server, args.reviews, args.repeat)


def run(server, reviews: int, repeat: int) -> None:
    from django.conf import settings

    from analysis import pipeline
    from projects.services.targets import add_url_target
    from scraping import jobs
    from scraping.models import ScrapeJob
    from sentimatrix.mongo import collection
    from tests.factories import make_project, make_user
    from tests.googleplay_server import PACKAGE, serve_generated

    settings.PLATFORM_BASE_URLS = {
        **settings.PLATFORM_BASE_URLS,
        "googleplay": server.url_for("").rstrip("/"),
    }
    served = serve_generated(server, reviews)
    user = make_user("bench-googleplay@example.com", plan="enterprise")
    best = None
    for attempt in range(repeat):
        project = make_project(
            user,
            f"Google Play {attempt}",
            max_reviews_per_target=reviews,
            max_requests_per_day=100000,
            rate_limit_delay=0,
        )
        target = add_url_target(project, f"https://play.google.com/store/apps/details?id={PACKAGE}")
        calls = len(served.calls)
        job = jobs.start_job(project, triggered_by=user)
        started = time.perf_counter()
        jobs.run_target(job.pk, target.pk)
        collect = time.perf_counter() - started
        entry = ScrapeJob.objects.get(pk=job.pk).targets[0]
        ids = [d["_id"] for d in collection("results").find({"target_id": target.pk}, {"_id": 1})]
        assert len(ids) == entry.results_count == reviews, (len(ids), entry.results_count, entry.error)
        started = time.perf_counter()
        for start in range(0, len(ids), settings.ANALYSIS_BATCH_SIZE):
            pipeline.analyze_results(project.pk, ids[start : start + settings.ANALYSIS_BATCH_SIZE])
        analyse = time.perf_counter() - started
        analysed = collection("results").count_documents(
            {"target_id": target.pk, "analysis.sentiment.label": {"$exists": True}}
        )
        figures = (collect, analyse, len(served.calls) - calls, analysed)
        if best is None or collect + analyse < best[0] + best[1]:
            best = figures
    collect, analyse, requests, analysed = best
    total = collect + analyse
    alone = collect_only(PACKAGE, reviews)
    print(f"Google Play, {reviews} reviews in {requests} review requests (+1 app page for the name):")
    print(f"  collect only:    {alone:.2f}s = {reviews / alone:,.0f} results/s")
    print(f"  collect + store: {collect:.2f}s = {reviews / collect:,.0f} results/s")
    print(
        f"  analyse (local engine, {analysed} analysed): {analyse:.2f}s = {reviews / analyse:,.0f} results/s"
    )
    print(f"  whole pipeline:  {total:.2f}s = {reviews / total:,.0f} results/s")


def collect_only(package: str, reviews: int) -> float:
    """Seconds the collector takes to read every page from the local server, storing nothing."""
    from scraping.collectors.base import FetchContext, TargetSpec
    from scraping.collectors.googleplay import GooglePlayCollector
    from sentimatrix.http import HttpClient

    spec = TargetSpec(platform="googleplay", url="", platform_data={"package_id": package})
    with HttpClient(rate_limit_delay=0) as http:
        started = time.perf_counter()
        read = sum(
            len(page.items)
            for page in GooglePlayCollector().pages(spec, FetchContext(http=http, max_items=reviews))
        )
        elapsed = time.perf_counter() - started
    assert read == reviews, read
    return elapsed


if __name__ == "__main__":
    main()
