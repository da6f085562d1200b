"""Analysed results for explorer, dashboard, export and triage tests.

Real Steam review texts (shared data) become results of three targets on two platforms, with
every analysis part filled from a seeded random generator, inserted in bulk with pymongo; then
``analysis.stats.rebuild`` builds the statistics the dashboards read. Tests compute what they
expect from the returned documents, never from hard-coded numbers.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.conf import settings

from analysis import stats
from projects.models import PlatformData, Project, Target
from sentimatrix.mongo import collection
from tests.clock import SEED_NOW
from tests.factories import make_project

STEAM_FILE = "steamreviews_review_573170.json"
EMOTIONS = ("joy", "anger", "sadness", "fear", "surprise", "disgust")
XSS = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def steam_texts(limit: int) -> list[str]:
    path = settings.SHARED_DATA_DIR / "platforms" / "steam" / STEAM_FILE
    reviews = list(json.loads(path.read_text(encoding="utf-8"))["reviews"].values())
    return [r["review"] for r in reviews[:limit]]


def label_for(score: float) -> str:
    if score >= 0.6:
        return "very_positive"
    if score >= 0.05:
        return "positive"
    if score > -0.05:
        return "neutral"
    if score > -0.6:
        return "negative"
    return "very_negative"


@dataclass
class Seeded:
    project: Project
    targets: list[Target]
    docs: list[dict] = field(default_factory=list)
    today: datetime = SEED_NOW

    def visible(self) -> list[dict]:
        """What the explorer shows by default: everything not excluded."""
        return [d for d in self.docs if not d["excluded"]]

    def counted(self) -> list[dict]:
        """What the statistics hold: analysed and not excluded."""
        return [d for d in self.docs if not d["excluded"] and d["analysis"]["sentiment"]]


def metadata_for(platform: str, rating, i: int) -> dict:
    """What the platform reports beside the text: a Steam review's playtime (minutes), early
    access and free copy; a YouTube comment's likes; a Reddit comment's score. From ``i`` only,
    so the seeded random values stay what they were."""
    metadata = {"rating_scale": 5} if rating is not None else {}
    if platform == "steam":
        metadata["playtime_at_review"] = (i * 97) % 3000  # up to 50 hours
        metadata["written_during_early_access"] = i % 4 == 1
        metadata["received_for_free"] = i % 5 == 2
    elif platform == "youtube":
        metadata["like_count"] = (i * 7) % 40
    elif platform == "reddit":
        metadata["score"] = (i * 5) % 30 - 8
    return metadata


def result_doc(project, target, text: str, rng: random.Random, *, now: datetime, i: int) -> dict:
    score = round(rng.uniform(-1, 1), 3)
    analysed = i % 11 != 10  # a few are not analysed yet
    rating = None
    if target.platform == "amazon":
        rating = float(rng.randint(1, 5))
    elif i % 4:
        rating = 5.0 if score > 0 else 1.0
    posted = None if i % 13 == 12 else now - timedelta(days=rng.randint(0, 75), hours=rng.randint(0, 23))
    with_emotion = analysed and i % 7 != 6
    return {
        "project_id": project.pk,
        "target_id": target.pk,
        "user_id": project.user_id,
        "scrape_job_id": None,
        "content": {
            "text": text,
            "title": "Recommended" if score > 0 else "Not recommended",
            "author": f"author{i % 9}",
            "rating": rating,
            "date": posted,
            "url": f"https://store.steampowered.com/app/573170/review{i}/",
            "platform_id": f"r{i}",
            "parent_id": None,
            "metadata": metadata_for(target.platform, rating, i),
        },
        "analysis": {
            "sentiment": {
                "label": label_for(score),
                "score": score,
                "confidence": round(rng.uniform(0.5, 1), 3),
                "scores": None,
                "analyzed_at": now,
            }
            if analysed
            else None,
            "emotions": {
                "model": "ekman",
                "primary": EMOTIONS[i % len(EMOTIONS)],
                "primary_score": 0.7,
                "detected": [{"emotion": EMOTIONS[i % len(EMOTIONS)], "score": 0.7}],
                "analyzed_at": now,
            }
            if with_emotion
            else None,
            "summary": {"text": text[:80], "key_points": [text[:30]], "generated_at": now}
            if analysed
            else None,
            "insights": {
                "pros": ["great puzzles"] if score > 0 else [],
                "cons": ["too short"] if score <= 0 else [],
                "topics": [{"topic": "puzzles", "sentiment": score}],
                "extracted_at": now,
            }
            if analysed
            else None,
            "engine": "local" if analysed else "",
        },
        "platform": target.platform,
        "language": "de" if i % 5 == 4 else "en",
        "word_count": len(text.split()),
        "flags": {
            "rating_disagreement": bool(rating is not None and analysed and (rating >= 4) == (score < -0.3))
        },
        "excluded": i % 17 == 16,
        "tags": ["battery"] if i % 6 == 0 else [],
        "pinned": i % 9 == 0,
        "created_at": now - timedelta(hours=i),
        "updated_at": now,
    }


def add_target(project, platform: str, label: str, n: int) -> Target:
    urls = {
        "steam": (f"https://store.steampowered.com/app/{573170 + n}/", PlatformData(app_id=573170 + n)),
        "amazon": (f"https://www.amazon.com/dp/B0000000{n:02d}", PlatformData(asin=f"B0000000{n:02d}")),
        "youtube": (f"https://www.youtube.com/watch?v=video{n:06d}", PlatformData(video_id=f"video{n:06d}")),
        "reddit": (
            f"https://www.reddit.com/r/games/comments/post{n}/",
            PlatformData(post_id=f"post{n}", subreddit="games"),
        ),
    }
    url, data = urls[platform]
    return Target.objects.create(
        project=project, user_id=project.user_id, url=url, canonical_url=url, label=label, platform=platform,
        platform_data=data,
    )  # fmt: skip


def seed(
    user,
    count: int = 60,
    *,
    name: str = "Seeded project",
    texts: list[str] | None = None,
    extra=(),
    now: datetime = SEED_NOW,
) -> Seeded:
    """A project of ``user`` with three targets and ``count`` results (plus ``extra`` texts),
    dated relative to ``now``."""
    project = make_project(user, name=name)
    targets = [
        add_target(project, "steam", "Our game", 1),
        add_target(project, "steam", "Rival game", 2),
        add_target(project, "amazon", "Soundtrack CD", 3),
    ]
    rng = random.Random(20240611)
    texts = (texts or steam_texts(count))[:count]
    docs = []
    for i, text in enumerate([*texts, *extra]):
        docs.append(result_doc(project, targets[i % 3], text, rng, now=now, i=i))
    if docs:
        collection("results").insert_many(docs)
    collection("projects").update_one({"_id": project.pk}, {"$set": {"stats.last_scrape_at": now}})
    stats.rebuild(project.pk)
    project.refresh_from_db()
    return Seeded(project, targets, docs, now)


def add_platform_results(seeded: Seeded, platform: str, texts: list[str], start: int = 1000) -> list[dict]:
    """Results of a new ``platform`` target of the seeded project (their metadata is the
    platform's, see :func:`metadata_for`), added to ``seeded.docs``."""
    target = add_target(seeded.project, platform, f"{platform} thread", len(seeded.targets) + 1)
    seeded.targets.append(target)
    rng = random.Random(start)
    docs = [
        result_doc(seeded.project, target, text, rng, now=seeded.today, i=start + i)
        for i, text in enumerate(texts)
    ]
    collection("results").insert_many(docs)
    seeded.docs.extend(docs)
    stats.rebuild(seeded.project.pk)
    return docs


def content_day(doc: dict):
    """The UTC day a result counts on in daily statistics (content date, else collection date)."""
    when = doc["content"]["date"] or doc["created_at"]
    return when.astimezone(UTC).date()


def new_id() -> ObjectId:
    return ObjectId()
