"""Least privilege in scrapes: a target's run decrypts only the vault keys its collector
uses, and only those are marked used."""

import pytest

from accounts import vault
from accounts.models import ApiKey
from projects.models import PlatformData, Target
from scraping import jobs
from scraping.models import JobStatus
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import API_KEY, serve_steam, serve_youtube, use_server

VIDEO = "F1UP7wRCPH8"


@pytest.fixture
def revealed(monkeypatch):
    """The providers of the keys decrypted, in order (the real vault does the work)."""
    providers = []
    real = vault.reveal

    def spy(key):
        providers.append(key.provider)
        return real(key)

    monkeypatch.setattr(vault, "reveal", spy)
    return providers


@pytest.fixture
def user(db):
    user = make_user()
    for provider, plaintext in [
        ("openai", "sk-openai-0000000000000001"),
        ("anthropic", "sk-ant-0000000000000002"),
        ("scraperapi", "scraper-key"),
        ("google_places", "AIza-places-0000000003"),
        ("youtube", API_KEY),
    ]:
        vault.store_key(user, provider=provider, name=provider, plaintext=plaintext)
    return user


def used(user) -> set[str]:
    return set(
        ApiKey.objects.filter(user=user, last_used_at__isnull=False).values_list("provider", flat=True)
    )


def test_a_target_that_needs_no_key_decrypts_none(user, settings, httpserver, revealed):
    use_server(settings, httpserver, "steam")
    serve_steam(httpserver, 6001, page_size=20)
    project = make_project(user, max_reviews_per_target=20)
    target = add_steam_target(project, 6001)
    job = jobs.start_job(project, triggered_by=user)

    assert jobs.run_target(job.pk, target.pk) == JobStatus.COMPLETED
    assert revealed == [] and used(user) == set()


def test_a_youtube_target_decrypts_and_marks_only_the_youtube_key(user, settings, httpserver, revealed):
    use_server(settings, httpserver, "youtube")
    serve_youtube(httpserver, VIDEO, page_size=5)
    project = make_project(user, max_reviews_per_target=5)
    # The project's chosen commercial key is not needed by YouTube either.
    project.config.scrapers.commercial_provider = "scraperapi"
    project.save()
    target = Target.objects.create(
        project=project, user_id=user.pk, url=f"https://www.youtube.com/watch?v={VIDEO}",
        platform="youtube", platform_data=PlatformData(video_id=VIDEO),
    )  # fmt: skip
    job = jobs.start_job(project, triggered_by=user)

    assert jobs.run_target(job.pk, target.pk) == JobStatus.COMPLETED
    assert revealed == ["youtube"] and used(user) == {"youtube"}
