"""Authors by the name an analyst recognises and thumbs answers as thumbs, on every page that
shows a result (the explorer, a result's page, the report)."""

import re

import pytest
from django.urls import reverse

from analysis.models import Result
from analysis.result_display import author_of, rating_of
from projects import services
from scraping import jobs
from tests.playback import serve_steam, steam_reviews, use_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_a_thumbs_answer_is_a_thumb_and_stars_stay_stars():
    assert rating_of(5.0, {"voted_up": True}).symbol == "👍"
    assert rating_of(1.0, {"voted_up": False}).symbol == "👎"
    assert (rating_of(4.5, {}).symbol, rating_of(4.5, {}).text) == ("★", "4.5")
    assert rating_of(8, {"rating_scale": 10}).text == "8 of 10"
    assert rating_of(None, {}) is None


def test_authors_by_display_name():
    steam = author_of("steam", "76561198061779215", {})
    assert steam.name == "Steam user …9215"
    assert steam.url == "https://steamcommunity.com/profiles/76561198061779215"
    youtube = author_of("youtube", "Jane Doe", {"author_channel_url": "http://www.youtube.com/channel/UC1"})
    assert (youtube.name, youtube.url) == ("Jane Doe", "http://www.youtube.com/channel/UC1")
    assert author_of("youtube", "Jane", {"author_channel_url": "javascript:alert(1)"}).url == ""
    assert author_of("reddit", "badfan", {}).name == "u/badfan"
    assert author_of("reddit", "[deleted]", {}).name == "[deleted]"
    assert author_of("web", "Greta N.", {}).name == "Greta N."
    assert author_of("steam", "", {}).name == ""


def test_collected_steam_reviews_show_thumbs_and_short_authors(client, project, settings, httpserver):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 573170, page_size=20)
    project.config.limits.max_reviews_per_target = 20
    project.save()
    target = services.add_url_target(project, "https://store.steampowered.com/app/573170/")
    job = jobs.start_job(project, triggered_by=project.user)
    jobs.run_target(job.pk, target.pk)
    results = list(Result.objects.filter(target=target))
    assert results and {r.content.rating for r in results} <= {1.0, 5.0}  # stored for averages
    ups = sum(1 for r in results if r.content.metadata["voted_up"])
    recorded = {str(r["author"]["steamid"]) for r in steam_reviews()}
    assert {r.content.author for r in results} <= recorded

    # The table with its rating column (off by default), every result on one page.
    explorer = reverse("analysis:explorer", args=[project.pk])
    page = client.get(f"{explorer}?cols=author,rating,text&per_page=50").content.decode()
    assert page.count("👍") == ups and page.count("👎") == len(results) - ups
    assert "★ 5" not in page and "★ 1" not in page
    visible = re.sub(r"<[^>]+>", " ", page)  # the text, without attributes (titles, links)
    assert not re.search(r"\b7656\d{13}\b", visible)
    one = results[0]
    assert f"Steam user …{one.content.author[-4:]}" in visible
    assert f"https://steamcommunity.com/profiles/{one.content.author}" in page

    detail = client.get(reverse("analysis:result", args=[project.pk, one.pk])).content.decode()
    assert ("👍" if one.content.metadata["voted_up"] else "👎") in detail and "Steam user …" in detail
