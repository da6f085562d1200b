"""A keyword monitor through the whole pipeline on constructed search answers served locally.

    .venv/bin/python bench/monitor_rate.py [--mentions 1000] [--overlap 0.2] [--polite]

1. Results/s: one monitor of Reddit + Hacker News (each serving ``--mentions`` constructed
   mentions, 100 a page), collected in this process (search, local re-check, de-duplication,
   storage), then analysed; the figures of both steps and of the whole.
2. Duplicates removed: the same monitor where a share ``--overlap`` of the Hacker News
   mentions are cross-posts of Reddit ones (the same text): the share of duplicate mentions
   the run removed, against the share constructed.

Without ``--polite`` the spacing Reddit asks of unauthenticated clients (one request every six
seconds; :mod:`scraping.collectors.reddit`) is turned off, so the figures are the pipeline's own;
with it, a run is bound by Reddit's pace (100 mentions a request, 10 requests a minute).
"""

from __future__ import annotations

import argparse
import time

from common import embedded_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--overlap", type=float, default=0.2)
    parser.add_argument("--polite", action="store_true", help="keep Reddit's six seconds between requests")
    args = parser.parse_args()
    with embedded_django("monitor"):
        from pytest_httpserver import HTTPServer

        server = HTTPServer(host="127.0.0.1", port=0)
        server.start()
        try:
            if not args.polite:
                from scraping.collectors import reddit

                reddit.PUBLIC_DELAY = 0.0
            run(server, args.mentions, args.overlap)
        finally:
            server.stop()


def run(server, mentions: int, overlap: float) -> None:
    from django.conf import settings

    from analysis.models import Result
    from analysis.pipeline import analyze_results
    from projects.models import Target
    from projects.services.monitors import add_monitor, monitor_spec
    from scraping import jobs
    from tests.factories import make_project, make_user
    from tests.monitor_playback import QUERY, serve_search

    user = make_user("bench@example.com", plan="enterprise")

    def monitor(name: str):
        project = make_project(
            user, name, max_reviews_per_target=mentions * 2, max_requests_per_day=100000, rate_limit_delay=0
        )
        return project, add_monitor(project, monitor_spec(QUERY, ["reddit", "hackernews"]))

    # 1. Results per second.
    served = serve_search(settings, server, count=mentions, page_size=100)
    project, target = monitor("rate")
    job = jobs.start_job(project, triggered_by=user)
    started = time.perf_counter()
    jobs.run_target(job.pk, target.pk)
    collected = time.perf_counter() - started
    ids = list(Result.objects.filter(target=target).values_list("pk", flat=True))
    started = time.perf_counter()
    for start in range(0, len(ids), settings.ANALYSIS_BATCH_SIZE):
        analyze_results(project.pk, ids[start : start + settings.ANALYSIS_BATCH_SIZE])
    analysed = time.perf_counter() - started
    total = collected + analysed
    summary = Target.objects.get(pk=target.pk).metadata["monitor_summary"]["platforms"]
    requests = sum(p["requests"] for p in summary.values())
    print(f"served: {len(served.reddit_posts)} Reddit + {len(served.hn_hits)} Hacker News mentions")
    print(
        f"collected: {len(ids)} results in {collected:.2f}s = {len(ids) / collected:,.0f} results/s ({requests} requests)"
    )
    print(f"analysed:  {len(ids)} results in {analysed:.2f}s = {len(ids) / analysed:,.0f} results/s")
    print(f"whole pipeline: {len(ids) / total:,.0f} results/s")
    for platform, entry in summary.items():
        print(
            f"  {platform}: found {entry['found']}, new {entry['new']}, not matching {entry['not_matching']}, "
            f"duplicates {entry['duplicates']}"
        )

    # 2. Duplicates removed on a constructed overlap.
    server.clear()
    served = serve_search(settings, server, count=mentions, page_size=100)
    matching_posts = [
        c["data"] for c in served.reddit_posts if "refund" not in (c["data"].get("selftext") or "").lower()
    ]
    matching_posts = [d for d in matching_posts if "battery" in (d.get("selftext") or "").lower()]
    wanted = round(len(served.hn_hits) * overlap)
    crossed = 0
    for hit, post in zip(served.hn_hits, matching_posts, strict=False):
        if crossed >= wanted:
            break
        hit.pop("story_text", None)
        hit["_tags"] = ["comment"]
        hit["comment_text"] = post["selftext"]
        crossed += 1
    project, target = monitor("overlap")
    job = jobs.start_job(project, triggered_by=user)
    jobs.run_target(job.pk, target.pk)
    summary = Target.objects.get(pk=target.pk).metadata["monitor_summary"]["platforms"]
    duplicates = sum(p["duplicates"] for p in summary.values())
    matching = sum(p["new"] + p["duplicates"] for p in summary.values())
    print(
        f"overlap: {crossed} Hacker News mentions constructed as cross-posts of Reddit ones; "
        f"{duplicates} duplicates removed of {matching} matching mentions = {duplicates / matching:.1%} "
        f"(constructed {crossed / matching:.1%}), {Result.objects.filter(target=target).count()} stored"
    )


if __name__ == "__main__":
    main()
