"""Google Play in the pages: a pasted store link adds an app target, the project page tells
its caveat, and its edit form offers the store's sort orders."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Target
from projects.platforms import CAVEATS, Platform

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

LINK = "https://play.google.com/store/apps/details?id=com.harmony.music&hl=fr&gl=FR"


def test_a_pasted_google_play_link_adds_an_app_target_with_its_caveat(client, project):
    response = client.post(
        reverse("projects:add_target", args=[project.pk]), {"kind": "link", "link-url": LINK}
    )

    assert response.status_code == 302
    target = Target.objects.get(project=project)
    assert (target.platform, target.detected_type) == ("googleplay", "app")
    assert target.platform_data.package_id == "com.harmony.music"
    assert (target.options.language, target.options.country) == ("fr", "fr")
    assert target.label == "Google Play app com.harmony.music (fr, FR)"
    assert target.caveat == CAVEATS[Platform.GOOGLE_PLAY]
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Google Play app com.harmony.music (fr, FR)" in page
    assert "Google Play has no public review API" in page


def test_the_edit_form_takes_the_store_sort_orders_only(client, project):
    client.post(reverse("projects:add_target", args=[project.pk]), {"kind": "link", "link-url": LINK})
    target = Target.objects.get(project=project)
    edit = reverse("projects:target_edit", args=[project.pk, target.pk])

    wrong = client.post(edit, {"sort_by": "helpful"})
    assert "Google Play sorts by newest, most_relevant" in " ".join(wrong.context["form"].errors["sort_by"])
    saved = client.post(edit, {"sort_by": "most_relevant", "language": "fr", "country": "fr"})
    assert saved.status_code == 302
    target.refresh_from_db()
    assert target.options.sort_by == "most_relevant"


def test_a_bare_package_id_is_refused_on_the_page_with_the_link_to_paste(client, project):
    response = client.post(
        reverse("projects:add_target", args=[project.pk]), {"kind": "link", "link-url": "com.harmony.music"}
    )

    assert response.status_code == 200
    assert not Target.objects.filter(project=project).exists()
    assert "looks like a Google Play package id" in response.content.decode()
