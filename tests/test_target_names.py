"""Targets carry a name: the link's slug when added, the platform's own name after the first
collection, and the user's name for it when they rename it (which nothing overwrites)."""

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import vault
from projects import services
from projects.models import Target
from projects.recognition import recognize
from projects.services import record_platform_name
from scraping import jobs
from scraping.models import JobStatus
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user
from tests.playback import (
    API_KEY,
    REDDIT_POST,
    serve_reddit,
    serve_steam,
    serve_steam_appdetails,
    serve_youtube,
    use_server,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
FFXIV = "https://store.steampowered.com/app/573170/FINAL_FANTASY_XIV_Online/"

SLUGS = [
    (FFXIV, "FINAL FANTASY XIV Online"),
    ("https://store.steampowered.com/app/570/", ""),
    ("https://www.amazon.com/Some-Product-Name/dp/B09XS7JWHH/ref=sr_1_1", "Some Product Name"),
    ("https://www.amazon.de/dp/B09XS7JWHH", ""),
    ("https://www.reddit.com/r/funny/comments/3hahrw/ba_dum_tsss/", "ba dum tsss"),
    ("https://www.reddit.com/comments/3hahrw/_/", ""),
    ("https://www.youtube.com/watch?v=F1UP7wRCPH8", ""),
]


@pytest.mark.parametrize(("url", "name"), SLUGS)
def test_the_slug_names_a_target_until_it_is_collected(url, name):
    project = make_project(make_user())
    target = services.add_url_target(project, url)
    assert target.name == name and not target.renamed and not target.name_fetched
    # Without a slug the label stays the id-based one ("Steam app 570").
    assert target.label == (name or recognize(url).label) == target.display_label == str(target)


def test_a_label_given_when_adding_is_a_rename():
    project = make_project(make_user())
    target = services.add_url_target(project, FFXIV, label="Our MMO")
    assert (target.label, target.name, target.renamed) == ("Our MMO", "FINAL FANTASY XIV Online", True)
    bulk = services.bulk_add(project, text="https://store.steampowered.com/app/620/Portal_2/\n")
    assert bulk.added[0].label == "Portal 2" and not bulk.added[0].renamed


def _collect(project, target):
    job = jobs.start_job(project, triggered_by=project.user)
    assert jobs.run_target(job.pk, target.pk) == JobStatus.COMPLETED
    return Target.objects.get(pk=target.pk)


def test_the_first_steam_collection_fetches_the_games_name_once(settings, httpserver):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 573170, page_size=20)
    asked = serve_steam_appdetails(httpserver, 573170, "FINAL FANTASY XIV Online")
    project = make_project(make_user(), max_reviews_per_target=20)
    target = services.add_url_target(project, "https://store.steampowered.com/app/573170/")
    assert target.label == "Steam app 573170"

    target = _collect(project, target)
    assert (target.name, target.label, target.name_fetched) == (
        "FINAL FANTASY XIV Online",
        "FINAL FANTASY XIV Online",
        True,
    )
    assert asked == [{"appids": "573170", "filters": "basic"}]
    _collect(project, target)
    assert len(asked) == 1  # the name is known: later collections do not ask again


def test_a_rename_survives_later_collections(settings, httpserver):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 573170, page_size=20)
    serve_steam_appdetails(httpserver, 573170, "FINAL FANTASY XIV Online")
    project = make_project(make_user(), max_reviews_per_target=20)
    target = services.add_url_target(project, FFXIV)
    services.edit_target(target, label="FF14 (ours)")

    target = _collect(project, target)
    assert (target.label, target.name, target.renamed) == ("FF14 (ours)", "FINAL FANTASY XIV Online", True)
    # Clearing the name given returns to the platform's.
    services.edit_target(target, label="")
    target.refresh_from_db()
    assert (target.label, target.renamed) == ("FINAL FANTASY XIV Online", False)


def test_a_reddit_post_is_named_by_its_title_from_the_listing(settings, httpserver):
    use_server(settings, httpserver, "reddit", "reddit_oauth", "reddit_auth")
    serve_reddit(httpserver)
    project = make_project(make_user(), max_reviews_per_target=20)
    target = services.add_url_target(project, f"https://www.reddit.com/comments/{REDDIT_POST}/")
    target = _collect(project, target)
    assert target.label == target.name == "Ba Dum Tsss"  # the recorded post's title
    # The listing carries it: no request was made for the name.
    assert not [r for r, _ in httpserver.log if "/api/info" in r.path or "/by_id/" in r.path]


def test_a_youtube_video_is_named_by_its_title(settings, httpserver):
    use_server(settings, httpserver, "youtube")
    serve_youtube(httpserver, "F1UP7wRCPH8", page_size=5)
    # The Data API's videos resource as documented (constructed: no recording exists).
    httpserver.expect_request(
        "/videos", query_string={"part": "snippet", "id": "F1UP7wRCPH8", "key": API_KEY}
    ).respond_with_json(
        {
            "kind": "youtube#videoListResponse",
            "items": [{"id": "F1UP7wRCPH8", "snippet": {"title": "A video"}}],
        }
    )
    user = make_user()
    vault.store_key(user, provider="youtube", name="YouTube", plaintext=API_KEY)
    project = make_project(user, max_reviews_per_target=5)
    target = services.add_url_target(project, "https://www.youtube.com/watch?v=F1UP7wRCPH8")
    assert target.label == "YouTube video F1UP7wRCPH8"
    assert _collect(project, target).label == "A video"


def test_an_amazon_product_is_named_from_its_review_page(settings, httpserver):
    use_server(settings, httpserver, "amazon")
    page = (FIXTURES / "constructed_amazon_reviews_page1.html").read_text(encoding="utf-8")
    httpserver.expect_request("/product-reviews/B0EXAMPLE1/").respond_with_data(
        page, content_type="text/html; charset=utf-8"
    )
    project = make_project(make_user(), max_reviews_per_target=3)
    target = services.add_url_target(project, "https://www.amazon.com/dp/B0EXAMPLE1")
    assert _collect(project, target).label == "Brightwell Cordless Kettle 1.5 L, Black"


def test_a_failed_name_fetch_does_not_fail_the_collection(settings, httpserver):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 573170, page_size=20)
    httpserver.expect_request("/api/appdetails").respond_with_data("gone", status=404)
    project = make_project(make_user(), max_reviews_per_target=20, max_requests_per_day=50)
    target = _collect(project, services.add_url_target(project, FFXIV))
    assert target.label == "FINAL FANTASY XIV Online" and not target.name_fetched


def test_targets_added_before_names_keep_a_label_their_user_gave():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("projects", "0004_project_analysis_notice")])
    try:
        project = make_project(make_user())
        base = {"project_id": project.pk, "user_id": project.user_id, "platform": "steam"}
        given, by_id = (
            collection("targets")
            .insert_many(
                [
                    {**base, "url": "https://store.steampowered.com/app/570/", "label": "Dota"},
                    {**base, "url": "https://store.steampowered.com/app/620/", "label": "Steam app 620"},
                ]
            )
            .inserted_ids
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    assert (Target.objects.get(pk=given).renamed, Target.objects.get(pk=by_id).renamed) == (True, False)
    record_platform_name(given, "Dota 2")
    record_platform_name(by_id, "Portal 2")
    assert Target.objects.get(pk=given).label == "Dota" and Target.objects.get(pk=by_id).label == "Portal 2"
