"""Editing a target (its name and options) and testing a web page's selectors before adding it."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from analysis.models import Result
from projects import services
from projects.models import Target
from scraping import jobs
from tests.factories import make_project, make_user
from tests.page_helpers import messages_of
from tests.playback import serve_steam, use_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

FIXTURES = Path(__file__).parent / "fixtures" / "constructed"
FFXIV = "https://store.steampowered.com/app/573170/FINAL_FANTASY_XIV_Online/"
SELECTORS = {
    "item_selector": "article.review",
    "text_selector": ".review-body",
    "title_selector": ".review-title",
    "author_selector": ".reviewer",
    "next_selector": "nav.pagination a.next",
}


def edit_url(target):
    return reverse("projects:target_edit", args=[target.project_id, target.pk])


def test_the_owner_renames_a_target_and_changes_its_options(client, project):
    target = services.add_url_target(project, FFXIV)
    page = client.get(edit_url(target))
    assert page.status_code == 200
    html = page.content.decode()
    assert "the platform calls it “FINAL FANTASY XIV Online”" in html and 'name="sort_by"' in html

    response = client.post(
        edit_url(target), {"label": "FF14", "sort_by": "updated", "language": "french", "max_results": "40"}
    )
    assert response.status_code == 302 and "Saved “FF14”." in messages_of(response)
    target.refresh_from_db()
    assert (target.label, target.renamed, target.name) == ("FF14", True, "FINAL FANTASY XIV Online")
    assert (target.options.sort_by, target.options.language, target.options.max_results) == (
        "updated",
        "french",
        40,
    )
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert ">FF14</a>" in detail and edit_url(target) in detail


def test_the_edit_form_checks_options_as_adding_does(client, project):
    target = services.add_url_target(project, FFXIV)
    bad_sort = client.post(edit_url(target), {"label": "", "sort_by": "loudest"})
    assert bad_sort.status_code == 200
    # The same message as when adding: one rule, in the service.
    assert "Steam sorts by recent" in " ".join(bad_sort.context["form"].errors["sort_by"])
    bad_country = client.post(edit_url(target), {"country": "Germany"})
    assert "two-letter" in " ".join(bad_country.context["form"].errors["country"])
    bad_limit = client.post(edit_url(target), {"max_results": "0"})
    assert "max_results" in bad_limit.context["form"].errors
    too_long = client.post(edit_url(target), {"label": "x" * 201})
    assert "label" in too_long.context["form"].errors
    target.refresh_from_db()
    assert (target.label, target.options.sort_by, target.options.max_results) == (
        "FINAL FANTASY XIV Online",
        "",
        None,
    )


def test_a_web_targets_selectors_are_edited_and_checked(client, project):
    target = services.add_url_target(
        project, "https://example.com/reviews", kind="web", selectors={"item_selector": ".review"}
    )
    invalid = client.post(edit_url(target), {"web-item_selector": "div["})
    assert "not a valid CSS selector" in " ".join(invalid.context["form"].errors["item_selector"])
    missing = client.post(edit_url(target), {"web-item_selector": ""})
    assert "item_selector" in missing.context["form"].errors
    saved = client.post(
        edit_url(target), {"web-item_selector": "article.review", "web-date_selector": "time"}
    )
    assert saved.status_code == 302
    target.refresh_from_db()
    assert target.platform_data.selectors == {"item_selector": "article.review", "date_selector": "time"}


def test_another_users_target_cannot_be_edited(client, project):
    target = services.add_url_target(project, FFXIV)
    intruder = Client()
    intruder.force_login(make_user())
    assert intruder.get(edit_url(target)).status_code == 404
    assert intruder.post(edit_url(target), {"label": "Mine now"}).status_code == 404
    # Another project's id with this target: not found, even for the target's owner.
    crossed = reverse("projects:target_edit", args=[make_project(make_user()).pk, target.pk])
    assert client.get(crossed).status_code == 404
    anonymous = Client().get(edit_url(target))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    target.refresh_from_db()
    assert target.label == "FINAL FANTASY XIV Online" and not target.renamed


def test_a_web_page_without_selectors_is_refused_at_add_time(client, project):
    # A pasted link to a page no platform knows would become a web page without selectors.
    response = client.post(
        reverse("projects:add_target", args=[project.pk]),
        {"kind": "link", "link-url": "https://example.com/some/reviews"},
    )
    assert response.status_code == 200
    errors = " ".join(response.context["forms"]["link"].errors["url"])
    assert "CSS selectors" in errors and "Test these selectors" in errors
    bulk = services.bulk_add(project, text="https://example.com/some/reviews\n")
    assert not bulk.added and "CSS selectors" in bulk.invalid[0].reason
    with pytest.raises(services.ActionRefused, match="CSS selectors"):
        services.add_url_target(project, "https://example.com/some/reviews", kind="web")
    assert not Target.objects.filter(project=project).exists()
    assert project.__class__.objects.get(pk=project.pk).stats.total_targets == 0


@pytest.fixture
def review_page(httpserver, loopback):
    httpserver.expect_request("/products/brightwell/reviews").respond_with_data(
        (FIXTURES / "constructed_web_reviews_page1.html").read_bytes(), content_type="text/html"
    )
    httpserver.expect_request("/hostile").respond_with_data(
        '<div class="c">&lt;script&gt;alert(1)&lt;/script&gt; <b>bold</b></div>', content_type="text/html"
    )
    return httpserver.url_for("/products/brightwell/reviews")


def preview(client, project, url, htmx=True, **selectors):
    data = {"web-url": url, **{f"web-{k}": v for k, v in selectors.items()}}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("jobs:selector_preview", args=[project.pk]), data, headers=headers)


def test_test_these_selectors_shows_the_first_items_found(client, project, review_page):
    add_page = client.get(reverse("projects:add_target", args=[project.pk])).content.decode()
    assert (
        "Test these selectors" in add_page and reverse("jobs:selector_preview", args=[project.pk]) in add_page
    )

    response = preview(client, project, review_page, **SELECTORS)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html  # a fragment for htmx
    assert "Found 3 items on this page, and a next page" in html
    assert "Fast and quiet" in html and "Boils in under three minutes." in html and "Greta N." in html
    full = preview(client, project, review_page, htmx=False, **SELECTORS).content.decode()
    assert "<html" in full and "Fast and quiet" in full


def test_test_these_selectors_says_when_nothing_matches(client, project, review_page):
    html = preview(client, project, review_page, item_selector=".no-such-thing").content.decode()
    assert "The item selector “.no-such-thing” matched nothing on this page." in html
    invalid = preview(client, project, review_page, item_selector="div[").content.decode()
    assert "not a valid CSS selector" in invalid
    blocked = preview(Client(), project, review_page, item_selector="article")
    assert blocked.status_code == 302  # signed out


def test_previewed_page_text_is_escaped(client, project, httpserver, review_page):
    html = preview(client, project, httpserver.url_for("/hostile"), item_selector=".c").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bold" in html and "<script>" not in html


def test_the_preview_fetches_through_the_private_address_guard(client, project, settings):
    settings.SCRAPING_ALLOW_LOOPBACK = False
    html = preview(client, project, "http://127.0.0.1:9/reviews", item_selector="article").content.decode()
    assert "The page could not be read: 127.0.0.1 is a loopback address" in html


def test_another_users_project_cannot_preview(project, review_page):
    intruder = Client()
    intruder.force_login(make_user())
    assert preview(intruder, project, review_page, item_selector="article").status_code == 404


def test_a_targets_own_limit_lowers_the_projects(client, project, settings, httpserver):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 573170, page_size=20)
    project.config.limits.max_reviews_per_target = 40
    project.save()
    target = services.add_url_target(project, FFXIV)
    assert client.post(edit_url(target), {"max_results": "7"}).status_code == 302
    job = jobs.start_job(project, triggered_by=project.user)
    jobs.run_target(job.pk, target.pk)
    assert Result.objects.filter(target=target).count() == 7


def test_a_file_target_is_renamed(client, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("reviews.csv", b"review,rating\nGreat,5\n", content_type="text/csv")
    target = services.add_upload_target(project, upload)
    page = client.get(edit_url(target)).content.decode()
    assert 'name="label"' in page and 'name="sort_by"' not in page
    assert client.post(edit_url(target), {"label": "Survey, March"}).status_code == 302
    target.refresh_from_db()
    assert (target.label, target.renamed) == ("Survey, March", True)
