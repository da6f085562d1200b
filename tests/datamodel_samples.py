"""Builders of complete documents for the data-model tests (every embedded part filled)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from accounts.models import ApiKey, AuditLog, Provider, User
from analysis.models import (
    Analysis,
    AnalysisEngine,
    Content,
    DetectedEmotion,
    Emotions,
    Insights,
    ReleaseMarker,
    Result,
    ResultFlags,
    Sentiment,
    SentimentLabel,
    SentimentScores,
    Summary,
    Topic,
)
from notifications.models import (
    Alert,
    AlertKind,
    AlertRule,
    DeliveryRequest,
    DeliveryResponse,
    DeliveryStatus,
    ReportSchedule,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from projects import presets
from projects.models import (
    PlatformData,
    Project,
    RunHistoryEntry,
    RunStatus,
    Schedule,
    Target,
    TargetOptions,
    TargetStats,
)
from projects.platforms import DetectedType, Platform
from scraping.models import JobOptions, JobStats, JobStatus, JobTarget, LLMUsage, ScrapeJob

PASSWORD = "a-Long-pass-phrase-42"
WHEN = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def user(email: str = "ana@example.com", **extra) -> User:
    return User.objects.create_user(email, PASSWORD, **extra)


def project(owner: User, name: str = "Headphones X2", preset: str = "standard") -> Project:
    p = Project(user=owner, name=name, description="Launch feedback")
    presets.apply_preset(p, preset)
    p.full_clean()
    p.save()
    return p


def target(proj: Project, url: str = "https://store.steampowered.com/app/620/", **extra) -> Target:
    defaults = {
        "label": "Portal 2",
        "platform": Platform.STEAM,
        "detected_type": DetectedType.GAME,
        "platform_data": PlatformData(app_id=620),
        "options": TargetOptions(language="english", sort_by="recent", filter={"purchase_type": "all"}),
        "metadata": {"team": "games"},
        "stats": TargetStats(results_count=2, available_total=240_000),
        "caveat": "Steam returns at most the newest reviews per language.",
    }
    defaults.update(extra)
    t = Target(project=proj, user=proj.user, url=url, **defaults)
    t.full_clean()
    t.save()
    return t


def job(proj: Project, targets: list[Target]) -> ScrapeJob:
    j = ScrapeJob(
        project=proj,
        user=proj.user,
        status=JobStatus.RUNNING,
        progress=50,
        targets=[
            JobTarget(
                target_id=t.pk,
                status=JobStatus.RUNNING,
                progress=50,
                results_count=3,
                attempts=1,
                heartbeat_at=WHEN,
                started_at=WHEN,
                available_total=240_000,
                requests_made=2,
            )
            for t in targets
        ],
        options=JobOptions(
            max_results=100, include_replies=True, date_from=WHEN - timedelta(days=30), date_to=WHEN
        ),
        stats=JobStats(targets_total=len(targets), results_total=3, requests_made=2),
        triggered_by=proj.user,
        started_at=WHEN,
        llm_usage=LLMUsage(prompt_tokens=1200, completion_tokens=300, cost_usd=0.0042),
    )
    j.full_clean()
    j.save()
    return j


def analysis(score: float = 0.8) -> Analysis:
    label = SentimentLabel.POSITIVE if score > 0.2 else SentimentLabel.NEGATIVE if score < -0.2 else "neutral"
    return Analysis(
        sentiment=Sentiment(
            label=label,
            score=score,
            confidence=0.9,
            scores=SentimentScores(
                very_positive=0.5, positive=0.3, neutral=0.1, negative=0.05, very_negative=0.05
            ),
            analyzed_at=WHEN,
        ),
        emotions=Emotions(
            model="ekman",
            primary="joy",
            primary_score=0.7,
            detected=[
                DetectedEmotion(emotion="joy", score=0.7),
                DetectedEmotion(emotion="surprise", score=0.2),
            ],
            analyzed_at=WHEN,
        ),
        summary=Summary(text="Loved the puzzles.", key_points=["puzzles", "humour"], generated_at=WHEN),
        insights=Insights(
            pros=["clever puzzles"],
            cons=["short"],
            topics=[Topic(topic="puzzles", sentiment=0.9), Topic(topic="length", sentiment=-0.4)],
            extracted_at=WHEN,
        ),
        engine=AnalysisEngine.LOCAL,
    )


def result(tgt: Target, platform_id: str, text: str, title: str = "", scrape_job=None, **extra) -> Result:
    r = Result(
        project=tgt.project,
        target=tgt,
        user=tgt.user,
        scrape_job=scrape_job,
        content=Content(
            text=text,
            title=title,
            author="gordon",
            rating=1.0,
            date=WHEN,
            url=f"https://steamcommunity.com/id/gordon/recommended/620/#{platform_id}",
            platform_id=platform_id,
            metadata={"votes_up": 12, "playtime_forever": 3400},
        ),
        platform=tgt.platform,
        language="en",
        word_count=len(text.split()),
        **extra,
    )
    r.full_clean()
    r.save()
    return r


def everything(email: str = "ana@example.com") -> SimpleNamespace:
    """One document in every collection, related the way the product relates them."""
    owner = user(email, name="Ana")
    proj = project(owner)
    tgt = target(proj)
    scrape = job(proj, [tgt])
    res = result(
        tgt,
        "r-1",
        "Brilliant puzzles and a great sense of humour.",
        title="A classic",
        scrape_job=scrape,
        analysis=analysis(0.8),
        flags=ResultFlags(rating_disagreement=False),
        tags=["favourite"],
        pinned=True,
    )
    reply = result(tgt, "r-2", "Agreed, the co-op is even better.", scrape_job=scrape)
    reply.content.parent_id = "r-1"
    reply.save()
    schedule = Schedule(
        project=proj,
        user=owner,
        frequency="weekly",
        time="07:45",
        timezone="Europe/Berlin",
        day_of_week=0,
        next_run=WHEN + timedelta(days=7),
        run_history=[
            RunHistoryEntry(job_id=scrape.pk, started_at=WHEN, status=RunStatus.COMPLETED, results_count=2)
        ],
    )
    schedule.full_clean()
    schedule.save()
    preset = presets.save_as_preset(proj, "My weekly set", "What the launch team uses")
    hook = Webhook(
        user=owner,
        url="https://hooks.example.com/sentimatrix",
        events=[WebhookEvent.JOB_COMPLETED, WebhookEvent.RESULTS_NEW],
        label="Team chat",
        secret_encrypted=b"\x01\x02",
        secret_nonce=b"\x00" * 12,
        secret_tag=b"\x00" * 16,
        secret_key_id="k1",
    )
    hook.full_clean()
    hook.save()
    delivery = WebhookDelivery(
        webhook=hook,
        user=owner,
        event=WebhookEvent.JOB_COMPLETED,
        status=DeliveryStatus.SUCCESS,
        request=DeliveryRequest(
            url=hook.url, headers={"Content-Type": "application/json"}, body='{"job": 1}'
        ),
        response=DeliveryResponse(status_code=204, headers={"Server": "test"}, body="", time_ms=35),
        attempts=1,
        delivered_at=WHEN,
    )
    delivery.full_clean()
    delivery.save()
    key = ApiKey(
        user=owner,
        name="Team OpenAI",
        provider=Provider.OPENAI,
        encrypted_key=b"\x10" * 20,
        key_nonce=b"\x00" * 12,
        key_tag=b"\x00" * 16,
        key_id="k1",
        masked_key="sk-…abcd",
        is_valid=True,
    )
    key.full_clean()
    key.save()
    report = ReportSchedule(
        user=owner, project=proj, name="Clients weekly", recipients=["client@example.com"], hour=9
    )
    report.full_clean()
    report.save()
    log = AuditLog.objects.create(
        user=owner,
        event_type="auth.login",
        ip_address="203.0.113.9",
        user_agent="pytest",
        metadata={"via": "form"},
    )
    rule = AlertRule(
        user=owner,
        project=proj,
        name="Refund complaints",
        kind=AlertKind.KEYWORD,
        target_ids=[tgt.pk],
        platforms=["steam"],
        query='refund "money back"',
        only_negative=True,
        min_count=3,
        significance=0.01,
        chat_webhook_urls=["https://hooks.example.com/chat"],
    )
    rule.full_clean()
    rule.save()
    alert = Alert(
        user=owner,
        project=proj,
        rule=rule,
        kind=AlertKind.KEYWORD,
        key=f"{rule.pk}:day:2025-03-14",
        title="5 results mention refund",
        window_start=WHEN,
        window_end=WHEN + timedelta(days=1),
        baseline=0.4,
        observed=5,
        statistic=7.2,
        p_value=0.0004,
        details={"test": "poisson"},
        result_ids=[res.pk],
    )
    alert.full_clean()
    alert.save()
    marker = ReleaseMarker(
        project=proj, user=owner, at=WHEN, whole_day=False, label="v1.2 patch", note="Crash on start fixed"
    )
    marker.full_clean()
    marker.save()
    return SimpleNamespace(
        user=owner,
        project=proj,
        target=tgt,
        job=scrape,
        result=res,
        reply=reply,
        schedule=schedule,
        preset=preset,
        webhook=hook,
        delivery=delivery,
        api_key=key,
        audit_log=log,
        report=report,
        alert_rule=rule,
        alert=alert,
        marker=marker,
    )
