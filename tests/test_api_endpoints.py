"""Every ``/api/v1/`` endpoint: what it does for the owner, and that another user (404), an
expired or revoked token (401) and a token without the scope (403) get nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.http import urlencode

from accounts import vault
from accounts.models import AuditLog
from analysis import insights_cache, saved_views
from analysis.dashboard import daily_documents
from analysis.models import Result, SavedView
from analysis.results_store import reads
from api import tokens
from api.models import ApiToken
from notifications import services as webhook_services
from notifications.models import Webhook, WebhookDelivery
from projects.models import Project, ProjectStatus, Target
from projects.recognition import recognize
from scraping import jobs
from scraping.models import JobStatus, ScrapeJob
from sentimatrix.mongo import collection
from tests.api_helpers import all_ids, api_client, error_of, make_token, post_json
from tests.factories import add_steam_target, make_project, make_user
from tests.results_seed import seed

pytestmark = pytest.mark.django_db

STEAM = "https://store.steampowered.com/app/{}/"


@pytest.fixture(autouse=True)
def _settings(settings, fast_passwords):
    """Webhook URLs of the tests point at this machine; passwords are not what is tested."""
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_LOOPBACK = True


@dataclass
class World:
    owner: object
    client: Client
    project: Project
    target: Target
    result: Result
    other_target: Target
    jobs_project: Project
    job: ScrapeJob
    webhook: Webhook
    delivery: WebhookDelivery
    view: SavedView

    @property
    def ids(self) -> dict[str, str]:
        return {
            "p": str(self.project.pk),
            "t": str(self.target.pk),
            "t2": str(self.other_target.pk),
            "r": str(self.result.pk),
            "j": str(self.job.pk),
            "jp": str(self.jobs_project.pk),
            "w": str(self.webhook.pk),
            "v": str(self.view.pk),
        }


@pytest.fixture
def world(seed_clock) -> World:
    owner = make_user(plan="advanced")
    seeded = seed(owner, 9)
    jobs_project = make_project(owner, name="Collecting")
    add_steam_target(jobs_project, 570)
    job = jobs.start_job(jobs_project, triggered_by=owner)
    webhook = webhook_services.create_webhook(
        owner, url="http://127.0.0.1:9/hook", events=["job.completed"], label="ci"
    ).webhook
    delivery = WebhookDelivery.objects.create(webhook=webhook, user=owner, event="job.completed")
    return World(
        owner=owner,
        client=api_client(make_token(owner)),
        project=seeded.project,
        target=seeded.targets[0],
        result=Result.objects.filter(target=seeded.targets[0]).first(),
        other_target=seeded.targets[1],
        jobs_project=jobs_project,
        job=job,
        webhook=webhook,
        delivery=delivery,
        view=saved_views.create_view(seeded.project, owner, "Negative", "sentiment=negative"),
    )


# (method, path, body, scope) of every operation; ids are filled from World.ids.
ENDPOINTS = [
    ("get", "projects/", None, "read"),
    ("post", "projects/", {"name": "Made by a script"}, "write"),
    ("get", "projects/{p}/", None, "read"),
    ("patch", "projects/{p}/", {"name": "Renamed"}, "write"),
    ("post", "projects/{p}/archive/", None, "write"),
    ("get", "projects/{p}/targets/", None, "read"),
    ("post", "projects/{p}/targets/", {"url": STEAM.format(440)}, "write"),
    ("post", "projects/{p}/targets/bulk/", {"urls": [STEAM.format(730)]}, "write"),
    ("get", "projects/{p}/targets/{t}/", None, "read"),
    ("patch", "projects/{p}/targets/{t}/", {"label": "Renamed target"}, "write"),
    ("delete", "projects/{p}/targets/{t}/", None, "write"),
    ("get", "projects/{jp}/jobs/", None, "read"),
    ("post", "projects/{p}/jobs/", {"target_ids": ["{t2}"]}, "jobs"),
    ("get", "jobs/{j}/", None, "read"),
    ("post", "jobs/{j}/cancel/", None, "jobs"),
    ("get", "projects/{p}/results/", None, "read"),
    ("get", "projects/{p}/results/{r}/", None, "read"),
    ("get", "projects/{p}/views/", None, "read"),
    ("post", "projects/{p}/views/", {"name": "German", "query": "language=de"}, "write"),
    ("get", "projects/{p}/views/{v}/", None, "read"),
    ("patch", "projects/{p}/views/{v}/", {"name": "Negative reviews"}, "write"),
    ("delete", "projects/{p}/views/{v}/", None, "write"),
    ("get", "projects/{p}/stats/", None, "read"),
    ("get", "projects/{p}/insights/", None, "read"),
    ("get", "webhooks/", None, "read"),
    ("post", "webhooks/", {"url": "http://127.0.0.1:9/other", "events": ["job.failed"]}, "write"),
    ("get", "webhooks/{w}/", None, "read"),
    ("patch", "webhooks/{w}/", {"label": "renamed"}, "write"),
    ("delete", "webhooks/{w}/", None, "write"),
    ("get", "webhooks/{w}/deliveries/", None, "read"),
]
OWNER_STATUS = {("post", "projects/"): 201, ("post", "projects/{p}/targets/"): 201}
OWNER_STATUS |= {("post", "projects/{p}/jobs/"): 201, ("post", "webhooks/"): 201}
OWNER_STATUS |= {("delete", "webhooks/{w}/"): 204}
OWNER_STATUS |= {("post", "projects/{p}/views/"): 201, ("delete", "projects/{p}/views/{v}/"): 204}


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def call(client: Client, method: str, path: str, body, ids: dict):
    url = "/api/v1/" + path.format(**ids)
    return post_json(client, url, _fill(body, ids), method=method)


def _destructive(endpoint) -> int:
    method, path, *_ = endpoint
    return 2 if path.endswith("archive/") else 1 if method == "delete" else 0


def test_every_endpoint_works_for_the_owner(world):
    # One world for all: operations that remove or freeze what others use come last.
    for method, path, body, _scope in sorted(ENDPOINTS, key=_destructive):
        response = call(world.client, method, path, body, world.ids)
        expected = OWNER_STATUS.get((method, path), 200)
        assert response.status_code == expected, (method, path, response.content)
        if expected != 204:
            assert response["Content-Type"] == "application/json"
            assert "error" not in response.json()


def test_another_users_ids_are_404_and_their_lists_are_empty(world):
    stranger = api_client(make_token(make_user(plan="advanced")))
    for method, path, body, _scope in ENDPOINTS:
        if "{" not in path:
            continue
        response = call(stranger, method, path, body, world.ids)
        assert response.status_code == 404, (method, path, response.content)
        assert error_of(response)["code"] == "not_found"
    for path in ("projects/", "webhooks/"):
        assert stranger.get(f"/api/v1/{path}").json() == {"next": None, "results": []}
    # Nothing of the owner's changed.
    world.project.refresh_from_db()
    assert world.project.status == ProjectStatus.ACTIVE and world.project.name == "Seeded project"
    assert Target.objects.filter(pk=world.target.pk).exists()
    assert Webhook.objects.get(pk=world.webhook.pk).label == "ci"
    assert ScrapeJob.objects.get(pk=world.job.pk).status == JobStatus.QUEUED


def _refused_everywhere(client: Client, ids: dict, status: int, message: str | None = None):
    for method, path, body, _scope in ENDPOINTS:
        response = call(client, method, path, body, ids)
        assert response.status_code == status, (method, path, response.content)
        if message:
            assert error_of(response)["message"] == message


def test_an_expired_token_gets_401_everywhere(world):
    raw = make_token(world.owner, expires_in_days=1)
    token = ApiToken.objects.get(prefix=raw[: tokens.PREFIX_LENGTH])
    collection("api_tokens").update_one({"_id": token.pk}, {"$set": {"expires_at": timezone.now()}})
    _refused_everywhere(api_client(raw), world.ids, 401, "This token has expired.")


def test_a_revoked_token_gets_401_everywhere(world):
    raw = make_token(world.owner)
    tokens.revoke_token(ApiToken.objects.get(prefix=raw[: tokens.PREFIX_LENGTH]))
    _refused_everywhere(api_client(raw), world.ids, 401, "This token was revoked.")


def test_a_token_without_the_scope_gets_403_everywhere(world):
    for scope in ("read", "write", "jobs"):
        others = [s for s in ("read", "write", "jobs") if s != scope]
        client = api_client(make_token(world.owner, scopes=others))
        for method, path, body, needed in ENDPOINTS:
            if needed != scope:
                continue
            response = call(client, method, path, body, world.ids)
            assert response.status_code == 403, (method, path, response.content)
            assert error_of(response)["code"] == "insufficient_scope"
    world.project.refresh_from_db()
    assert world.project.status == ProjectStatus.ACTIVE


# --- projects ---------------------------------------------------------------------------


def test_project_create_takes_a_preset_and_a_plan_slot(world):
    response = post_json(world.client, "/api/v1/projects/", {"name": " Launch ", "preset": "starter"})
    assert response.status_code == 201
    body = response.json()
    project = Project.objects.get(pk=body["id"])
    assert body["name"] == project.name == "Launch" and body["preset"] == "starter"
    assert body["user_id"] == str(world.owner.pk)
    limits = body["config"]["limits"]
    assert limits["max_reviews_per_target"] == project.config.limits.max_reviews_per_target
    assert body["config"]["scrapers"]["platforms"] == list(project.config.scrapers.platforms)
    assert body["stats"]["sentiment_distribution"] == {"positive": 0, "neutral": 0, "negative": 0}
    world.owner.refresh_from_db()
    assert world.owner.usage.projects_count == 1
    world.owner.settings.default_preset = "budget"
    world.owner.save()
    default = post_json(world.client, "/api/v1/projects/", {"name": "Default"})
    assert default.status_code == 201 and default.json()["preset"] == "budget"  # as the page offers
    unknown = post_json(world.client, "/api/v1/projects/", {"name": "X", "preset": "deluxe"})
    assert unknown.status_code == 400 and "preset" in error_of(unknown)["details"]
    missing = post_json(world.client, "/api/v1/projects/", {})
    assert error_of(missing)["details"] == {"name": ["This field is required."]}


def test_project_create_at_the_plan_limit_is_refused_with_the_reason():
    user = make_user(plan="starter")
    collection("users").update_one({"_id": user.pk}, {"$set": {"usage.projects_count": 3}})
    response = post_json(api_client(make_token(user)), "/api/v1/projects/", {"name": "One more"})
    assert response.status_code == 409
    assert "Starter plan allows 3 projects" in error_of(response)["message"]
    assert not Project.objects.filter(user=user).exists()


def test_project_list_filters_by_status_and_pages_newest_first(world):
    world.jobs_project.status = ProjectStatus.PAUSED
    world.jobs_project.save(update_fields=["status"])
    everything = world.client.get("/api/v1/projects/").json()["results"]
    newest_first = sorted(Project.objects.filter(user=world.owner), key=lambda p: (p.created_at, p.pk))[::-1]
    assert [p["id"] for p in everything] == [str(p.pk) for p in newest_first]
    paused = world.client.get("/api/v1/projects/?status=paused").json()["results"]
    assert [p["id"] for p in paused] == [str(world.jobs_project.pk)]
    bad = world.client.get("/api/v1/projects/?status=sleeping")
    assert bad.status_code == 400 and "status" in error_of(bad)["details"]


def test_project_patch_changes_only_what_it_names(world):
    before = world.client.get(f"/api/v1/projects/{world.project.pk}/").json()
    patch = {"description": "Q3 launch", "config": {"limits": {"max_reviews_per_target": 42}}}
    response = post_json(world.client, f"/api/v1/projects/{world.project.pk}/", patch, method="patch")
    assert response.status_code == 200
    after = response.json()
    assert after["description"] == "Q3 launch" and after["name"] == before["name"]
    assert after["config"]["limits"]["max_reviews_per_target"] == 42
    for part in ("scrapers", "llm", "analysis", "schedule"):
        assert after["config"][part] == before["config"][part]
    assert after["preset"] == "custom"  # the config no longer is the preset's
    assert after["stats"] == before["stats"]
    stored = Project.objects.get(pk=world.project.pk)
    assert stored.config.limits.max_reviews_per_target == 42


def test_project_patch_reports_invalid_fields_by_their_dotted_path(world):
    url = f"/api/v1/projects/{world.project.pk}/"
    response = post_json(world.client, url, {"config": {"llm": {"temperature": 3}}}, method="patch")
    assert response.status_code == 400
    assert list(error_of(response)["details"]) == ["config.llm.temperature"]
    country = {"config": {"scrapers": {"commercial_config": {"country": "usa"}}}}
    response = post_json(world.client, url, country, method="patch")
    assert list(error_of(response)["details"]) == ["config.scrapers.commercial_config.country"]
    model_missing = {"config": {"llm": {"provider": "openai", "model": ""}}}
    response = post_json(world.client, url, model_missing, method="patch")
    assert response.status_code == 400 and "config.llm.model" in error_of(response)["details"]


def test_project_patch_refuses_another_users_api_key(world):
    stranger = make_user()
    theirs = vault.store_key(stranger, provider="openai", name="theirs", plaintext="sk-theirs-123456")
    mine = vault.store_key(world.owner, provider="openai", name="mine", plaintext="sk-mine-1234567")
    url = f"/api/v1/projects/{world.project.pk}/"
    llm = {"provider": "openai", "model": "gpt-4o-mini", "api_key_id": str(theirs.pk)}
    response = post_json(world.client, url, {"config": {"llm": llm}}, method="patch")
    assert response.status_code == 400 and "config.llm.api_key_id" in error_of(response)["details"]
    llm["api_key_id"] = str(mine.pk)
    response = post_json(world.client, url, {"config": {"llm": llm}}, method="patch")
    assert response.status_code == 200
    assert response.json()["config"]["llm"]["api_key_id"] == str(mine.pk)


def test_archive_keeps_the_project_readable_and_read_only(world):
    url = f"/api/v1/projects/{world.project.pk}/"
    response = post_json(world.client, url + "archive/")
    assert response.status_code == 200
    assert response.json()["status"] == "archived" and response.json()["archived_at"]
    assert AuditLog.objects.filter(event_type="project.archive", user=world.owner).count() == 1
    assert world.client.get(url + "results/").status_code == 200
    again = post_json(world.client, url + "archive/")
    assert again.status_code == 409 and error_of(again)["code"] == "conflict"
    for method, path, body in (
        ("patch", url, {"name": "x"}),
        ("post", url + "targets/", {"url": STEAM.format(440)}),
        ("post", url + "targets/bulk/", {"urls": [STEAM.format(440)]}),
        ("delete", f"{url}targets/{world.target.pk}/", None),
        ("post", url + "jobs/", {}),
    ):
        response = post_json(world.client, path, body, method=method)
        assert response.status_code == 409, (method, path)
        assert error_of(response)["message"] == "This project is archived; it is kept read-only."


# --- targets ----------------------------------------------------------------------------


def test_adding_a_target_recognises_the_url_like_the_pages(world):
    url = f"/api/v1/projects/{world.project.pk}/targets/"
    pasted = "https://store.steampowered.com/app/440/Team_Fortress_2/?utm_source=x"
    response = post_json(world.client, url, {"url": pasted, "label": "TF2", "options": {"sort_by": "recent"}})
    assert response.status_code == 201, response.content
    body = response.json()
    recognition = recognize(pasted)
    assert body["platform"] == recognition.platform and body["canonical_url"] == recognition.canonical_url
    assert body["platform_data"]["app_id"] == 440 and body["label"] == "TF2"
    assert body["options"]["sort_by"] == "recent"
    assert Target.objects.filter(pk=body["id"], project=world.project).exists()
    duplicate = post_json(world.client, url, {"url": STEAM.format(440)})
    assert duplicate.status_code == 409
    assert error_of(duplicate)["message"] == "This target is already in the project."
    nonsense = post_json(world.client, url, {"url": "not a link at all"})
    assert nonsense.status_code == 400 and list(error_of(nonsense)["details"]) == ["url"]
    bad_sort = post_json(world.client, url, {"url": STEAM.format(10), "options": {"sort_by": "loudest"}})
    assert bad_sort.status_code == 400 and list(error_of(bad_sort)["details"]) == ["sort_by"]


def test_a_target_is_renamed_and_edited_with_the_pages_checks(world):
    url = f"/api/v1/projects/{world.project.pk}/targets/"
    added = post_json(world.client, url, {"url": "https://store.steampowered.com/app/440/Team_Fortress_2/"})
    body = added.json()
    assert (body["label"], body["name"], body["renamed"]) == ("Team Fortress 2", "Team Fortress 2", False)
    one = f"{url}{body['id']}/"
    renamed = post_json(
        world.client, one, {"label": "TF2", "options": {"sort_by": "updated"}}, method="patch"
    )
    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["label"], renamed.json()["renamed"]) == ("TF2", True)
    assert renamed.json()["options"]["sort_by"] == "updated"
    # What is left out stays as it is.
    limited = post_json(world.client, one, {"max_results": 30}, method="patch").json()
    assert (limited["label"], limited["options"]["sort_by"], limited["options"]["max_results"]) == (
        "TF2",
        "updated",
        30,
    )
    bad = post_json(world.client, one, {"options": {"sort_by": "loudest"}}, method="patch")
    assert bad.status_code == 400 and list(error_of(bad)["details"]) == ["sort_by"]
    back = post_json(world.client, one, {"label": ""}, method="patch").json()
    assert (back["label"], back["renamed"]) == ("Team Fortress 2", False)


def test_a_web_page_target_needs_its_selectors(world):
    url = f"/api/v1/projects/{world.project.pk}/targets/"
    page = "https://example.com/reviews"
    without = post_json(world.client, url, {"url": page, "kind": "web"})
    assert without.status_code == 400 and "CSS selectors" in " ".join(error_of(without)["details"]["url"])
    invalid = post_json(world.client, url, {"url": page, "kind": "web", "selectors": {"item": "div["}})
    assert invalid.status_code == 400
    assert "not a valid CSS selector" in " ".join(error_of(invalid)["details"]["item_selector"])
    added = post_json(
        world.client, url, {"url": page, "kind": "web", "selectors": {"item": ".review", "title": "h3"}}
    )
    assert added.status_code == 201, added.content
    target = Target.objects.get(pk=added.json()["id"])
    # Stored under the names the collector reads.
    assert target.platform_data.selectors == {"item_selector": ".review", "title_selector": "h3"}
    edited = post_json(
        world.client, f"{url}{target.pk}/", {"selectors": {"item": "article.review"}}, method="patch"
    )
    assert edited.status_code == 200
    target.refresh_from_db()
    assert target.platform_data.selectors == {"item_selector": "article.review"}


def test_bulk_add_adds_each_good_line_and_says_why_not_for_the_others(world):
    url = f"/api/v1/projects/{world.project.pk}/targets/bulk/"
    lines = [STEAM.format(440) + ", Team Fortress", "no url here", STEAM.format(440), STEAM.format(730)]
    response = post_json(
        world.client, url, {"urls": lines, "csv": "url,label\n" + STEAM.format(620) + ",Portal 2"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    added = {t["platform_data"]["app_id"]: t["label"] for t in body["added"]}
    assert added[440] == "Team Fortress" and added[620] == "Portal 2" and 730 in added
    assert [line["input"] for line in body["invalid"]] == ["no url here"]
    assert body["invalid"][0]["reason"]
    assert [(d["line"], d["first_line"]) for d in body["duplicates"]] == [(3, 1)]
    assert Target.objects.filter(project=world.project).count() == 3 + 3
    empty = post_json(world.client, url, {"urls": []})
    assert empty.status_code == 400


def test_removing_a_target_takes_its_results_out(world):
    count = Result.objects.filter(target=world.target).count()
    assert count > 0
    response = world.client.delete(f"/api/v1/projects/{world.project.pk}/targets/{world.target.pk}/")
    assert response.status_code == 200
    assert response.json() == {"id": str(world.target.pk), "removed_results": count}
    assert not Target.objects.filter(pk=world.target.pk).exists()
    assert not Result.objects.filter(target_id=world.target.pk).exists()


def test_target_list_and_read(world):
    listed = world.client.get(f"/api/v1/projects/{world.project.pk}/targets/?page_size=2").json()
    assert len(listed["results"]) == 2 and listed["next"]
    rest = world.client.get(listed["next"]).json()
    ids = [t["id"] for t in listed["results"] + rest["results"]]
    assert sorted(ids) == sorted(str(t.pk) for t in Target.objects.filter(project=world.project))
    one = world.client.get(f"/api/v1/projects/{world.project.pk}/targets/{world.target.pk}/").json()
    assert one["stats"]["results_count"] == world.target.stats.results_count
    assert one["stats"]["sentiment_count"] == Target.objects.get(pk=world.target.pk).stats.sentiment_count


# --- jobs -------------------------------------------------------------------------------


def test_starting_a_job_through_the_api(world):
    project = world.project
    url = f"/api/v1/projects/{project.pk}/jobs/"
    response = post_json(
        world.client, url, {"target_ids": [str(world.target.pk)], "options": {"max_results": 5}}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    job = ScrapeJob.objects.get(pk=body["id"])
    assert job.trigger == body["trigger"] == "api"
    assert job.triggered_by_id == world.owner.pk and body["triggered_by"] == str(world.owner.pk)
    assert [t["target_id"] for t in body["targets"]] == [str(world.target.pk)]
    assert job.options.max_results == body["options"]["max_results"] == 5
    assert body["status"] == "queued" and body["progress"] == 0
    running = post_json(world.client, url, {})
    assert running.status_code == 409
    assert error_of(running)["message"] == "A job is already running for this project."
    world.owner.refresh_from_db()
    assert world.owner.usage.scrapes_this_month == 2  # the world's job and this one


def test_job_start_input_is_checked(world):
    url = f"/api/v1/projects/{world.project.pk}/jobs/"
    foreign = post_json(world.client, url, {"target_ids": [str(world.jobs_project.targets.first().pk)]})
    assert foreign.status_code == 400 and "target_ids" in error_of(foreign)["details"]
    today = timezone.now()
    backwards = {"date_from": today.isoformat(), "date_to": (today - timedelta(days=3)).isoformat()}
    response = post_json(world.client, url, {"options": backwards})
    assert response.status_code == 400 and "options.date_to" in error_of(response)["details"]
    assert not ScrapeJob.objects.filter(project=world.project).exists()


def test_job_progress_list_and_cancel(world):
    entry = world.job.targets[0]
    collection("scrape_jobs").update_one(
        {"_id": world.job.pk},
        {"$set": {"status": "running", "targets.0.status": "running", "targets.0.progress": 40}},
    )
    body = world.client.get(f"/api/v1/jobs/{world.job.pk}/").json()
    assert body["status"] == "running" and body["progress"] == 40
    assert body["targets"][0]["target_id"] == str(entry.target_id)
    listed = world.client.get(f"/api/v1/projects/{world.jobs_project.pk}/jobs/").json()["results"]
    assert [j["id"] for j in listed] == [str(world.job.pk)]
    assert world.client.get(f"/api/v1/projects/{world.jobs_project.pk}/jobs/?status=completed").json() == {
        "next": None,
        "results": [],
    }
    cancelled = post_json(world.client, f"/api/v1/jobs/{world.job.pk}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["cancel_requested"] is True
    collection("scrape_jobs").update_one({"_id": world.job.pk}, {"$set": {"targets.0.status": "cancelled"}})
    jobs.finish_if_done(world.job.pk)
    assert world.client.get(f"/api/v1/jobs/{world.job.pk}/").json()["status"] == "cancelled"
    ended = post_json(world.client, f"/api/v1/jobs/{world.job.pk}/cancel/")
    assert ended.status_code == 409 and "already ended" in error_of(ended)["message"]


# --- results, statistics, insights ----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sentiment": ["positive", "very_positive"]},
        {"platform": "amazon", "status": "all"},
        {"q": "game"},
        {"rating_min": "4", "sort": "rating_desc"},
        {"flagged": "1"},
        {"status": "excluded"},
        {"date_from": "2000-01-01", "date_field": "collected", "sort": "oldest"},
    ],
)
def test_result_list_takes_the_explorers_filters(world, params):
    url = f"/api/v1/projects/{world.project.pk}/results/?" + urlencode({**params, "page_size": 4}, doseq=True)
    found = reads.select(world.owner, world.project, params).queryset
    assert all_ids(world.client, url) == [str(r.pk) for r in found]


def test_result_filter_errors_are_400(world):
    url = f"/api/v1/projects/{world.project.pk}/results/"
    response = world.client.get(url + "?sentiment=ecstatic&date_from=yesterday")
    assert response.status_code == 400
    assert set(error_of(response)["details"]) == {"sentiment", "date_from"}
    other_target = world.jobs_project.targets.first()
    response = world.client.get(f"{url}?target={other_target.pk}")
    assert response.status_code == 400 and "target" in error_of(response)["details"]
    assert world.client.get(url + "?sort=relevance").status_code == 400
    # The last representable day is a valid, open-ended range, not a server error.
    assert world.client.get(url + "?date_to=9999-12-31").status_code == 200
    assert world.client.get(url + "?page=%C2%B2").status_code == 200  # page numbers do not apply


def test_one_result_keeps_the_specification_names(world):
    doc = collection("results").find_one({"_id": world.result.pk})
    body = world.client.get(f"/api/v1/projects/{world.project.pk}/results/{world.result.pk}/").json()
    assert body["id"] == str(doc["_id"]) and body["target_id"] == str(doc["target_id"])
    assert body["content"]["text"] == doc["content"]["text"]
    assert body["content"]["platform_id"] == doc["content"]["platform_id"]
    sentiment = doc["analysis"]["sentiment"]
    if sentiment:
        assert body["analysis"]["sentiment"]["label"] == sentiment["label"]
        assert body["analysis"]["sentiment"]["score"] == sentiment["score"]
    assert body["created_at"].endswith("Z")


def test_stats_come_from_the_counters_and_daily_aggregates(world):
    project = Project.objects.get(pk=world.project.pk)
    body = world.client.get(f"/api/v1/projects/{project.pk}/stats/?days=3660").json()
    assert body["stats"]["sentiment_count"] == project.stats.sentiment_count
    assert body["stats"]["avg_sentiment"] == project.stats.avg_sentiment
    distribution = project.stats.sentiment_distribution
    assert body["stats"]["sentiment_distribution"] == {
        "positive": distribution.positive,
        "neutral": distribution.neutral,
        "negative": distribution.negative,
    }
    assert {t["id"] for t in body["targets"]} == {str(t.pk) for t in Target.objects.filter(project=project)}
    daily = daily_documents(project.pk)
    assert len(body["daily"]) == len(daily)
    assert (
        sum(d["count"] for d in body["daily"])
        == sum(d["count"] for d in daily)
        == project.stats.sentiment_count
    )
    one = world.client.get(f"/api/v1/projects/{project.pk}/stats/?days=3660&target={world.target.pk}").json()
    assert {d["target_id"] for d in one["daily"]} == {str(world.target.pk)}
    assert world.client.get(f"/api/v1/projects/{project.pk}/stats/?days=0").status_code == 400


def test_insights_come_from_the_cache(world):
    body = world.client.get(f"/api/v1/projects/{world.project.pk}/insights/").json()
    cached = insights_cache.get_insights(world.project.pk)
    assert body["sample_size"] == cached["sample_size"] and body["stale"] is False
    assert [p["text"] for p in body["summary"]["pros"]] == [p["text"] for p in cached["summary"]["pros"]]
    assert body["summary"]["sentiment"]["distribution"] == cached["summary"]["sentiment"]["distribution"]
    # Aspects come with their sentence sentiment, verdict, trend and search, as cached.
    topics = body["summary"]["topics"]
    assert topics and len(topics) == len(cached["summary"]["topics"])
    for got, want in zip(topics, cached["summary"]["topics"], strict=True):
        assert (got["topic"], got["count"], got["verdict"], got["search"]) == (
            want["topic"],
            want["count"],
            want["verdict"],
            want["search"],
        )
        assert got["sentiment"] == want["sentiment"] and got["trend"]["recent"] == want["trend"]["recent"]
    assert body["summary"]["rules"] == {"min_judged_results": 3, "clear_majority": 0.6667}
    assert body["summary"]["sample"]["results"] == cached["sample_size"]
    one = world.client.get(f"/api/v1/projects/{world.project.pk}/insights/?target={world.target.pk}").json()
    assert one["target_id"] == str(world.target.pk)
    assert one["sample_size"] == insights_cache.get_insights(world.project.pk, world.target.pk)["sample_size"]


# --- webhooks ---------------------------------------------------------------------------


def test_webhook_create_shows_the_secret_once_and_is_audited(world):
    response = post_json(
        world.client, "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/new", "events": ["results.new"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["signed"] is True
    webhook = Webhook.objects.get(pk=body["id"])
    assert webhook.events == ["results.new"] and webhook.user_id == world.owner.pk
    assert "secret" not in world.client.get(f"/api/v1/webhooks/{webhook.pk}/").json()
    assert AuditLog.objects.filter(event_type="webhook.create", metadata__webhook=str(webhook.pk)).exists()
    unsigned = post_json(
        world.client,
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/u", "events": ["job.failed"], "secret_mode": "none"},
    )
    assert unsigned.json()["secret"] is None and unsigned.json()["signed"] is False


def test_webhook_input_errors_name_their_field(world, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = post_json(
        world.client, "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["job.failed"]}
    )
    assert response.status_code == 400 and list(error_of(response)["details"]) == ["url"]
    response = post_json(
        world.client, "/api/v1/webhooks/", {"url": "https://example.com/x", "events": ["test"]}
    )
    assert response.status_code == 400 and "events.0" in error_of(response)["details"]


def test_webhook_patch_keeps_what_it_does_not_name_and_delete_removes_the_log(world):
    url = f"/api/v1/webhooks/{world.webhook.pk}/"
    response = post_json(world.client, url, {"label": "renamed", "enabled": False}, method="patch")
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "renamed" and body["enabled"] is False
    assert body["url"] == world.webhook.url and body["events"] == world.webhook.events
    assert body["secret"] is None and body["signed"] is True  # the secret was kept
    deliveries = world.client.get(url + "deliveries/").json()["results"]
    assert [d["id"] for d in deliveries] == [str(world.delivery.pk)]
    assert deliveries[0]["status"] == "pending" and deliveries[0]["response"] is None
    assert world.client.delete(url).status_code == 204
    assert not Webhook.objects.filter(pk=world.webhook.pk).exists()
    assert not WebhookDelivery.objects.filter(webhook_id=world.webhook.pk).exists()
    assert AuditLog.objects.filter(event_type="webhook.delete").count() == 1


# --- error shape --------------------------------------------------------------------------


def test_errors_have_one_shape(world):
    unknown = world.client.get("/api/v1/nothing/here/")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"
    no_slash = world.client.get("/api/v1/projects")
    assert no_slash.status_code == 404 and "/api/v1/projects/" in error_of(no_slash)["message"]
    wrong_method = world.client.put("/api/v1/projects/", "{}", content_type="application/json")
    assert wrong_method.status_code == 405 and error_of(wrong_method)["code"] == "method_not_allowed"
    broken = world.client.post("/api/v1/projects/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and error_of(broken)["code"] == "parse_error"
    form = world.client.post("/api/v1/projects/", {"name": "form-encoded"})
    assert form.status_code == 415 and error_of(form)["code"] == "unsupported_media_type"
    nested = post_json(
        world.client,
        f"/api/v1/projects/{world.project.pk}/",
        {"config": {"limits": {"max_requests_per_day": 0}}},
        method="patch",
    )
    assert error_of(nested)["details"] == {
        "config.limits.max_requests_per_day": ["Ensure this value is greater than or equal to 1."]
    }
