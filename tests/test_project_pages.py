"""Project pages: list, create from a preset, edit every part of the config, save as a preset,
pause/resume, archive (read-only) and delete (everything of the project, nothing else)."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import vault
from accounts.models import AuditLog, Provider, User
from analysis.models import Result
from projects import presets
from projects.models import Preset, Project, ProjectConfig, Schedule, Target
from projects.signals import project_deleting
from scraping.models import JobStatus, JobTarget, ScrapeJob
from sentimatrix.mongo import collection
from sentimatrix.when import format_when
from tests.factories import make_project, make_user
from tests.page_helpers import add_results, add_target, form_post_data, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


STEAM = "https://store.steampowered.com/app/{}/"


def config_document(config: ProjectConfig) -> dict:
    doc = Project._meta.get_field("config").get_db_prep_save(config, connection)
    doc["schedule"].pop("next_run_at", None)
    return doc


def create_through_page(client, name: str, start_from: str) -> Project:
    response = client.post(
        reverse("projects:create"), {"name": name, "description": "", "start_from": start_from}
    )
    assert response.status_code == 302, response.content
    project = Project.objects.get(name=name)
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    return project


def refreshed(user) -> User:
    return User.objects.get(pk=user.pk)


# --- list and create ----------------------------------------------------------------------


def test_list_is_empty_first_then_a_grid_or_a_table_per_the_users_layout(client):
    user = make_user()
    client.force_login(user)
    empty = client.get(reverse("projects:list"))
    assert empty.status_code == 200 and b"No project yet" in empty.content
    assert reverse("projects:create").encode() in empty.content

    project = make_project(user, name="Headphones launch")
    target = add_target(project, STEAM.format(570), STEAM.format(570))
    add_results(target, [0.8, 0.6, -0.4])
    collection("projects").update_one(
        {"_id": project.pk}, {"$set": {"stats.last_scrape_at": project.created_at}}
    )
    project.refresh_from_db()
    grid = client.get(reverse("projects:list")).content.decode()
    assert "grid-cards" in grid and "Headphones launch" in grid
    assert f"{project.stats.avg_sentiment:.2f}" in grid and ">3<" in grid  # average and result count

    user.settings.dashboard_layout = "list"
    user.save()
    table = client.get(reverse("projects:list")).content.decode()
    assert "<table" in table and "grid-cards" not in table and "Headphones launch" in table
    assert format_when(project.created_at) in table  # the last scrape, in the user's zone


def test_create_from_a_system_preset_or_from_scratch_counts_against_the_plan(client):
    user = make_user()
    client.force_login(user)
    page = client.get(reverse("projects:create"))
    assert page.status_code == 200
    assert page.context["form"]["start_from"].value() == user.settings.default_preset

    advanced = create_through_page(client, "Advanced one", "advanced")
    assert advanced.preset == "advanced"
    assert config_document(advanced.config) == config_document(presets.config_from_preset("advanced", user))
    # The preset collects daily: its schedule exists, in the user's time zone.
    schedule = Schedule.objects.get(project=advanced)
    assert schedule.enabled and (schedule.frequency, schedule.time) == (
        "daily",
        advanced.config.schedule.time,
    )
    assert schedule.timezone == user.settings.timezone and advanced.config.schedule.next_run_at is not None
    scratch = create_through_page(client, "Scratch one", "scratch")
    assert scratch.preset == "custom"
    assert config_document(scratch.config) == config_document(ProjectConfig())
    assert not Schedule.objects.filter(project=scratch).exists()
    assert refreshed(user).usage.projects_count == 2


def test_the_plan_limit_refuses_one_project_too_many_with_its_message(client):
    user = make_user()  # starter plan
    client.force_login(user)
    limit = user.get_plan().max_projects
    for index in range(limit):
        create_through_page(client, f"Project {index}", "starter")
    response = client.post(reverse("projects:create"), {"name": "One more", "start_from": "starter"})
    assert response.status_code == 200
    assert f"allows {limit} projects" in " ".join(response.context["form"].non_field_errors())
    assert not Project.objects.filter(name="One more").exists()
    assert refreshed(user).usage.projects_count == limit


# --- preset -> config -> edit -> save as preset -> config ---------------------------------------


def test_preset_config_edit_and_save_as_preset_round_trip_through_the_pages(client):
    user = make_user()
    key = vault.store_key(user, provider=Provider.OPENAI, name="Team OpenAI", plaintext="sk-test-1234567890")
    client.force_login(user)
    project = create_through_page(client, "Round trip", "advanced")

    edit = client.get(reverse("projects:edit", args=[project.pk]))
    assert edit.status_code == 200
    data = form_post_data(edit.context["form"])
    data.update(
        platforms=["steam", "reddit", "youtube"],
        llm_provider="openai",
        llm_model="gpt-4o-mini",
        llm_api_key=str(key.pk),
        temperature="0.2",
        max_tokens="800",
        sentiment_classes="3",
        emotion_model="plutchik",
        max_reviews_per_target="250",
        max_requests_per_day="900",
        rate_limit_delay="1.5",
    )
    data.pop("extract_insights", None)  # unchecked
    saved = client.post(reverse("projects:edit", args=[project.pk]), data)
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    project.refresh_from_db()
    config = project.config
    assert project.preset == "custom"  # no longer what the preset gives
    assert config.scrapers.platforms == ["steam", "reddit", "youtube"]
    assert (config.llm.provider, config.llm.model, config.llm.api_key_id) == ("openai", "gpt-4o-mini", key.pk)
    assert (config.llm.temperature, config.llm.max_tokens) == (0.2, 800)
    assert (config.analysis.sentiment_classes, config.analysis.emotion_model) == (3, "plutchik")
    assert config.analysis.extract_insights is False and config.analysis.summarize is True
    assert (config.limits.max_reviews_per_target, config.limits.max_requests_per_day) == (250, 900)
    assert config.limits.rate_limit_delay == 1.5

    response = client.post(
        reverse("projects:save_preset", args=[project.pk]), {"name": "My setup", "description": "tuned"}
    )
    assert response.status_code == 302
    preset = Preset.objects.get(user=user, name="My setup")
    assert config_document(preset.config) == config_document(project.config)
    again = client.post(reverse("projects:save_preset", args=[project.pk]), {"name": "My setup"})
    assert "already have a preset" in " ".join(again.context["form"].errors["name"])

    create_page = client.get(reverse("projects:create"))
    assert presets.user_preset_key(preset) in create_page.content.decode()
    copy = create_through_page(client, "From my preset", presets.user_preset_key(preset))
    assert copy.preset == "custom"
    assert config_document(copy.config) == config_document(project.config)


def test_edit_puts_model_and_key_errors_on_their_fields(client):
    user, other = make_user(), make_user()
    anthropic = vault.store_key(
        user, provider=Provider.ANTHROPIC, name="Claude", plaintext="sk-ant-123456789"
    )
    foreign = vault.store_key(
        other, provider=Provider.OPENAI, name="Not mine", plaintext="sk-other-123456789"
    )
    project = make_project(user)
    client.force_login(user)
    url = reverse("projects:edit", args=[project.pk])
    data = form_post_data(client.get(url).context["form"])

    no_model = client.post(url, {**data, "llm_provider": "openai", "llm_model": ""})
    assert no_model.status_code == 200
    assert "Choose the model" in " ".join(no_model.context["form"].errors["llm_model"])
    wrong_provider = client.post(
        url, {**data, "llm_provider": "openai", "llm_model": "gpt-4o", "llm_api_key": str(anthropic.pk)}
    )
    assert "Anthropic key" in " ".join(wrong_provider.context["form"].errors["llm_api_key"])
    not_mine = client.post(
        url, {**data, "llm_provider": "openai", "llm_model": "x", "llm_api_key": str(foreign.pk)}
    )
    assert "llm_api_key" in not_mine.context["form"].errors
    out_of_range = client.post(url, {**data, "temperature": "3", "max_reviews_per_target": "0"})
    assert {"temperature", "max_reviews_per_target"} <= set(out_of_range.context["form"].errors)
    project.refresh_from_db()
    assert project.config.llm.provider == "" and project.config.limits.max_reviews_per_target == 100


def test_an_edit_never_writes_counters_or_the_schedule_others_keep(client):
    user = make_user()
    project = make_project(user)
    client.force_login(user)
    url = reverse("projects:edit", args=[project.pk])
    data = form_post_data(client.get(url).context["form"])
    # Meanwhile a worker counts results and the schedule page turns the schedule on.
    collection("projects").update_one(
        {"_id": project.pk},
        {
            "$inc": {"stats.total_results": 7},
            "$set": {"config.schedule.enabled": True, "config.schedule.time": "07:30"},
        },
    )
    assert client.post(url, {**data, "name": "Renamed"}).status_code == 302
    project.refresh_from_db()
    assert project.name == "Renamed" and project.stats.total_results == 7
    assert project.config.schedule.enabled is True and project.config.schedule.time == "07:30"


# --- status changes ---------------------------------------------------------------------------


def test_pause_and_resume(client):
    user = make_user()
    project = make_project(user)
    client.force_login(user)
    assert client.post(reverse("projects:pause", args=[project.pk])).status_code == 302
    project.refresh_from_db()
    assert project.status == "paused"
    again = client.post(reverse("projects:pause", args=[project.pk]))
    assert "already paused" in " ".join(messages_of(again))
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert reverse("projects:resume", args=[project.pk]) in page
    client.post(reverse("projects:resume", args=[project.pk]))
    project.refresh_from_db()
    assert project.status == "active"
    assert client.get(reverse("projects:pause", args=[project.pk])).status_code == 405  # POST only


def test_archive_keeps_the_project_read_only(client):
    user = make_user()
    client.force_login(user)
    project = create_through_page(client, "Old launch", "standard")
    create_through_page(client, "Current launch", "standard")
    target = add_target(project, STEAM.format(570), STEAM.format(570))
    confirm = client.get(reverse("projects:archive", args=[project.pk]))
    assert confirm.status_code == 200 and b"read-only" in confirm.content

    response = client.post(reverse("projects:archive", args=[project.pk]))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "archived" and project.archived_at is not None
    assert AuditLog.objects.filter(event_type="project.archive", user=user).count() == 1
    assert refreshed(user).usage.projects_count == 1  # an archived project frees its slot
    client.post(reverse("projects:archive", args=[project.pk]))  # twice: refused, released once
    assert refreshed(user).usage.projects_count == 1

    def refused(response):
        assert response.status_code == 302
        assert response["Location"] == reverse("projects:detail", args=[project.pk])
        assert "archived" in " ".join(messages_of(response))

    refused(client.get(reverse("projects:edit", args=[project.pk])))
    refused(client.post(reverse("projects:edit", args=[project.pk]), {"name": "Changed"}))
    refused(
        client.post(
            reverse("projects:add_target", args=[project.pk]), {"kind": "link", "link-url": STEAM.format(440)}
        )
    )
    refused(client.post(reverse("projects:bulk_add", args=[project.pk]), {"urls": STEAM.format(730)}))
    refused(client.post(reverse("jobs:run", args=[project.pk])))
    refused(client.post(reverse("jobs:run_target", args=[project.pk, target.pk])))
    refused(client.post(reverse("projects:target_pause", args=[project.pk, target.pk])))
    refused(client.post(reverse("analysis:target_remove", args=[project.pk, target.pk])))
    refused(client.post(reverse("projects:pause", args=[project.pk])))
    project.refresh_from_db()
    assert project.name == "Old launch" and project.status == "archived"
    assert list(Target.objects.filter(project=project)) == [target]
    assert not ScrapeJob.objects.filter(project=project).exists()

    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "kept read-only" in page and reverse("jobs:run", args=[project.pk]) not in page
    # Still readable, still a source for a preset, still deletable (its slot was given back already).
    preset = client.post(reverse("projects:save_preset", args=[project.pk]), {"name": "From archive"})
    assert preset.status_code == 302
    assert client.post(reverse("projects:delete", args=[project.pk]), {"confirm": "on"}).status_code == 302
    assert refreshed(user).usage.projects_count == 1 and not Project.objects.filter(pk=project.pk).exists()


def _running_job(project: Project) -> ScrapeJob:
    target = add_target(project, STEAM.format(440), STEAM.format(440))
    return ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.RUNNING,
        targets=[JobTarget(target_id=target.pk, status=JobStatus.RUNNING)],
    )


def test_archiving_or_deleting_a_project_cancels_its_running_job(client):
    # The jobs are the scraping app's: it hears the projects app's signals and cancels.
    user = make_user()
    client.force_login(user)
    archived = create_through_page(client, "Archived", "standard")
    job = _running_job(archived)
    client.post(reverse("projects:archive", args=[archived.pk]))
    assert ScrapeJob.objects.get(pk=job.pk).cancel_requested

    deleted = create_through_page(client, "Deleted", "standard")
    doomed_job = _running_job(deleted)
    seen = []

    def when_deleting(sender, project, **kwargs):  # after scraping's receiver, before the deletion
        seen.append(collection("scrape_jobs").find_one({"_id": doomed_job.pk}, {"cancel_requested": 1}))

    project_deleting.connect(when_deleting)
    try:
        client.post(reverse("projects:delete", args=[deleted.pk]), {"confirm": "on"})
    finally:
        project_deleting.disconnect(when_deleting)
    assert seen == [{"_id": doomed_job.pk, "cancel_requested": True}]
    assert not ScrapeJob.objects.filter(pk=doomed_job.pk).exists()


# --- delete ------------------------------------------------------------------------------------


def _populate(project: Project, app_ids: list[int]) -> None:
    """Targets with analysed results and daily statistics, a job, a schedule, a request counter."""
    targets = [add_target(project, STEAM.format(app_id), STEAM.format(app_id)) for app_id in app_ids]
    for index, target in enumerate(targets):
        add_results(target, [0.5, -0.3, 0.1][: index + 2])
    ScrapeJob.objects.create(
        project=project,
        user_id=project.user_id,
        status=JobStatus.COMPLETED,
        targets=[JobTarget(target_id=t.pk, status=JobStatus.COMPLETED) for t in targets],
    )
    Schedule.objects.create(project=project, user_id=project.user_id, frequency="daily", time="05:00")
    collection("request_counters").insert_one({"_id": f"{project.pk}:2026-01-01", "count": 3})


def _footprint(project_id) -> dict:
    counts = {
        name: collection(name).count_documents({"project_id": project_id})
        for name in ("results", "daily_stats", "scrape_jobs", "targets", "schedules")
    }
    counts["projects"] = collection("projects").count_documents({"_id": project_id})
    counts["request_counters"] = collection("request_counters").count_documents(
        {"_id": {"$regex": f"^{project_id}:"}}
    )
    return counts


def test_delete_removes_everything_of_the_project_and_nothing_else(client):
    user, other = make_user(), make_user()
    client.force_login(user)
    doomed = create_through_page(client, "Doomed", "standard")
    kept = create_through_page(client, "Kept", "standard")
    foreign = make_project(other, name="Someone else's")
    _populate(doomed, [10, 20])
    _populate(kept, [10, 30])  # the same URL in another project is another target
    _populate(foreign, [10])
    before_kept, before_foreign = _footprint(kept.pk), _footprint(foreign.pk)
    assert all(_footprint(doomed.pk).values())
    kept.refresh_from_db()
    kept_stats = kept.stats

    confirm = client.get(reverse("projects:delete", args=[doomed.pk]))
    assert confirm.status_code == 200
    assert confirm.context["counts"] == {"targets": 2, "results": 5, "jobs": 1}
    unconfirmed = client.post(reverse("projects:delete", args=[doomed.pk]), {})
    assert unconfirmed.status_code == 200 and "confirm" in unconfirmed.context["form"].errors
    assert Project.objects.filter(pk=doomed.pk).exists()

    response = client.post(reverse("projects:delete", args=[doomed.pk]), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("projects:list")
    assert set(_footprint(doomed.pk).values()) == {0}
    assert _footprint(kept.pk) == before_kept and _footprint(foreign.pk) == before_foreign
    kept.refresh_from_db()
    assert (
        kept.stats.sentiment_count
        == kept_stats.sentiment_count
        == Result.objects.filter(project=kept).count()
    )
    assert refreshed(user).usage.projects_count == 1
    entry = AuditLog.objects.get(event_type="project.delete")
    assert entry.user_id == user.pk and entry.metadata["name"] == "Doomed"
    assert entry.metadata["removed"]["results"] == 5 and entry.metadata["removed"]["targets"] == 2
    assert client.get(reverse("projects:detail", args=[doomed.pk])).status_code == 404


# --- access -------------------------------------------------------------------------------------

# (view, method, what the owner gets), the destructive ones last.
PROJECT_VIEWS = [
    ("projects:detail", "get", 200),
    ("projects:edit", "get", 200),
    ("projects:delete", "get", 200),
    ("projects:archive", "get", 200),
    ("projects:save_preset", "get", 200),
    ("projects:add_target", "get", 200),
    ("projects:bulk_add", "get", 200),
    ("projects:edit", "post", 200),  # empty form: errors
    ("projects:save_preset", "post", 200),
    ("projects:add_target", "post", 200),
    ("projects:bulk_add", "post", 200),
    ("projects:delete", "post", 200),  # without confirmation: the form again
    ("projects:pause", "post", 302),
    ("projects:resume", "post", 302),
    ("jobs:run", "post", 302),
    ("projects:archive", "post", 302),
]


def test_every_project_view_belongs_to_the_owner():
    owner, other = make_user(), make_user()
    project = make_project(owner, name="Private")
    anonymous, intruder, mine = Client(), Client(), Client()
    intruder.force_login(other)
    mine.force_login(owner)
    for name, method, owner_status in PROJECT_VIEWS:
        url = reverse(name, args=[project.pk])
        data = {"kind": "link"} if name == "projects:add_target" else {}
        response = getattr(anonymous, method)(url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name
        before = Project.objects.get(pk=project.pk).status
        assert getattr(intruder, method)(url, data).status_code == 404, name
        project.refresh_from_db()
        assert (project.name, project.status) == ("Private", before), name  # untouched by them
        assert getattr(mine, method)(url, data).status_code == owner_status, name
    project.refresh_from_db()
    assert project.status == "archived"  # the owner's last action went through


def test_the_list_and_create_pages_need_a_signed_in_user_and_show_only_their_projects(client):
    owner, other = make_user(), make_user()
    make_project(owner, name="Owner's project")
    for name in ("projects:list", "projects:create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(other)
    assert b"Owner&#x27;s project" not in client.get(reverse("projects:list")).content
    client.force_login(owner)
    assert b"Owner&#x27;s project" in client.get(reverse("projects:list")).content


def test_forms_are_csrf_protected_and_the_home_page_sends_users_to_their_projects():
    user = make_user()
    project = make_project(user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(reverse("projects:pause", args=[project.pk])).status_code == 403
    page = browser.get(reverse("projects:detail", args=[project.pk]))
    assert b"csrfmiddlewaretoken" in page.content
    token = page.cookies["csrftoken"].value
    assert (
        browser.post(reverse("projects:pause", args=[project.pk]), {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert browser.get("/")["Location"] == reverse("projects:list")
    assert Client().get("/").status_code == 200  # visitors see the landing page
