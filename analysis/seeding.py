"""Realistic demo data: users, projects, targets and analysed results across platforms and dates.

Review texts come from the human-rated sets in ``SHARED_DATA_DIR/sentiment``
(UCI Amazon, Yelp and IMDb sentences), so the analysis has something real to
chew on; results are analysed in-process by the local engine and written in
bulk, then each project's statistics are rebuilt.
"""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bson import ObjectId
from django.conf import settings

from accounts.models import Role, User
from accounts.services import first_admin_email, mark_email_verified
from analysis import stats
from analysis.engine.base import AnalysisItem, AnalysisOptions
from analysis.engine.local import LocalEngine
from projects.models import PlatformData, Project, Target
from projects.presets import apply_preset
from scraping.collectors.base import CollectedItem
from scraping.results_store import TargetRef, result_document
from sentimatrix.mongo import collection

SEED_DOMAIN = "example.com"
TEST_ACCOUNTS = (("testuser0@example.com", Role.ADMIN), ("testuser1@example.com", Role.USER))
TEST_PASSWORD = "password123"  # noqa: S105 - the documented demo credentials
SOURCES = ("uci_amazon_cells_labelled.txt", "uci_yelp_labelled.txt", "uci_imdb_labelled.txt")
TARGETS = (
    ("steam", "https://store.steampowered.com/app/{n}/", "game", {"app_id": 0}),
    ("amazon", "https://www.amazon.com/dp/B0{n:08d}", "product", {"asin": "", "country": "us", "tld": "com"}),
    ("youtube", "https://www.youtube.com/watch?v=seed{n:07d}", "video", {"video_id": ""}),
    (
        "reddit",
        "https://www.reddit.com/r/gadgets/comments/s{n:05d}/",
        "post",
        {"post_id": "", "subreddit": "gadgets"},
    ),
)
AUTHORS = ("alex", "sam", "jordan", "casey", "riley", "morgan", "taylor", "quinn", "jamie", "avery")


class RealUsersPresent(Exception):
    """The database holds accounts outside the demo domain."""


@dataclass
class SeedReport:
    users: int = 0
    projects: int = 0
    targets: int = 0
    results: int = 0
    seconds: float = 0.0


def load_sentences(data_dir: Path | None = None) -> list[tuple[str, int]]:
    """(sentence, 0/1 label) pairs of the UCI sets; CRLF and stray quotes handled."""
    folder = (data_dir or settings.SHARED_DATA_DIR) / "sentiment"
    rows = []
    for name in SOURCES:
        with open(folder / name, encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) >= 2 and row[0].strip() and row[-1].strip() in {"0", "1"}:
                    rows.append((row[0].strip(), int(row[-1].strip())))
    return rows


def check_safe(force: bool) -> None:
    """Refuse a database with accounts of its own (unless ``force``).

    The first admin ``make run`` creates on an empty database (``ensure_first_admin``) does
    not count while it owns no project: seeding right after the first start must work.
    """
    others = User.objects.exclude(email__endswith=f"@{SEED_DOMAIN}")
    first_admin = others.filter(role=Role.ADMIN, email=first_admin_email()).first()
    if first_admin is not None and not Project.objects.filter(user=first_admin).exists():
        others = others.exclude(pk=first_admin.pk)
    real = others.count()
    if real and not force:
        raise RealUsersPresent(
            f"The database holds {real} account(s) outside @{SEED_DOMAIN}; "
            "seeding is for empty or demo databases. Use --force to seed anyway."
        )


def _user(email: str, role: str) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(email, TEST_PASSWORD, role=role, name=email.split("@", 1)[0])
    mark_email_verified(user)
    return user, True


def seed(
    users: int = 5, projects: int = 3, results: int = 50, *, force: bool = False, rng=None
) -> SeedReport:
    """Create ``users`` accounts (the two documented test accounts first), ``projects``
    projects each and ``results`` analysed results per project."""
    started = time.monotonic()
    check_safe(force)
    rng = rng or random.Random(20261123)  # noqa: S311 - demo data, reproducible on purpose
    sentences = load_sentences()
    engine, config = LocalEngine(), AnalysisOptions(sentiment=True, emotions=True, extract_insights=True)
    report = SeedReport()
    now = datetime.now(UTC)
    emails = [email for email, _ in TEST_ACCOUNTS][:users] + [
        f"testuser{i}@{SEED_DOMAIN}" for i in range(len(TEST_ACCOUNTS), users)
    ]
    for index, email in enumerate(emails):
        role = TEST_ACCOUNTS[index][1] if index < len(TEST_ACCOUNTS) else Role.USER
        user, created = _user(email, role)
        report.users += created
        for p in range(projects):
            project = Project(user=user, name=f"Demo project {p + 1}", description="Seeded demo data")
            apply_preset(project, "standard")
            project.save()
            report.projects += 1
            targets = _targets(project, rng)
            report.targets += len(targets)
            docs = _results(project, targets, results, sentences, rng, now)
            analyses = engine.analyze(
                [
                    AnalysisItem(id=str(d["_id"]), text=d["content"]["text"], rating=d["content"]["rating"])
                    for d in docs
                ],
                config,
            )
            for doc in docs:
                analysis = analyses[str(doc["_id"])]
                doc.update(analysis.result_fields())
                doc["analysis"]["engine"] = "local"
                doc["flags"]["rating_disagreement"] = bool(analysis.rating_disagreement)
            if docs:
                collection("results").insert_many(docs, ordered=False)
            report.results += len(docs)
            for target in targets:
                count = sum(1 for d in docs if d["target_id"] == target.pk)
                collection("targets").update_one(
                    {"_id": target.pk}, {"$set": {"stats.results_count": count, "stats.last_scraped_at": now}}
                )
            collection("projects").update_one(
                {"_id": project.pk},
                {"$set": {"stats.total_targets": len(targets), "stats.last_scrape_at": now}},
            )
            stats.rebuild(project.pk)
        collection("users").update_one({"_id": user.pk}, {"$inc": {"usage.projects_count": projects}})
    report.seconds = time.monotonic() - started
    return report


def _targets(project: Project, rng: random.Random) -> list[Target]:
    targets = []
    for platform, url, kind, data in rng.sample(TARGETS, k=3):
        n = rng.randint(10_000, 99_999)
        values = {key: (n if key == "app_id" else value or f"seed{n}") for key, value in data.items()}
        target_url = url.format(n=n)
        targets.append(
            Target.objects.create(
                project=project,
                user_id=project.user_id,
                url=target_url,
                canonical_url=target_url,
                label=f"{platform.capitalize()} {n}",
                platform=platform,
                detected_type=kind,
                platform_data=PlatformData(**values),
            )
        )
    return targets


def _results(project, targets, count, sentences, rng, now) -> list[dict]:  # noqa: PLR0917
    docs = []
    for i in range(count):
        target = targets[i % len(targets)]
        text, label = rng.choice(sentences)
        rating = float(rng.choice((4, 5, 5)) if label else rng.choice((1, 1, 2, 3)))
        item = CollectedItem(
            platform_id=f"seed-{ObjectId()}",
            text=text,
            author=rng.choice(AUTHORS),
            rating=rating,
            date=now - timedelta(days=rng.randint(0, 89), hours=rng.randint(0, 23)),
            url=target.url,
        )
        ref = TargetRef(project.pk, target.pk, project.user_id, target.platform)
        doc = result_document(item, ref, None, now - timedelta(days=rng.randint(0, 30)))
        doc["_id"] = ObjectId()
        docs.append(doc)
    return docs
