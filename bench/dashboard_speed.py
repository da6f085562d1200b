"""Server time of the project dashboard and of the explorer's pages at 1k, 10k and 100k results.

    .venv/bin/python bench/dashboard_speed.py [--sizes 1000 100000] [--repeat 3] [--db-dir DIR]

A throw-away embedded server is started (as bench/backup_restore.py does); for each size a
project with three targets gets that many analysed results, built from the recorded Steam
reviews in the shared data and inserted in bulk with pymongo, their posted dates spread over the
last 180 days; then ``analysis.stats.rebuild`` builds the statistics. The pages are timed through
Django's test client (the whole view: queries, template, rendering), median of ``--repeat`` runs.
The dashboard is timed with the insights cache warm (its normal state) and the cold refresh
of that cache is timed on its own.

Then the explorer's first page is timed for every sort order it offers, alone and with each
filter (:data:`FILTERS`), the sizes taking turns, and a table prints each combination's median
time at every size and the ratio of the largest to the smallest. Tags are applied by hand
(triage), so the same number of results carries one at every size; every other value grows with
the project. How the pages are read on the embedded server (windows over an index per sort
order, capped counts) is the results store's business: ``analysis.results_store``.

``--db-dir`` keeps the server's files in DIR and reuses the projects already seeded there (the
100k seeding takes minutes); without it everything is thrown away at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Results are stored a few hundred at a time, as a scrape stores its pages (ids carry the second
# they were made in: one batch of thousands would give thousands of results the same second).
INSERT_BATCH = 500
EMOTIONS = ("joy", "anger", "sadness", "fear", "surprise", "disgust")
SPREAD_DAYS = 180
TAG = "follow up"
#: Results tagged by hand: every TAG_EVERY-th of the newest TAG_WITHIN, at every size.
TAG_EVERY, TAG_WITHIN = 25, 1000
#: The filters of the combination table: name -> query string (``{target}``, ``{first_day}`` and
#: ``{last_day}`` are filled per project).
FILTERS = {
    "(none)": "",
    "sentiment": "sentiment=negative",
    "platform": "platform=amazon",
    "target": "target={target}",
    "rating": "rating_min=4",
    "date range": "date_field=content&tz=UTC&date_from={first_day}&date_to={last_day}",
    "tag": "tag=follow+up",
    "search": "q=puzzle",
    "search (rare)": "q=refund",
}


def start_server(name: str, db_dir: str | None = None):
    """Start an embedded server (throw-away, or kept in ``db_dir``) and set Django up on it;
    returns (server, workdir)."""
    sys.path.insert(0, str(ROOT))
    from sentimatrix import embedded_db

    workdir = Path(db_dir) if db_dir else Path(tempfile.mkdtemp(prefix="sentimatrix-bench-"))
    server = embedded_db.ensure_running(workdir / "db")
    # Settings read these at import: point Django at the throw-away server and directories.
    os.environ["MONGODB_URI"] = server.uri
    os.environ["MONGODB_NAME"] = name
    os.environ["SENTIMATRIX_VAR_DIR"] = str(workdir / "var")
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "sentimatrix.settings.dev"
    import django

    from sentimatrix.startup import prepare_environment

    prepare_environment()  # development keys under the throw-away var dir
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return server, workdir


def stop_server(server, workdir: Path, keep: bool = False) -> None:
    from sentimatrix import embedded_db

    embedded_db.stop(server)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)


def steam_texts() -> list[tuple[str, bool]]:
    from django.conf import settings

    texts = []
    for path in sorted(
        (Path(settings.SHARED_DATA_DIR) / "platforms" / "steam").glob("steamreviews_review_*.json")
    ):
        for review in json.loads(path.read_text(encoding="utf-8"))["reviews"].values():
            texts.append((review["review"], bool(review["voted_up"])))
    return texts


def make_project(email: str, name: str):
    """A user and a project with three targets (two games and a soundtrack), through the ORM."""
    from accounts.models import User
    from projects.models import PlatformData, Project, Target

    user = User.objects.create_user(email, "a-Long-pass-phrase-42")
    project = Project.objects.create(user=user, name=name)
    targets = []
    for i, (platform, url, data) in enumerate(
        (
            ("steam", "https://store.steampowered.com/app/573170/", PlatformData(app_id=573170)),
            ("steam", "https://store.steampowered.com/app/620/", PlatformData(app_id=620)),
            ("amazon", "https://www.amazon.com/dp/B000000001", PlatformData(asin="B000000001")),
        )
    ):
        targets.append(
            Target.objects.create(
                project=project,
                user=user,
                url=url,
                canonical_url=url,
                label=f"Target {i + 1}",
                platform=platform,
                platform_data=data,
            )
        )
    return user, project, targets


def result_documents(count: int, project, targets, texts, now: datetime):
    """``count`` analysed result documents of the specification's shape for ``project``."""
    rng = random.Random(count)
    for i in range(count):
        text, up = texts[i % len(texts)]
        target = targets[i % len(targets)]
        positive = up if rng.random() > 0.1 else not up
        score = round(rng.uniform(0.1, 1.0) if positive else rng.uniform(-1.0, -0.1), 3)
        analysed_at = now - timedelta(minutes=i % 5000)
        rating = float(rng.randint(1, 5)) if target.platform == "amazon" else (5.0 if up else 1.0)
        primary = rng.choice(EMOTIONS)
        yield {
            "project_id": project.pk,
            "target_id": target.pk,
            "user_id": project.user_id,
            "scrape_job_id": None,
            "content": {
                "text": text,
                "title": "",
                "author": f"author{i % 997}",
                "rating": rating,
                "date": now - timedelta(days=rng.randint(0, SPREAD_DAYS - 1), seconds=rng.randint(0, 86399)),
                "url": f"https://steamcommunity.com/app/573170/review/{i}/",
                "platform_id": f"b{i}",
                "parent_id": None,
                "metadata": {"rating_scale": 5},
            },
            "analysis": {
                "sentiment": {
                    "label": "positive" if score > 0.05 else "negative",
                    "score": score,
                    "confidence": round(rng.uniform(0.5, 0.99), 3),
                    "scores": None,
                    "analyzed_at": analysed_at,
                },
                "emotions": {
                    "model": "ekman",
                    "primary": primary,
                    "primary_score": 0.6,
                    "detected": [{"emotion": primary, "score": 0.6}],
                    "analyzed_at": analysed_at,
                },
                "summary": None,
                "insights": {
                    "pros": ["great puzzles", "lovely music"] if positive else [],
                    "cons": [] if positive else ["too short", "crashes on start"],
                    "topics": [
                        {"topic": "puzzles", "sentiment": score},
                        {"topic": "music", "sentiment": score},
                    ],
                    "extracted_at": analysed_at,
                },
                "engine": "local",
            },
            "platform": target.platform,
            "language": "en",
            "word_count": len(text.split()),
            "flags": {"rating_disagreement": (rating >= 4) == (score < -0.5)},
            "excluded": False,
            "tags": [TAG] if i < TAG_WITHIN and i % TAG_EVERY == 0 else [],
            "pinned": i % 500 == 0,
            "created_at": now - timedelta(seconds=i),
            "updated_at": now,
        }


def fill(project, targets, count: int, texts) -> float:
    """Insert ``count`` results in bulk and rebuild the statistics; returns the seconds taken."""
    from analysis import stats
    from sentimatrix.mongo import collection

    start = time.perf_counter()
    batch = []
    for doc in result_documents(count, project, targets, texts, datetime.now(UTC)):
        batch.append(doc)
        if len(batch) == INSERT_BATCH:
            collection("results").insert_many(batch, ordered=False)
            batch = []
    if batch:
        collection("results").insert_many(batch, ordered=False)
    collection("projects").update_one(
        {"_id": project.pk}, {"$set": {"stats.last_scrape_at": datetime.now(UTC)}}
    )
    stats.rebuild(project.pk)
    return time.perf_counter() - start


def timed(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seeded_project(size: int, texts):
    """The bench project of ``size`` results: the one already in the database, or a new one."""
    from accounts.models import User
    from projects.models import Project

    project = Project.objects.filter(name=f"Bench {size}").first()
    if project is not None:
        return (
            User.objects.get(pk=project.user_id),
            project,
            list(project.targets.order_by("created_at")),
            0.0,
        )
    user, project, targets = make_project(f"bench{size}@example.com", f"Bench {size}")
    return user, project, targets, fill(project, targets, size, texts)


def combinations(targets) -> list[tuple[str, str, str]]:
    """(sort, filter name, query string) of every sort order with every filter."""
    from analysis.results_store.sorting import SORTS

    today = datetime.now(UTC).date()
    values = {
        "target": targets[1].pk,
        "first_day": (today - timedelta(days=30)).isoformat(),
        "last_day": today.isoformat(),
    }
    out = []
    for sort in SORTS:
        if sort == "relevance":
            continue  # offered only where the server has a text index (not the embedded one)
        for name, query in FILTERS.items():
            params = "&".join(p for p in (query.format(**values), f"sort={sort}") if p)
            out.append((sort, name, params))
    return out


def print_table(sizes: list[int], table: dict) -> None:
    header = f"{'sort':<12} {'filter':<14}" + "".join(f"{size:>10,}" for size in sizes)
    if len(sizes) > 1:
        header += f"{'ratio':>8}"
    print(header)
    worst_ratio = worst_time = 0.0
    for (sort, name), times in table.items():
        line = f"{sort:<12} {name:<14}" + "".join(f"{times[size] * 1000:>7.0f} ms" for size in sizes)
        if len(sizes) > 1:
            ratio = times[sizes[-1]] / times[sizes[0]]
            worst_ratio = max(worst_ratio, ratio)
            line += f"{ratio:>8.2f}"
        worst_time = max(worst_time, times[sizes[-1]])
        print(line, flush=True)
    summary = f"slowest at {sizes[-1]:,}: {worst_time * 1000:.0f} ms"
    if len(sizes) > 1:
        summary += f"; largest ratio {sizes[-1]:,}/{sizes[0]:,}: {worst_ratio:.2f}"
    print(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db-dir", help="keep the database here and reuse the projects seeded in it")
    args = parser.parse_args()
    server, workdir = start_server("bench_dashboard_speed", args.db_dir)
    try:
        from django.test import Client
        from django.urls import reverse

        from analysis import insights_cache

        texts = steam_texts()
        rows = []
        table: dict = {}
        pages: dict = {}
        for size in args.sizes:
            user, project, targets, fill_seconds = seeded_project(size, texts)
            client = Client()
            client.force_login(user)
            dashboard_url = reverse("analysis:dashboard", args=[project.pk])
            explorer_url = reverse("analysis:explorer", args=[project.pk])

            def get(url, client=client):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            cold = timed(lambda project=project: insights_cache.refresh(project.pk), 1)
            dashboard = timed(lambda url=dashboard_url: get(url), args.repeat)
            explorer = timed(lambda url=explorer_url: get(url), args.repeat)
            filtered = timed(
                lambda url=explorer_url: get(url + "?sentiment=negative&sort=score_asc"), args.repeat
            )
            rows.append((size, fill_seconds, cold, dashboard, explorer, filtered))
            print(
                f"{size:>7} results: insert+rebuild {fill_seconds:6.1f}s  insights refresh {cold * 1000:7.0f} ms  "
                f"dashboard {dashboard * 1000:6.0f} ms  explorer p1 {explorer * 1000:7.0f} ms  "
                f"explorer filtered p1 {filtered * 1000:7.0f} ms",
                flush=True,
            )
            pages[size] = (get, explorer_url, combinations(targets))
        # Every combination at every size, the sizes taking turns: a machine busier for a while
        # slows both sides of a ratio alike.
        for index, (sort, name, _params) in enumerate(pages[args.sizes[0]][2]):
            times: dict = {size: [] for size in args.sizes}
            for _ in range(args.repeat):
                for size in args.sizes:
                    get, url, combos = pages[size]
                    times[size].append(timed(lambda u=f"{url}?{combos[index][2]}", g=get: g(u), 1))
            table[(sort, name)] = {size: statistics.median(t) for size, t in times.items()}
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            print(
                f"ratio {last[0]}/{first[0]}: dashboard {last[3] / first[3]:.2f}  explorer p1 {last[4] / first[4]:.2f}  "
                f"explorer filtered p1 {last[5] / first[5]:.2f}  insights refresh {last[2] / first[2]:.2f}"
            )
        print()
        print("The explorer's first page, every sort order with every filter:")
        print_table(args.sizes, table)
    finally:
        stop_server(server, workdir, keep=bool(args.db_dir))


if __name__ == "__main__":
    main()
