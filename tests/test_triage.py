"""Triage from the explorer and the result page: spam/irrelevant (out of statistics, reversible),
tags and pins, with htmx fragments and plain-form fallbacks."""

import pytest
from django.urls import reverse

from analysis import explorer, stats
from analysis.models import Result
from analysis.results_store import reads
from projects.models import Project
from tests.factories import make_user
from tests.results_seed import seed

HTMX = {"HX-Request": "true"}


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user(), count=24)


@pytest.fixture
def signed_in(client, seeded):
    client.force_login(seeded.project.user)
    return client


def url(seeded, name, doc):
    return reverse(f"analysis:{name}", args=[seeded.project.pk, doc["_id"]])


def analysed(seeded):
    return next(
        d for d in seeded.docs if d["analysis"]["sentiment"] and not d["excluded"] and not d["pinned"]
    )


def project_stats(seeded):
    return Project.objects.get(pk=seeded.project.pk).stats


def test_spam_leaves_the_statistics_and_the_default_view_and_comes_back(seeded, signed_in):
    doc = analysed(seeded)
    before = project_stats(seeded)
    response = signed_in.post(url(seeded, "result_exclude", doc), {"excluded": "1"}, headers=HTMX)
    assert response.status_code == 200 and b"<html" not in response.content
    assert b"Include again" in response.content and b"Excluded from statistics" in response.content
    after = project_stats(seeded)
    assert after.sentiment_count == before.sentiment_count - 1
    assert stats.rebuild(seeded.project.pk) == {}  # the incremental move equals a recomputation
    visible = reads.select(seeded.project.user, seeded.project, {}).queryset
    assert doc["_id"] not in set(visible.values_list("pk", flat=True))
    excluded = reads.select(seeded.project.user, seeded.project, {"status": "excluded"}).queryset
    assert doc["_id"] in set(excluded.values_list("pk", flat=True))
    # Reversible, and a repeated click changes nothing twice.
    signed_in.post(url(seeded, "result_exclude", doc), {"excluded": "0"}, headers=HTMX)
    signed_in.post(url(seeded, "result_exclude", doc), {"excluded": "0"}, headers=HTMX)
    assert project_stats(seeded).sentiment_count == before.sentiment_count
    assert stats.rebuild(seeded.project.pk) == {}


def test_pin_as_evidence_and_filter_on_it(seeded, signed_in):
    doc = analysed(seeded)
    response = signed_in.post(url(seeded, "result_pin", doc), {"pinned": "1"}, headers=HTMX)
    assert b'aria-pressed="true"' in response.content and b"Pinned as evidence" in response.content
    assert Result.objects.get(pk=doc["_id"]).pinned
    pinned = reads.select(seeded.project.user, seeded.project, {"pinned": "1"}).queryset
    assert doc["_id"] in set(pinned.values_list("pk", flat=True))
    signed_in.post(url(seeded, "result_pin", doc), {"pinned": "0"}, headers=HTMX)
    assert not Result.objects.get(pk=doc["_id"]).pinned


def test_tags_are_added_once_removed_and_filterable(seeded, signed_in):
    doc = analysed(seeded)
    tags_url = url(seeded, "result_tags", doc)
    signed_in.post(tags_url, {"action": "add", "tag": "  shipping   delay "}, headers=HTMX)
    again = signed_in.post(tags_url, {"action": "add", "tag": "shipping delay"}, headers=HTMX)
    assert b"Already tagged so" in again.content
    assert Result.objects.get(pk=doc["_id"]).tags == [*doc["tags"], "shipping delay"]
    tagged = reads.select(seeded.project.user, seeded.project, {"tag": "shipping delay"}).queryset
    assert list(tagged.values_list("pk", flat=True)) == [doc["_id"]]
    refused = signed_in.post(tags_url, {"action": "add", "tag": "a,b"}, headers=HTMX)
    assert b"without commas" in refused.content
    signed_in.post(tags_url, {"action": "remove", "tag": "shipping delay"}, headers=HTMX)
    assert Result.objects.get(pk=doc["_id"]).tags == doc["tags"]


def test_a_result_holds_at_most_the_tag_limit(seeded, signed_in):
    doc = analysed(seeded)
    result = Result.objects.get(pk=doc["_id"])
    for i in range(explorer.MAX_TAGS + 3):
        explorer.add_tag(result, f"tag {i}")
    assert len(Result.objects.get(pk=doc["_id"]).tags) == explorer.MAX_TAGS
    response = signed_in.post(
        url(seeded, "result_tags", doc), {"action": "add", "tag": "one more"}, headers=HTMX
    )
    assert f"at most {explorer.MAX_TAGS} tags".encode() in response.content


def test_tag_text_is_escaped(seeded, signed_in):
    doc = analysed(seeded)
    response = signed_in.post(
        url(seeded, "result_tags", doc),
        {"action": "add", "tag": "<img src=x onerror=alert(1)>"},
        headers=HTMX,
    )
    assert b"<img src=x" not in response.content and b"&lt;img src=x onerror=alert(1)&gt;" in response.content
    page = signed_in.get(
        reverse("analysis:explorer", args=[seeded.project.pk]), {"tag": "<img src=x onerror=alert(1)>"}
    )
    assert b"<img src=x" not in page.content and page.context["page"].paginator.count == 1


def test_without_javascript_the_forms_redirect_back(seeded, signed_in):
    doc = analysed(seeded)
    back = reverse("analysis:explorer", args=[seeded.project.pk]) + "?platform=steam"
    response = signed_in.post(url(seeded, "result_pin", doc), {"pinned": "1", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    followed = signed_in.get(back)
    assert "Pinned as evidence." in followed.content.decode()
    # An address elsewhere is never followed: back to the result page instead.
    response = signed_in.post(
        url(seeded, "result_pin", doc), {"pinned": "0", "next": "https://evil.example/"}
    )
    assert response["Location"] == url(seeded, "result", doc)


def test_triage_buttons_are_on_each_row_and_on_the_result_page(seeded, signed_in):
    doc = analysed(seeded)
    # The card layout carries each row's triage buttons (the table has the bulk bar instead).
    explorer_html = signed_in.get(
        reverse("analysis:explorer", args=[seeded.project.pk]), {"layout": "cards"}
    ).content.decode()
    result_html = signed_in.get(url(seeded, "result", doc)).content.decode()
    for html in (explorer_html, result_html):
        for name in ("result_pin", "result_exclude", "result_tags"):
            assert f'hx-post="{url(seeded, name, doc)}"' in html
    assert explorer_html.count('class="triage"') == min(
        len(seeded.visible()), seeded.project.user.settings.results_per_page
    )


def test_triage_needs_post_and_the_owner(seeded, signed_in, client):
    doc = analysed(seeded)
    assert signed_in.get(url(seeded, "result_pin", doc)).status_code == 405
    client.logout()
    client.force_login(make_user())
    assert client.post(url(seeded, "result_exclude", doc), {"excluded": "1"}).status_code == 404
    assert not Result.objects.get(pk=doc["_id"]).excluded
