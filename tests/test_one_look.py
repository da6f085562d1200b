"""One look across the pages: destructive actions look destructive, the project page's actions
are grouped, a platform's caveat is said once per page, raw keys are shown as names."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from analysis.templatetags.analysis_tags import readable_key
from projects.platforms import CAVEATS, Platform
from tests.factories import make_project, make_user
from tests.page_helpers import add_target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

ROOT = Path(__file__).resolve().parent.parent
DESTRUCTIVE = re.compile(r"""<(button|a)\b([^>]*)>\s*(Delete|Remove|Revoke)\b[^<]*</\1>""", re.IGNORECASE)


def test_every_destructive_button_is_styled_as_a_danger_action():
    found, plain = 0, []
    for path in (ROOT / "templates").rglob("*.html"):
        for match in DESTRUCTIVE.finditer(path.read_text(encoding="utf-8")):
            tag, attributes = match.group(1), match.group(2)
            if tag == "a" and 'role="button"' not in attributes and "danger" not in attributes:
                continue  # a plain link that names a page ("Delete" in a breadcrumb)
            found += 1
            if not re.search(r'class="[^"]*\bdanger\b', attributes):
                plain.append(f"{path.relative_to(ROOT)}: {match.group(0)[:90]}")
    assert found >= 9
    assert plain == []


def _actions(page: str) -> tuple[str, str]:
    block = page.split('<div class="actions project-actions">', 1)[1].split("</details>", 1)[0]
    visible, menu = block.split('<details class="dropdown project-menu">', 1)
    return visible, menu


def test_the_project_page_shows_its_main_actions_and_the_rest_in_a_menu(client):
    user = make_user()
    project = make_project(user, name="Headphones launch")
    client.force_login(user)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    visible, menu = _actions(page)
    labels = re.findall(r">([A-Z][A-Za-z -]+)</(?:a|button)>", visible)
    # "Monitor a keyword" sits beside "Add a link": the two ways to add what a project follows.
    assert labels == ["Run now", "Add a link", "Monitor a keyword", "Explore results", "Dashboard"]
    for label in ("Pause", "Edit", "Schedule", "Jobs", "Save as preset", "Re-analyse", "Archive"):
        assert f">{label}</" in menu, label
    delete_url = reverse("projects:delete", args=[project.pk])
    assert f'<a class="danger" href="{delete_url}">Delete</a>' in menu
    assert '<summary role="button" class="outline secondary">More actions</summary>' in menu


def test_a_platform_caveat_is_shown_once_however_many_targets_have_it(client):
    user = make_user()
    project = make_project(user)
    for asin in ("B08N5WRWNW", "B09XS7JWHH", "B0C1234567"):
        url = f"https://www.amazon.com/dp/{asin}"
        target = add_target(project, url, url, platform=Platform.AMAZON, asin=asin)
        target.caveat = CAVEATS[Platform.AMAZON]  # what adding it through the pages records
        target.save(update_fields=["caveat"])
    client.force_login(user)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    caveat = CAVEATS[Platform.AMAZON].replace("'", "&#x27;")
    # Once in full under the table; each row links to it and carries it as a tooltip.
    assert page.count(f"<strong>Amazon:</strong> {caveat}") == 1
    assert page.count('href="#caveat-amazon"') == 3
    assert page.count('id="caveat-amazon"') == 1


def test_pages_show_names_not_keys(client):
    user = make_user()
    client.force_login(user)
    data_page = client.get(reverse("accounts:data")).content.decode()
    assert "<li>Scrape jobs: 0</li>" in data_page and "Scrape_jobs" not in data_page
    settings_page = client.get(reverse("accounts:settings")).content.decode()
    assert "API calls this month: 0" in settings_page and "Api calls" not in settings_page
    assert "Scrape jobs this month: 0" in settings_page


def test_metadata_keys_read_as_words():
    assert readable_key("playtime_forever") == "Playtime forever"
    assert readable_key("api_calls") == "API calls"
    assert readable_key("written_during_early_access") == "Written during early access"
    # A CSV's own column names are the user's words: left as they are.
    assert readable_key("Order ID") == "Order ID"
