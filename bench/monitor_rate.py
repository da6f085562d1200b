"""A keyword monitor through the whole pipeline on constructed search answers served locally.

    .venv/bin/python bench/monitor_rate.py [--mentions 1000] [--overlap 0.2] [--polite]

1. Results/s: one monitor of Reddit + Hacker News (each serving ``--mentions`` constructed
   mentions, 100 a page), collected in this process (search, local re-check, de-duplication,
   storage), then analysed; the figures of both steps and of the whole.
2. Duplicates removed: the same monitor where a share ``--overlap`` of the Hacker News
   mentions are cross-posts of Reddit ones (the same text): the share of duplicate mentions
   the run removed, against the share constructed.
3. Results/s of a monitor of each of YouTube, Mastodon and Bluesky alone, through the whole
   pipeline as in 1., on ``--mentions`` constructed mentions up to what one run of each reads
   (YouTube 10 videos of 100 comments, one Mastodon instance's 10 pages of 40, Bluesky 10 pages
   of 100); the YouTube key and the Bluesky app password come from the user's vault.
4. Duplicates removed across all five: one monitor of all five platforms where a share
   ``--overlap`` of the Hacker News, YouTube, Mastodon and Bluesky mentions are cross-posts of
   Reddit ones (besides the fixtures' own two cross-posts).

Without ``--polite`` the spacing Reddit asks of unauthenticated clients (one request every six
seconds; :mod:`scraping.collectors.reddit`) is turned off, so the figures are the pipeline's own;
with it, a run is bound by Reddit's pace (100 mentions a request, 10 requests a minute).
"""

from __future__ import annotations

import argparse
import itertools
import time

from common import embedded_django, local_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--overlap", type=float, default=0.2)
    parser.add_argument("--polite", action="store_true", help="keep Reddit's six seconds between requests")
    args = parser.parse_args()
    with embedded_django("monitor"), local_server() as server:
        if not args.polite:
            from scraping.collectors import reddit

            reddit.PUBLIC_DELAY = 0.0
        run(server, args.mentions, args.overlap)
        run_search_platforms(server, args.mentions, args.overlap)


def run(server, mentions: int, overlap: float) -> None:
    from django.conf import settings

    from analysis.models import Result
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
    stored, collected, analysed, summary = pipeline(project, target, user)
    total = collected + analysed
    requests = sum(p["requests"] for p in summary.values())
    print(f"served: {len(served.reddit_posts)} Reddit + {len(served.hn_hits)} Hacker News mentions")
    print(
        f"collected: {stored} results in {collected:.2f}s = {stored / collected:,.0f} results/s ({requests} requests)"
    )
    print(f"analysed:  {stored} results in {analysed:.2f}s = {stored / analysed:,.0f} results/s")
    print(f"whole pipeline: {stored / total:,.0f} results/s")
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


def pipeline(project, target, user) -> tuple[int, float, float, dict]:
    """Run ``target``'s job, then analyse what it stored: (results, collect s, analyse s, summary)."""
    from django.conf import settings

    from analysis.models import Result
    from analysis.pipeline import analyze_results
    from projects.models import Target
    from scraping import jobs

    job = jobs.start_job(project, triggered_by=user)
    started = time.perf_counter()
    jobs.run_target(job.pk, target.pk)
    collected = time.perf_counter() - started
    ids = list(Result.objects.filter(target=target).values_list("pk", flat=True))
    started = time.perf_counter()
    for start in range(0, len(ids), settings.ANALYSIS_BATCH_SIZE):
        analyze_results(project.pk, ids[start : start + settings.ANALYSIS_BATCH_SIZE])
    analysed = time.perf_counter() - started
    return (
        len(ids),
        collected,
        analysed,
        Target.objects.get(pk=target.pk).metadata["monitor_summary"]["platforms"],
    )


def run_search_platforms(server, mentions: int, overlap: float) -> None:
    from django.conf import settings

    from tests.factories import make_project, make_user
    from tests.monitor_all_playback import (
        PLATFORMS,
        add_all_five,
        serve_all_five,
        set_text,
        store_credentials,
    )

    user = make_user("bench-search@example.com", plan="enterprise")
    store_credentials(user)

    def project_named(name: str):
        return make_project(
            user, name, max_reviews_per_target=mentions * 2, max_requests_per_day=100000, rate_limit_delay=0
        )

    # 3. Each of YouTube, Mastodon and Bluesky alone.
    print("alone, through the whole pipeline (collect, store, analyse):")
    for platform in ("youtube", "mastodon", "bluesky"):
        server.clear()
        served = serve_all_five(settings, server, count=mentions)
        project = project_named(f"alone-{platform}")
        target = add_all_five(project, served, platforms=(platform,))
        stored, collected, analysed, summary = pipeline(project, target, user)
        entry = summary[platform]
        print(
            f"  {platform}: found {entry['found']}, stored {stored} in {collected:.2f}s "
            f"= {stored / collected:,.0f} results/s collected ({entry['requests']} requests), "
            f"analysed {stored / analysed:,.0f}/s, whole pipeline {stored / (collected + analysed):,.0f} results/s"
        )

    # 4. Duplicates removed across all five platforms on a constructed overlap.
    server.clear()
    served = serve_all_five(settings, server, count=mentions)
    originals = [
        child["data"]["selftext"]
        for child in served.reddit_hn.reddit_posts
        if "refund" not in (child["data"]["title"] + child["data"]["selftext"]).lower()
    ]
    served_counts = {
        "hackernews": len(served.reddit_hn.hn_hits),
        "youtube": sum(len(texts) for texts in served.youtube_comments.values()),
        "mastodon": len(served.mastodon_statuses),
        "bluesky": len(served.bluesky_posts),
    }
    # The cross-posts replace the copies at the end of each platform's answers (never the
    # constructed mentions, whose own two cross-posts stay).
    crossed: dict[str, int] = {}
    source = itertools.cycle(originals)  # a Reddit mention cross-posted twice is two duplicates
    for platform, total in served_counts.items():
        wanted = round(total * overlap)
        for index in range(total - wanted, total):
            set_text(served, platform, index, next(source))
        crossed[platform] = wanted
    project = project_named("overlap-all")
    target = add_all_five(project, served)
    stored, collected, analysed, summary = pipeline(project, target, user)
    duplicates = sum(p["duplicates"] for p in summary.values())
    matching = sum(p["new"] + p["duplicates"] for p in summary.values())
    constructed = sum(crossed.values()) + 2
    print(
        f"all five, {len(PLATFORMS)} platforms in one monitor ({stored} stored, {collected:.2f}s collecting):"
    )
    for platform, entry in summary.items():
        print(
            f"  {platform}: found {entry['found']}, new {entry['new']}, not matching {entry['not_matching']}, "
            f"duplicates {entry['duplicates']} (cross-posts constructed {crossed.get(platform, 0)})"
        )
    print(
        f"overlap across all five: {constructed} cross-posts constructed ({sum(crossed.values())} of Reddit "
        f"mentions + the fixtures' 2); {duplicates} duplicates removed of {matching} matching mentions "
        f"= {duplicates / matching:.1%} (constructed {constructed / matching:.1%})"
    )


if __name__ == "__main__":
    main()
