"""Time backup and restore (--drop) of N realistic results on a throw-away embedded server.

    .venv/bin/python bench/backup_restore.py [--results 100000]

The results are built from the recorded Steam reviews in the shared data (cycled, each copy
with its own platform id) in the specification's ``results`` shape, inserted in bulk with
pymongo; then the backup and restore services run exactly as the management commands do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSERT_BATCH = 5000
EMOTIONS = ("joy", "admiration", "anger", "disappointment", "surprise", "neutral")


def steam_reviews(shared: Path) -> list[dict]:
    reviews = []
    for path in sorted((shared / "platforms" / "steam").glob("steamreviews_review_*.json")):
        app_id = path.stem.rsplit("_", 1)[1]
        for review in json.loads(path.read_text(encoding="utf-8"))["reviews"].values():
            reviews.append({**review, "app_id": app_id})
    return reviews


def result_documents(count: int, reviews: list[dict], now: datetime):
    """Yield ``count`` result documents of the specification's shape."""
    from bson import ObjectId

    from projects.platforms import Platform

    rng = random.Random(20240101)
    users = [ObjectId() for _ in range(20)]
    projects = [(ObjectId(), users[i % len(users)]) for i in range(40)]
    targets = [(ObjectId(), *projects[i % len(projects)]) for i in range(160)]
    jobs = [ObjectId() for _ in range(400)]
    for i in range(count):
        review = reviews[i % len(reviews)]
        target, project, user = targets[i % len(targets)]
        positive = review["voted_up"] if rng.random() > 0.1 else not review["voted_up"]
        score = round(rng.uniform(0.2, 1.0) if positive else rng.uniform(-1.0, -0.2), 3)
        text = review["review"]
        analyzed = now - timedelta(days=rng.randint(0, 119), seconds=rng.randint(0, 86399))
        primary = rng.choice(EMOTIONS)
        yield {
            "project_id": project,
            "target_id": target,
            "user_id": user,
            "scrape_job_id": jobs[i % len(jobs)],
            "content": {
                "text": text,
                "title": None,
                "author": review["author"]["steamid"],
                "rating": 5 if review["voted_up"] else 1,
                "date": datetime.fromtimestamp(review["timestamp_created"], UTC),
                "url": f"https://steamcommunity.com/profiles/{review['author']['steamid']}"
                f"/recommended/{review['app_id']}/",
                "platform_id": f"{review['recommendationid']}-{i // len(reviews)}",
            },
            "analysis": {
                "sentiment": {
                    "label": "positive" if score > 0.05 else "negative",
                    "score": score,
                    "confidence": round(rng.uniform(0.5, 0.99), 3),
                    "scores": {
                        "very_positive": max(score - 0.5, 0.0),
                        "positive": max(min(score, 0.5), 0.0),
                        "neutral": round(1 - abs(score), 3),
                        "negative": max(min(-score, 0.5), 0.0),
                        "very_negative": max(-score - 0.5, 0.0),
                    },
                    "analyzed_at": analyzed,
                },
                "emotions": {
                    "model": "goemotions",
                    "primary": primary,
                    "primary_score": round(rng.uniform(0.3, 0.9), 3),
                    "detected": [
                        {"emotion": e, "score": round(rng.random(), 3)} for e in rng.sample(EMOTIONS, 3)
                    ],
                    "analyzed_at": analyzed,
                },
                "insights": {
                    "pros": ["gameplay", "price"] if positive else [],
                    "cons": [] if positive else ["bugs"],
                    "topics": [{"topic": "difficulty", "sentiment": score}],
                    "extracted_at": analyzed,
                },
            },
            "platform": Platform.STEAM.value,
            "language": review["language"],
            "word_count": len(text.split()),
            "created_at": analyzed,
            "updated_at": analyzed,
        }


def batched(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=100_000, help="Number of result documents (100000).")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from sentimatrix import embedded_db

    workdir = Path(tempfile.mkdtemp(prefix="sentimatrix-bench-"))
    server = embedded_db.ensure_running(workdir / "db")
    try:
        # Settings read these at import: point Django at the throw-away server and directories.
        os.environ["MONGODB_URI"] = server.uri
        os.environ["MONGODB_NAME"] = "bench_backup_restore"
        os.environ["SENTIMATRIX_VAR_DIR"] = str(workdir / "var")
        # Development mode: its keys are generated under the throw-away var dir.
        os.environ["DJANGO_DEBUG"] = "1"
        os.environ["DJANGO_SETTINGS_MODULE"] = "sentimatrix.settings.dev"
        import django

        from sentimatrix.startup import prepare_environment

        prepare_environment()
        django.setup()
        from django.conf import settings

        from sentimatrix import backup
        from sentimatrix.mongo import get_db

        db = get_db()
        reviews = steam_reviews(Path(settings.SHARED_DATA_DIR))
        start = time.perf_counter()
        for batch in batched(result_documents(args.results, reviews, datetime.now(UTC)), INSERT_BATCH):
            db["results"].insert_many(batch, ordered=False)
        insert_seconds = time.perf_counter() - start
        assert db["results"].count_documents({}) == args.results

        start = time.perf_counter()
        made = backup.create_backup(out_dir=workdir / "backups", retention_days=None)
        backup_seconds = time.perf_counter() - start

        start = time.perf_counter()
        restored = backup.restore_backup(made.path, drop=True)
        restore_seconds = time.perf_counter() - start
        count = next(c.documents for c in restored.collections if c.name == "results")
        assert count == args.results == db["results"].count_documents({})

        server_version = made.manifest.server.get("implementation") or made.manifest.server.get("version")
        print(f"server               {server_version}")
        print(f"documents            {args.results}")
        print(f"bulk insert seconds  {insert_seconds:.1f}")
        print(f"backup seconds       {backup_seconds:.1f}  ({args.results / backup_seconds:,.0f} docs/s)")
        print(f"archive size MB      {made.size_bytes / (1024 * 1024):.1f}")
        print(f"restore seconds      {restore_seconds:.1f}  ({args.results / restore_seconds:,.0f} docs/s)")
        print(f"raw BSON MB          {sum(c.bytes for c in made.manifest.collections) / (1024 * 1024):.1f}")
    finally:
        embedded_db.stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
