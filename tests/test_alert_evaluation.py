"""Alert rules evaluated on a real database: history written through the statistics' own write
path (``analysis.stats``), a batch of stored results, and the evaluation after it.

Each rule kind fires on the batch with a planted change and stays silent on the same history
with an ordinary batch; cooldown and mute hold; a keyword rule links exactly its matching
results; evaluating twice stores one alert; the analysis pipeline's signal reaches evaluation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from celery import current_app

from analysis import pipeline, stats
from notifications.alerts import evaluation, tasks
from notifications.models import Alert, AlertRule
from sentimatrix.mongo import collection
from tests.clock import SEED_NOW
from tests.factories import make_project, make_user
from tests.results_seed import add_target

NOW = SEED_NOW  # 2030-07-17 14:30 UTC, a Wednesday
TODAY = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)
WEEK = (24, 22, 20, 20, 18, 14, 12)  # results per day, Monday .. Sunday


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list]]:
    """Tasks sent by name (delivery, evaluation), recorded instead of reaching the broker."""
    calls: list[tuple[str, list]] = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args=None, **kw: calls.append((name, args)))
    return calls


@pytest.fixture
def shop(db):
    user = make_user()
    project = make_project(user, name="Shop")
    steam = add_target(project, "steam", "Our game", 1)
    amazon = add_target(project, "amazon", "Soundtrack", 2)
    return project, steam, amazon


def rule(project, kind: str, **fields) -> AlertRule:
    return AlertRule.objects.create(user_id=project.user_id, project=project, name=f"{kind} watch", kind=kind,
                                    **fields)  # fmt: skip


def seed_history(project, target, *, days: int = 56, negative_every: int = 5, score: float = 0.4,
                 rating: float | None = 4.5, topic: str | None = None, per_hour: int = 0) -> None:  # fmt: skip
    """Eight weeks before today of ordinary days, written as the analysis writes them."""
    delta = stats.Delta()
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        for i in range(WEEK[day.weekday()]):
            negative = i % negative_every == 0
            delta.add(
                stats.Contribution(
                    project_id=project.pk, target_id=target.pk, platform=target.platform, day=day,
                    label="negative" if negative else "positive",
                    score=(score - 0.3 if i % 2 else score + 0.3), rating=rating,
                    topics=(topic,) if topic and i % 10 == 0 else (),
                ),
                +1,
            )  # fmt: skip
    for back in range(14 * 24, 0, -1) if per_hour else ():
        hour = NOW.replace(minute=0) - timedelta(hours=back)
        for _ in range(per_hour):
            delta.add(stats.Contribution(project.pk, target.pk, target.platform, TODAY - timedelta(days=60),
                                         "positive", 0.5, hour=hour), +1)  # fmt: skip
    stats.apply(delta)


def add_batch(project, target, texts: list[str], *, labels=None, score: float = 0.4, rating: float | None = 4.5,
              topics=(), posted: datetime = NOW, collected: datetime = NOW) -> list[ObjectId]:  # fmt: skip
    """Stored, analysed results of today (their statistics applied as the pipeline does)."""
    docs = []
    for i, text in enumerate(texts):
        label = labels[i] if labels else "positive"
        docs.append({
            "project_id": project.pk, "target_id": target.pk, "user_id": project.user_id, "platform": target.platform,
            "content": {"text": text, "title": "", "rating": rating, "date": posted - timedelta(minutes=i % 60),
                        "platform_id": f"r{ObjectId()}", "metadata": {}},
            "analysis": {
                "sentiment": {"label": label, "score": score, "confidence": 0.9, "analyzed_at": NOW},
                "insights": {"topics": [{"topic": t, "sentiment": -0.5} for t in topics]} if topics else None,
                "engine": "local",
            },
            "excluded": False, "flags": {"rating_disagreement": False}, "tags": [], "pinned": False,
            "created_at": collected - timedelta(minutes=i % 20), "updated_at": NOW,
        })  # fmt: skip
    ids = collection("results").insert_many(docs).inserted_ids
    delta = stats.Delta()
    for doc in docs:
        delta.add(stats.contribution(doc), +1)
    stats.apply(delta)
    return list(ids)


def texts(n: int, word: str = "fine") -> list[str]:
    return [f"Review {i}: {word} game" for i in range(n)]


def alerts_of(r: AlertRule) -> list[Alert]:
    return list(Alert.objects.filter(rule=r))


# --- each kind: fires on the planted change, silent without it ---------------------------------


@pytest.mark.parametrize(("count", "fires"), [(90, True), (20, False)])
def test_volume_spike(shop, sent, count, fires):
    project, steam, _amazon = shop
    seed_history(project, steam)
    r = rule(project, "volume_spike")
    ids = add_batch(project, steam, texts(count))
    made = evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert bool(made) is fires
    if fires:
        (alert,) = alerts_of(r)
        assert alert.window_start == TODAY and alert.window_end == TODAY + timedelta(days=1)
        assert alert.observed == count and 15 < alert.baseline < 25
        assert alert.p_value < r.significance and alert.statistic == pytest.approx(count / alert.baseline)
        assert alert.details["test"] == "poisson" and alert.details["baseline_days"] == 56
        assert set(alert.result_ids) == set(ids)  # every result of the window drove it
        assert sent == [("notifications.deliver_alert", [str(alert.pk)])]
        r.refresh_from_db()
        assert r.last_triggered_at == NOW
    else:
        assert alerts_of(r) == [] and sent == []


def test_volume_spike_outside_the_rules_scope_is_not_seen(shop, sent):
    project, steam, amazon = shop
    seed_history(project, steam)
    seed_history(project, amazon)
    r = rule(project, "volume_spike", platforms=["amazon"])
    add_batch_ids = add_batch(project, steam, texts(90))
    assert evaluation.evaluate_batch(project.pk, add_batch_ids, now=NOW) == []
    scoped = rule(project, "volume_spike", target_ids=[steam.pk])
    assert [a.rule_id for a in evaluation.evaluate_batch(project.pk, add_batch_ids, now=NOW)] == [scoped.pk]
    assert alerts_of(r) == []


@pytest.mark.parametrize(("negatives", "fires"), [(30, True), (8, False)])
def test_negative_share(shop, sent, negatives, fires):
    project, steam, _ = shop
    seed_history(project, steam, negative_every=5)  # 20% negative
    r = rule(project, "negative_share")
    labels = ["negative"] * negatives + ["positive"] * (40 - negatives)
    ids = add_batch(project, steam, texts(40), labels=labels)
    evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert len(alerts_of(r)) == int(fires)
    if fires:
        (alert,) = alerts_of(r)
        # Eight of each weekday, every fifth result negative; the share is Laplace-smoothed.
        total, negative = 8 * sum(WEEK), 8 * sum(-(-n // 5) for n in WEEK)
        assert alert.observed == pytest.approx(0.75) and alert.baseline == pytest.approx(
            (negative + 1) / (total + 2)
        )
        assert alert.details["test"] == "binomial"
        assert set(alert.result_ids) == set(ids[:negatives])  # the negative results


@pytest.mark.parametrize(("score", "fires"), [(-0.5, True), (0.35, False)])
def test_sentiment_drop(shop, sent, score, fires):
    project, steam, _ = shop
    seed_history(project, steam, score=0.4)
    r = rule(project, "sentiment_drop")
    labels = ["negative" if score < 0 else "positive"] * 30
    ids = add_batch(project, steam, texts(30), labels=labels, score=score)
    evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert len(alerts_of(r)) == int(fires)
    if fires:
        (alert,) = alerts_of(r)
        assert alert.observed == pytest.approx(-0.5) and alert.baseline == pytest.approx(0.4, abs=0.01)
        assert alert.statistic < -3 and alert.details["test"] == "z-sentiment"


@pytest.mark.parametrize(("rating", "fires"), [(1.0, True), (4.4, False)])
def test_rating_drop(shop, sent, rating, fires):
    project, _, amazon = shop
    seed_history(project, amazon, rating=4.5)
    r = rule(project, "rating_drop")
    ids = add_batch(project, amazon, texts(30), rating=rating)
    evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert len(alerts_of(r)) == int(fires)
    if fires:
        (alert,) = alerts_of(r)
        assert alert.observed == pytest.approx(1.0) and alert.baseline == pytest.approx(4.5)
        assert set(alert.result_ids) == set(ids)  # rated at most 2


@pytest.mark.parametrize(("mentions", "fires"), [(15, True), (2, False)])
def test_topic_appears(shop, sent, mentions, fires):
    project, steam, _ = shop
    seed_history(project, steam, topic="graphics")
    r = rule(project, "topic")
    words = ["battery drain"] * mentions + ["fine"] * (20 - mentions)
    ids = []
    for i, word in enumerate(words):
        ids += add_batch(
            project, steam, [f"Review {i}: {word}"], topics=("battery drain",) if word != "fine" else ()
        )
    evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert len(alerts_of(r)) == int(fires)
    if fires:
        (alert,) = alerts_of(r)
        assert alert.details["topic"] == "battery drain" and alert.details["appeared"]
        assert alert.observed == mentions
        assert set(alert.result_ids) == set(ids[:mentions])


def test_a_topic_at_its_usual_level_stays_silent_and_a_named_topic_is_the_only_one_watched(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam, topic="graphics")  # about two mentions a day
    usual = rule(project, "topic", query="graphics")
    ids = add_batch(project, steam, texts(3), topics=("graphics",))
    ids += add_batch(project, steam, texts(15), topics=("battery drain",))
    evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert alerts_of(usual) == []


# --- keyword rules ------------------------------------------------------------------------------


def test_keyword_rule_links_exactly_the_matching_results(shop, sent):
    project, steam, _ = shop
    r = rule(project, "keyword", query='refund -"no refund"', min_count=3)
    plain = add_batch(project, steam, texts(6))
    matching = add_batch(
        project, steam, ["I want a REFUND now", "refund please", "Refund!!", "refunded twice"]
    )
    excluded = add_batch(project, steam, ["no refund for me"])
    evaluation.evaluate_batch(project.pk, plain + matching + excluded, now=NOW)
    (alert,) = alerts_of(r)
    assert set(alert.result_ids) == set(matching)
    assert alert.observed == 4 and alert.details["query"] == r.query
    assert alert.window_start == TODAY


def test_keyword_rule_counts_across_batches_and_only_negative_ones_when_asked(shop, sent):
    project, steam, _ = shop
    r = rule(project, "keyword", query="crash", only_negative=True, min_count=3)
    first = add_batch(project, steam, ["crash on start", "crash again"], labels=["negative", "very_negative"])
    positive = add_batch(project, steam, ["no crash since the patch"], labels=["positive"])
    evaluation.evaluate_batch(project.pk, first + positive, now=NOW)
    assert alerts_of(r) == []  # two so far
    evaluation.evaluate_batch(project.pk, first, now=NOW)  # the same batch again counts once
    assert alerts_of(r) == []
    second = add_batch(project, steam, ["it crashes"], labels=["negative"])
    evaluation.evaluate_batch(project.pk, second, now=NOW)
    (alert,) = alerts_of(r)
    assert set(alert.result_ids) == set(first + second)


def test_old_results_never_alert(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam)
    r = rule(project, "volume_spike")
    long_ago = NOW - timedelta(days=20)
    ids = add_batch(project, steam, texts(200), posted=long_ago, collected=long_ago)
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW) == []
    assert alerts_of(r) == []


# --- once per window, cooldown, mute -------------------------------------------------------------


def test_evaluating_twice_makes_one_alert(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam)
    r = rule(project, "volume_spike", cooldown_hours=0)
    ids = add_batch(project, steam, texts(90))
    assert len(evaluation.evaluate_batch(project.pk, ids, now=NOW)) == 1
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW + timedelta(minutes=5)) == []
    assert tasks.evaluate_alerts(str(project.pk), [str(i) for i in ids]) == 0
    assert len(alerts_of(r)) == 1 and len(sent) == 1


def test_cooldown_holds(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam)
    r = rule(project, "volume_spike", cooldown_hours=24, last_triggered_at=NOW - timedelta(hours=23))
    ids = add_batch(project, steam, texts(90))
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW) == []
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW + timedelta(hours=1, minutes=1)) != []
    assert len(alerts_of(r)) == 1


def test_mute_and_disable_hold(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam)
    muted = rule(project, "volume_spike", muted_until=NOW + timedelta(hours=2))
    disabled = rule(project, "volume_spike", enabled=False)
    ids = add_batch(project, steam, texts(90))
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW) == []
    made = evaluation.evaluate_batch(project.pk, ids, now=NOW + timedelta(hours=3))
    assert [a.rule_id for a in made] == [muted.pk]
    assert alerts_of(disabled) == []


# --- hour rules, closed periods ------------------------------------------------------------------


def test_hourly_volume_spike_from_the_hourly_counts(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam, per_hour=6)
    r = rule(project, "volume_spike", period="hour")
    ids = add_batch(project, steam, texts(12))
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW) == []  # 12 in an hour: not a spike yet
    ids += add_batch(project, steam, texts(30))
    (alert,) = evaluation.evaluate_batch(project.pk, ids, now=NOW)
    assert alert.window_start == NOW.replace(minute=0) and alert.window_end - alert.window_start == timedelta(
        hours=1
    )
    assert alert.observed == 42 and alert.baseline == pytest.approx(6.0) and "baseline_hours" in alert.details
    assert set(alert.result_ids) == set(ids)
    assert r.pk == alert.rule_id


def test_the_closed_day_is_judged_by_beat(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam)
    r = rule(project, "volume_spike")
    rule(project, "keyword", query="crash")  # not a closed-period rule
    yesterday = NOW - timedelta(days=1)
    add_batch(project, steam, texts(90), posted=yesterday, collected=yesterday)
    assert evaluation.evaluate_all_closed("day", now=NOW) == 1
    (alert,) = alerts_of(r)
    assert alert.window_start == TODAY - timedelta(days=1)
    assert evaluation.evaluate_all_closed("day", now=NOW) == 0


# --- the pipeline's signal reaches evaluation ---------------------------------------------------------


def test_an_analysed_batch_queues_the_evaluation_that_alerts(shop, sent, seed_clock):
    project, steam, _ = shop
    r = rule(project, "keyword", query="refund", min_count=2)
    docs = [
        {"project_id": project.pk, "target_id": steam.pk, "user_id": project.user_id, "platform": "steam",
         "content": {"text": text, "title": "", "rating": None, "date": None, "platform_id": f"p{i}",
                     "metadata": {}},
         "analysis": {"sentiment": None, "emotions": None, "summary": None, "insights": None, "engine": ""},
         "excluded": False, "flags": {}, "tags": [], "pinned": False, "created_at": seed_clock,
         "updated_at": seed_clock}
        for i, text in enumerate(["I asked for a refund, terrible", "Great puzzles", "Refund it, broken",
                                  "Fun with friends"])
    ]  # fmt: skip
    ids = list(collection("results").insert_many(docs).inserted_ids)
    assert pipeline.analyze_results(project.pk, ids) == 4
    ((name, args),) = sent
    assert name == "notifications.evaluate_alerts"
    assert args == [str(project.pk), [str(i) for i in ids]]
    assert tasks.evaluate_alerts(*args) == 1
    (alert,) = alerts_of(r)
    assert set(alert.result_ids) == {ids[0], ids[2]}
    assert sent[-1] == ("notifications.deliver_alert", [str(alert.pk)])


def test_a_project_without_rules_queues_nothing(shop, sent, seed_clock):
    project, steam, _ = shop
    ids = add_batch(project, steam, texts(3))
    pipeline.announce_batch(project.pk, ids, [TODAY])
    assert sent == []


def test_the_closed_hour_is_judged_by_beat_and_hour_rules_of_other_kinds_are_never_judged(shop, sent):
    project, steam, _ = shop
    seed_history(project, steam, per_hour=6)
    hourly = rule(project, "volume_spike", period="hour")
    other = rule(project, "negative_share", period="hour")
    last_hour = NOW - timedelta(hours=1)
    ids = add_batch(
        project, steam, texts(42), labels=["negative"] * 42, posted=last_hour, collected=last_hour
    )
    assert evaluation.evaluate_all_closed("hour", now=NOW) == 1
    (alert,) = alerts_of(hourly)
    assert alert.window_start == last_hour.replace(minute=0) and set(alert.result_ids) == set(ids)
    assert evaluation.evaluate_batch(project.pk, ids, now=NOW) == []
    assert alerts_of(other) == []
