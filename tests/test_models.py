"""The data model: documents round-trip with the specification's field names, the database
enforces uniqueness and the users schema, and clean() rejects out-of-range values."""

import copy
import re

import pytest
from bson import Binary
from django import forms
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError
from pymongo.errors import DuplicateKeyError, WriteError

from accounts.models import ApiKey, AuditLog, Provider, Role, User
from analysis.models import Content, Result, Topic
from notifications.models import Webhook
from projects.analysis_options import SentimentClasses
from projects.models import Platform, Preset, Project, Schedule, Target
from scraping.models import ScrapeJob
from sentimatrix.mongo import collection, get_db
from sentimatrix.validators import validation_errors
from tests import datamodel_samples as samples


@pytest.fixture
def data(db):
    return samples.everything()


def raw(model, pk):
    return collection(model._meta.db_table).find_one({"_id": pk})


# --- Round trips ------------------------------------------------------------------------


def test_project_config_and_stats_round_trip(data):
    project = Project.objects.get(pk=data.project.pk)
    assert project.config.scrapers.platforms == data.project.config.scrapers.platforms
    assert project.config.analysis.sentiment_classes == data.project.config.analysis.sentiment_classes
    assert project.stats.sentiment_distribution.positive == 0
    doc = raw(Project, project.pk)
    assert doc["user_id"] == data.user.pk
    assert set(doc["config"]) == {"scrapers", "llm", "analysis", "schedule", "limits"}
    assert doc["config"]["llm"]["temperature"] == project.config.llm.temperature
    assert doc["config"]["schedule"]["time"] == project.config.schedule.time
    assert doc["config"]["limits"]["rate_limit_delay"] == project.config.limits.rate_limit_delay
    assert doc["config"]["scrapers"]["commercial_config"]["render_js"] is False
    assert set(doc["stats"]) >= {"total_results", "sentiment_distribution", "llm_tokens_this_month"}
    assert "id" not in doc["config"]  # embedded documents carry no id of their own


def test_target_round_trip(data):
    target = Target.objects.get(pk=data.target.pk)
    assert target.platform_data.app_id == 620
    assert target.options.filter == {"purchase_type": "all"}
    assert target.stats.available_total == 240_000
    doc = raw(Target, target.pk)
    assert (doc["project_id"], doc["user_id"]) == (data.project.pk, data.user.pk)
    assert doc["platform_data"]["app_id"] == 620
    assert doc["options"]["language"] == "english"
    assert doc["metadata"] == {"team": "games"}
    assert doc["caveat"] == target.caveat
    assert doc["stats"]["results_count"] == 2


def test_result_round_trip_with_full_analysis(data):
    result = Result.objects.get(pk=data.result.pk)
    assert result.analysis.sentiment.scores.very_positive == 0.5
    assert [e.emotion for e in result.analysis.emotions.detected] == ["joy", "surprise"]
    assert result.analysis.insights.topics[1].sentiment == -0.4
    assert result.tags == ["favourite"] and result.pinned
    doc = raw(Result, result.pk)
    assert (doc["project_id"], doc["target_id"], doc["user_id"], doc["scrape_job_id"]) == (
        data.project.pk,
        data.target.pk,
        data.user.pk,
        data.job.pk,
    )
    assert doc["content"]["platform_id"] == "r-1"
    assert doc["content"]["metadata"] == {"votes_up": 12, "playtime_forever": 3400}
    assert doc["content"]["parent_id"] is None
    assert doc["analysis"]["sentiment"]["label"] == "positive"
    assert doc["analysis"]["emotions"]["detected"][0] == {"emotion": "joy", "score": 0.7}
    assert doc["analysis"]["summary"]["key_points"] == ["puzzles", "humour"]
    assert doc["analysis"]["insights"]["topics"][0] == {"topic": "puzzles", "sentiment": 0.9}
    assert doc["analysis"]["engine"] == "local"
    assert doc["flags"] == {"rating_disagreement": False}
    assert (doc["excluded"], doc["tags"], doc["pinned"]) == (False, ["favourite"], True)
    reply = raw(Result, data.reply.pk)
    assert reply["content"]["parent_id"] == "r-1"
    assert reply["analysis"]["sentiment"] is None  # not analysed yet


def test_scrape_job_round_trip(data):
    job = ScrapeJob.objects.get(pk=data.job.pk)
    assert job.targets[0].target_id == data.target.pk
    assert job.options.include_replies is True
    assert job.llm_usage.prompt_tokens == 1200
    doc = raw(ScrapeJob, job.pk)
    assert doc["triggered_by"] == data.user.pk
    entry = doc["targets"][0]
    assert entry["target_id"] == data.target.pk
    assert set(entry) >= {"heartbeat_at", "attempts", "available_total", "partial", "requests_made"}
    assert doc["options"]["date_to"] == samples.WHEN  # raw reads answer aware UTC datetimes
    assert doc["stats"]["targets_total"] == 1
    assert doc["llm_usage"] == {"prompt_tokens": 1200, "completion_tokens": 300, "cost_usd": 0.0042}
    assert (doc["cancel_requested"], doc["partial"]) == (False, False)


def test_schedule_preset_webhook_and_delivery_round_trip(data):
    schedule = Schedule.objects.get(pk=data.schedule.pk)
    assert schedule.run_history[0].job_id == data.job.pk
    assert data.project.schedule == schedule
    doc = raw(Schedule, schedule.pk)
    assert (doc["project_id"], doc["day_of_week"], doc["timezone"]) == (data.project.pk, 0, "Europe/Berlin")
    assert doc["run_history"][0]["status"] == "completed"

    preset = raw(Preset, data.preset.pk)
    assert (preset["user_id"], preset["name"]) == (data.user.pk, "My weekly set")
    assert preset["config"]["analysis"] == raw(Project, data.project.pk)["config"]["analysis"]

    hook = raw(Webhook, data.webhook.pk)
    assert hook["events"] == ["job.completed", "results.new"]
    assert isinstance(hook["secret_encrypted"], bytes | Binary) and "secret" not in hook
    assert hook["stats"]["total_deliveries"] == 0

    delivery = collection("webhook_deliveries").find_one({"_id": data.delivery.pk})
    assert delivery["webhook_id"] == data.webhook.pk
    assert delivery["request"]["headers"] == {"Content-Type": "application/json"}
    assert delivery["response"]["status_code"] == 204 and delivery["response"]["time_ms"] == 35


def test_api_key_and_audit_log_round_trip(data):
    key = ApiKey.objects.get(pk=data.api_key.pk)
    assert bytes(key.key_nonce) == b"\x00" * 12
    doc = raw(ApiKey, key.pk)
    assert doc["user_id"] == data.user.pk
    assert set(doc) >= {
        "encrypted_key",
        "key_nonce",
        "key_tag",
        "key_id",
        "masked_key",
        "is_valid",
        "base_url",
    }
    log = collection("audit_logs").find_one({"_id": data.audit_log.pk})
    assert (log["user_id"], log["event_type"], log["ip_address"]) == (
        data.user.pk,
        "auth.login",
        "203.0.113.9",
    )
    assert log["metadata"] == {"via": "form"}


def test_user_document_keeps_spec_names(data):
    doc = raw(User, data.user.pk)
    assert {"email", "password_hash", "settings", "oauth", "usage", "last_login_at", "created_at"} <= set(doc)
    assert "password" not in doc and "last_login" not in doc


def test_embedded_documents_have_no_collections(db):
    names = set(get_db().list_collection_names())
    assert not {n for n in names if n.startswith(("projects_", "scraping_", "analysis_"))}


# --- Uniqueness enforced by the database -------------------------------------------------


def test_duplicate_email_is_refused_by_the_database(db):
    samples.user("dup@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create(email="dup@example.com", password="x")
    doc = raw(User, User.objects.get().pk)
    doc.pop("_id")
    with pytest.raises(DuplicateKeyError):
        collection("users").insert_one(doc)


def test_duplicate_preset_name_is_refused_per_user(data):
    with pytest.raises(IntegrityError):
        Preset.objects.create(user=data.user, name=data.preset.name)
    other = samples.user("ben@example.com")
    Preset.objects.create(user=other, name=data.preset.name)  # another user may use the name
    assert Preset.objects.filter(name=data.preset.name).count() == 2


def test_duplicate_result_for_a_target_is_refused(data):
    dup = Result(
        project=data.project,
        target=data.target,
        user=data.user,
        content=Content(text="again", platform_id=data.result.content.platform_id),
        platform=Platform.STEAM,
    )
    with pytest.raises(IntegrityError):
        dup.save()
    other_target = samples.target(data.project, url="https://store.steampowered.com/app/400/")
    dup.pk, dup.target = None, other_target
    dup.save()  # the same platform id under another target is another item
    assert Result.objects.filter(content__platform_id="r-1").count() == 2


def test_one_schedule_per_project(data):
    with pytest.raises(IntegrityError):
        Schedule.objects.create(project=data.project, user=data.user)


def test_oauth_ids_are_unique_only_when_set(db):
    first, second = samples.user("a@example.com"), samples.user("b@example.com")  # both unlinked
    first.oauth.google_id = "g-123"
    first.save()
    second.oauth.google_id = "g-123"
    with pytest.raises(IntegrityError):
        second.save()


# --- users $jsonSchema ------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"password_hash": None},
        {"role": "owner"},
        {"email": 42},
        {"created_at": "yesterday"},
        {"status": "gone"},
    ],
    ids=["no-password-hash", "bad-role", "email-not-string", "created-at-not-date", "bad-status"],
)
def test_users_validator_refuses_malformed_documents(db, change):
    samples.user("good@example.com")
    doc = raw(User, User.objects.get().pk)
    doc.pop("_id")
    doc["email"] = "other@example.com"
    for key, value in change.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    with pytest.raises(WriteError) as exc:
        collection("users").insert_one(doc)
    assert exc.value.code == 121  # DocumentValidationFailure


def test_users_validator_guards_orm_updates_too(db):
    user = samples.user("good@example.com")
    with pytest.raises(DatabaseError):
        User.objects.filter(pk=user.pk).update(role="root")
    assert User.objects.get(pk=user.pk).role == Role.USER


# --- clean() ------------------------------------------------------------------------------


def _set(obj, path, value):
    *parents, last = path.split(".")
    for name in parents:
        obj = obj[int(name)] if name.isdigit() else getattr(obj, name)
    setattr(obj, last, value)


CASES = [
    # (object, dotted attribute path, bad value, error path reported)
    ("result", "analysis.sentiment.score", 1.5, "analysis.sentiment.score"),
    ("result", "analysis.sentiment.score", -1.01, "analysis.sentiment.score"),
    ("result", "analysis.sentiment.confidence", 1.2, "analysis.sentiment.confidence"),
    ("result", "analysis.sentiment.label", "ecstatic", "analysis.sentiment.label"),
    ("result", "analysis.emotions.primary_score", -0.1, "analysis.emotions.primary_score"),
    ("result", "analysis.emotions.detected.1.score", 3.0, "analysis.emotions.detected[1].score"),
    ("result", "analysis.insights.topics.0.sentiment", 2.0, "analysis.insights.topics[0].sentiment"),
    ("result", "content.url", "javascript:alert(1)", "content.url"),
    ("result", "content.platform_id", "", "content.platform_id"),
    ("job", "progress", 101, "progress"),
    ("job", "targets.0.progress", 250, "targets[0].progress"),
    ("job", "options.date_from", samples.WHEN.replace(year=2030), "options.date_to"),
    ("job", "options.max_results", 0, "options.max_results"),
    ("schedule", "time", "24:00", "time"),
    ("schedule", "time", "7:05", "time"),
    ("schedule", "timezone", "Mars/Olympus_Mons", "timezone"),
    ("schedule", "day_of_week", 7, "day_of_week"),
    ("schedule", "day_of_week", None, "day_of_week"),  # weekly needs a day
    ("schedule", "day_of_month", 29, "day_of_month"),
    ("schedule", "day_of_month", 0, "day_of_month"),
    ("project", "config.llm.temperature", 2.5, "config.llm.temperature"),
    ("project", "config.llm.temperature", -0.1, "config.llm.temperature"),
    ("project", "config.llm.max_tokens", 0, "config.llm.max_tokens"),
    ("project", "config.llm.provider", "openai", "config.llm.model"),  # a provider needs a model
    ("project", "config.analysis.sentiment_classes", 4, "config.analysis.sentiment_classes"),
    ("project", "config.analysis.emotion_model", "freud", "config.analysis.emotion_model"),
    ("project", "config.limits.max_reviews_per_target", 0, "config.limits.max_reviews_per_target"),
    ("project", "config.limits.max_requests_per_day", 0, "config.limits.max_requests_per_day"),
    ("project", "config.limits.rate_limit_delay", -0.5, "config.limits.rate_limit_delay"),
    ("project", "config.schedule.time", "25:00", "config.schedule.time"),
    ("project", "config.schedule.timezone", "Nowhere/Special", "config.schedule.timezone"),
    ("project", "config.schedule.days", [1, 7], "config.schedule.days"),
    ("project", "config.scrapers.platforms", ["steam", "myspace"], "config.scrapers.platforms"),
    ("project", "config.scrapers.commercial_provider", "scrapingbee", "config.scrapers.commercial_provider"),
    ("project", "stats.avg_sentiment", 1.5, "stats.avg_sentiment"),
    ("target", "url", "not a web address", "url"),
    ("webhook", "url", "ftp://hooks.example.com/x", "url"),
    ("webhook", "events", [], "events"),
    ("webhook", "events", ["job.exploded"], "events"),
    ("webhook", "events", ["job.failed", "job.failed"], "events"),
    ("api_key", "base_url", "https://llm.example.com/v1", "base_url"),  # openai takes no base URL
]


def test_clean_rejects_each_out_of_range_value(data):
    # One test over all cases: the documents are built once and copied per case.
    failures = []
    for name, path, value, error_path in CASES:
        obj = copy.deepcopy(getattr(data, name))
        assert validation_errors(obj) == {}, name
        _set(obj, path, value)
        errors = validation_errors(obj)
        try:
            obj.full_clean()
        except ValidationError as exc:
            reported = exc.message_dict
        else:
            reported = {}
        # full_clean() reports embedded errors under the top-level field, with their path in front.
        top = re.split(r"[.\[]", error_path, maxsplit=1)[0]
        rest = error_path[len(top) :].lstrip(".")
        messages = reported.get(top, [])
        in_full_clean = any(m.startswith(f"{rest}: ") for m in messages) if rest else bool(messages)
        if error_path not in errors or not in_full_clean:
            failures.append(f"{name}.{path}={value!r}: {errors} / {reported}")
    assert not failures, "\n".join(failures)


def test_clean_accepts_the_boundaries(data):
    data.result.analysis.sentiment.score = -1.0
    data.result.analysis.sentiment.confidence = 1.0
    data.project.config.llm.temperature = 2.0
    data.project.config.analysis.sentiment_classes = SentimentClasses.FIVE
    data.schedule.time, data.schedule.frequency, data.schedule.day_of_month = "23:59", "monthly", 28
    data.job.progress = 100
    for obj in (data.result, data.project, data.schedule, data.job):
        obj.full_clean()


def test_imported_file_targets_need_no_web_address(data):
    target = Target(project=data.project, user=data.user, url="reviews-2026.csv", platform=Platform.FILE)
    target.full_clean()


def test_openai_compatible_key_needs_a_base_url(data):
    key = data.api_key
    key.provider = Provider.OPENAI_COMPATIBLE
    assert "base_url" in validation_errors(key)
    key.base_url = "https://llm.example.com/v1"
    key.full_clean()


def test_model_forms_run_the_same_validation(data):
    ScheduleForm = forms.modelform_factory(Schedule, fields=["frequency", "time", "timezone", "day_of_week"])
    form = ScheduleForm(
        {"frequency": "weekly", "time": "7:5", "timezone": "Europe/Atlantis", "day_of_week": ""},
        instance=data.schedule,
    )
    assert not form.is_valid()
    assert set(form.errors) == {"time", "timezone", "day_of_week"}
    WebhookForm = forms.modelform_factory(Webhook, fields=["url", "label"])
    assert "url" in WebhookForm({"url": "gopher://x", "label": "x"}, instance=data.webhook).errors


def test_embedded_array_entries_are_type_checked(data):
    data.result.analysis.insights.topics = [Topic(topic="ok", sentiment=0.1), "not a topic"]
    assert "analysis.insights.topics" in validation_errors(data.result)


# --- Deletion -------------------------------------------------------------------------------


def test_deleting_a_job_keeps_its_results(data):
    data.job.delete()
    assert Result.objects.filter(target=data.target).count() == 2
    assert raw(Result, data.result.pk)["scrape_job_id"] is None


def test_deleting_a_user_removes_their_data_and_keeps_the_audit_trail(data):
    data.user.delete()
    for model in (Project, Target, Result, ScrapeJob, Schedule, Preset, Webhook, ApiKey):
        assert not model.objects.exists(), model.__name__
    assert not collection("webhook_deliveries").count_documents({})
    assert raw(AuditLog, data.audit_log.pk)["user_id"] is None
