"""One platform badge: the same tag renders it on the project page and in the explorer, and one
CSS rule styles it with a colour for every platform."""

import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from projects.platforms import Platform
from tests.factories import make_project, make_user
from tests.page_helpers import add_target

BADGE = Template("{% load platform_tags %}{% platform_icon platform %}")


def badge(platform) -> str:
    return BADGE.render(Context({"platform": platform})).strip()


def test_the_badge_names_the_platform_and_escapes_an_unknown_value():
    assert badge("steam") == (
        '<span class="platform-icon platform-steam" title="Steam" role="img" aria-label="Steam">St</span>'
    )
    odd = badge('<b">')
    assert "<b" not in odd and "&lt;b&quot;&gt;" in odd


def test_one_rule_styles_the_badge_with_a_colour_for_every_platform():
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert len(re.findall(r"^\s*\.platform-icon\s*\{", css, re.MULTILINE)) == 1
    for platform in Platform.values:
        assert re.search(rf"\.platform-{platform} \{{ --platform-colour: #[0-9a-f]{{6}}; \}}", css), platform


@pytest.mark.django_db
def test_the_project_page_shows_the_same_badge(client):
    owner = make_user()
    client.force_login(owner)
    project = make_project(owner)
    url = "https://store.steampowered.com/app/570/"
    add_target(project, url, url)
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert badge("steam") in html
