"""Saved views: validated by the explorer's own parser, saved from the explorer and applied from
its list, renamed and deleted, applied as the dashboard's filter, and never reachable from another
user's account; the dashboard's chart of sentiment by Steam playtime."""

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from analysis import dashboard, display, saved_views
from analysis.models import SavedView
from analysis.results_store import reads
from analysis.stats import bucket
from projects.services.lifecycle import delete_project
from tests.factories import make_user
from tests.results_seed import content_day, seed


@pytest.fixture
def seeded(db, seed_clock):
    return seed(make_user())


@pytest.fixture
def signed_in(client, seeded):
    client.force_login(seeded.project.user)
    return client


def explorer(seeded):
    return reverse("analysis:explorer", args=[seeded.project.pk])


def ids(client, url) -> set:
    page = client.get(url).context["page"]
    return {str(r.pk) for r in page.object_list}, page.paginator.count


# --- validation ---------------------------------------------------------------------------------


def test_a_view_keeps_the_canonical_query_of_what_it_selects(seeded):
    user, project = seeded.project.user, seeded.project
    target = str(seeded.targets[0].pk)
    view = saved_views.create_view(
        project,
        user,
        "  Angry   Steam ",
        f"sentiment=negative&platform=steam&target={target}&sort=score_desc&page=3&per_page=100&cols=date,sentiment",
    )
    assert view.name == "Angry Steam"  # spaces collapsed
    # Filters in the explorer's canonical order, the sort kept, the page dropped, display kept.
    assert view.query == (
        f"target={target}&platform=steam&sentiment=negative&sort=score_desc&cols=date%2Csentiment&per_page=100"
    )
    assert saved_views.state_of(view).sentiments == ["negative"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "date_from=2024-13-40",
            "date_from",
            "“2024-13-40” is not a valid date and was left out. Dates are written YYYY-MM-DD.",
        ),
        ("sentiment=furious", "sentiment", "Unknown sentiment label left out."),
        ("sort=loudest", "sort", "Unknown sort order."),
        ("playtime_min=lots", "playtime_min", "Playtime is a number of hours such as 2 or 10.5."),
        ("per_page=7", "per_page", display.PER_PAGE_ERROR),
        ("cols=<b>", "cols", display.COLUMN_ERROR),
        ("target=5f0000000000000000000000", "target", "Unknown target left out."),
    ],
)
def test_invalid_parameters_are_refused_with_the_explorers_message(seeded, query, field, message):
    with pytest.raises(ValidationError) as refused:
        saved_views.create_view(seeded.project, seeded.project.user, "Broken", query)
    assert refused.value.message_dict == {field: [message]}
    assert not SavedView.objects.exists()


def test_names_are_required_and_unique_per_project(seeded, db):
    user, project = seeded.project.user, seeded.project
    saved_views.create_view(project, user, "Negative", "sentiment=negative")
    for name, message in (
        ("", "Give the view a name."),
        ("  NEGATIVE ", "already has a view"),
    ):
        with pytest.raises(ValidationError) as refused:
            saved_views.create_view(project, user, name, "")
        assert message in refused.value.message_dict["name"][0]
    # The same name in another project is another view.
    other = seed(user, count=3, name="Other project")
    assert saved_views.create_view(other.project, user, "Negative", "").project_id == other.project.pk
    # Renaming onto a taken name is refused; onto its own name is fine.
    second = saved_views.create_view(project, user, "Positive", "sentiment=positive")
    with pytest.raises(ValidationError):
        saved_views.update_view(second, name="Negative")
    assert saved_views.update_view(second, name="Positive").name == "Positive"


# --- the explorer -------------------------------------------------------------------------------


def test_save_from_the_explorer_list_it_and_apply_it(seeded, signed_in):
    client = signed_in
    query = "platform=steam&sentiment=negative&sentiment=very_negative&sort=newest"
    wanted_ids, wanted_count = ids(client, f"{explorer(seeded)}?{query}")
    assert 0 < wanted_count < len(seeded.docs)
    response = client.post(
        reverse("analysis:view_save", args=[seeded.project.pk]), {"name": "Steam complaints", "query": query}
    )
    view = SavedView.objects.get(project_id=seeded.project.pk)
    assert response.status_code == 302 and response["Location"] == f"{explorer(seeded)}?{view.query}"
    page = client.get(explorer(seeded)).content.decode()
    link = f'href="{explorer(seeded)}?{view.query.replace("&", "&amp;")}"'
    assert link in page and "Steam complaints" in page
    # Following the link shows what the filters showed when the view was saved, marked current.
    assert ids(client, response["Location"]) == (wanted_ids, wanted_count)
    assert 'aria-current="true">Steam complaints' in client.get(response["Location"]).content.decode()


def test_htmx_saves_the_filters_the_form_holds_now(seeded, signed_in):
    """Under htmx the page's URL moved on since the panel was drawn: the filter fields are sent."""
    response = signed_in.post(
        reverse("analysis:view_save", args=[seeded.project.pk]),
        {"name": "German", "query": "", "from": "filters", "language": "de", "sort": "collected", "q": ""},
        HTTP_HX_REQUEST="true",
    )
    view = SavedView.objects.get(project_id=seeded.project.pk)
    assert view.query == "language=de"
    assert response.status_code == 204 and response["HX-Redirect"] == f"{explorer(seeded)}?language=de"


def test_a_refused_save_says_why_and_keeps_the_filters(seeded, signed_in):
    url = reverse("analysis:view_save", args=[seeded.project.pk])
    response = signed_in.post(url, {"name": "", "query": "language=de"}, follow=True)
    assert "Give the view a name." in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{explorer(seeded)}?language=de"
    assert not SavedView.objects.exists()


def test_rename_and_delete_from_the_explorer(seeded, signed_in):
    view = saved_views.create_view(seeded.project, seeded.project.user, "Old", "language=de")
    rename = reverse("analysis:view_rename", args=[seeded.project.pk, view.pk])
    assert signed_in.post(rename, {"name": "German reviews"}).status_code == 302
    view.refresh_from_db()
    assert view.name == "German reviews"
    delete = reverse("analysis:view_delete", args=[seeded.project.pk, view.pk])
    assert signed_in.post(delete, {"query": "language=de"})["Location"] == f"{explorer(seeded)}?language=de"
    assert not SavedView.objects.exists()


def test_another_users_views_are_not_found(seeded, client):
    view = saved_views.create_view(seeded.project, seeded.project.user, "Mine", "language=de")
    stranger = make_user("stranger@example.com")
    theirs = seed(stranger, count=3, name="Theirs")
    client.force_login(stranger)
    # Through their own project or through the owner's, the view is not there.
    for project_id in (seeded.project.pk, theirs.project.pk):
        for name in ("view_rename", "view_delete"):
            url = reverse(f"analysis:{name}", args=[project_id, view.pk])
            assert client.post(url, {"name": "Taken over"}).status_code == 404
    assert (
        client.post(reverse("analysis:view_save", args=[seeded.project.pk]), {"name": "x"}).status_code == 404
    )
    dashboard_url = reverse("analysis:dashboard", args=[theirs.project.pk])
    assert client.get(dashboard_url, {"view": str(view.pk)}).status_code == 404
    assert "Mine" not in client.get(reverse("analysis:explorer", args=[theirs.project.pk])).content.decode()
    view.refresh_from_db()
    assert view.name == "Mine"


# --- the dashboard ------------------------------------------------------------------------------


def test_a_view_filters_the_dashboard_with_what_its_statistics_hold(seeded, signed_in):
    amazon = str(seeded.targets[2].pk)
    view = saved_views.create_view(
        seeded.project, seeded.project.user, "Soundtrack", f"target={amazon}&q=music&sentiment=negative"
    )
    response = signed_in.get(reverse("analysis:dashboard", args=[seeded.project.pk]), {"view": str(view.pk)})
    data = response.context["data"]
    counted = [
        d
        for d in seeded.docs
        if not d["excluded"] and d["analysis"]["sentiment"] and str(d["target_id"]) == amazon
    ]
    assert 0 < data["totals"]["count"] == len(counted) < len(seeded.counted())
    assert data["per_target"].keys() == {amazon}
    html = response.content.decode()
    assert "Saved view applied: <strong>Soundtrack</strong>" in html
    assert "do not keep them: Search, Sentiment." in html
    assert f'<option value="{view.pk}" selected>Soundtrack</option>' in html


def test_a_views_posted_days_limit_the_dashboard(seeded):
    first, last = sorted({content_day(d) for d in seeded.counted()})[5:20:14]
    view = saved_views.create_view(
        seeded.project, seeded.project.user, "Days", f"date_from={first}&date_to={last}&platform=steam"
    )
    scope = saved_views.dashboard_scope(view, [str(t.pk) for t in seeded.targets])
    assert scope.ignored == ()
    data = dashboard.project_dashboard(
        seeded.project, dashboard.DashboardOptions(), today=seeded.today.date(), scope=scope
    )
    want = [d for d in seeded.counted() if d["platform"] == "steam" and first <= content_day(d) <= last]
    assert 0 < data["totals"]["count"] == len(want)


def test_the_playtime_chart_counts_steam_reviews_by_band_and_links_to_them(seeded, signed_in):
    response = signed_in.get(reverse("analysis:dashboard", args=[seeded.project.pk]))
    chart = next(c for c in response.context["data"]["charts"] if c["id"] == "playtime")
    steam = [d for d in seeded.counted() if d["platform"] == "steam"]
    assert sum(sum(ds["data"]) for ds in chart["datasets"]) == len(steam)
    under_two = [d for d in steam if d["content"]["metadata"]["playtime_at_review"] < 120]
    positive = next(ds for ds in chart["datasets"] if ds["label"] == "Positive")
    assert positive["data"][0] == sum(
        1 for d in under_two if bucket(d["analysis"]["sentiment"]["label"]) == "positive"
    )
    assert "A sample" in chart["summary"] and 'data-chart="playtime"' in response.content.decode()
    checked = 0
    for dataset in chart["datasets"]:
        for value, link in zip(dataset["data"], dataset["links"], strict=True):
            assert urlsplit(link).path == explorer(seeded)
            if value:
                assert signed_in.get(link).context["page"].paginator.count == value, link
                checked += 1
    assert checked >= 5


def test_views_of_the_explorer_are_the_results_stores_selection(seeded):
    """The API and the pages apply a view by its parameters: the same selection."""
    view = saved_views.create_view(seeded.project, seeded.project.user, "Flagged", "flagged=1&status=all")
    by_view = reads.select(seeded.project.user, seeded.project, saved_views.params_of(view))
    wanted = {d["_id"] for d in seeded.docs if d["flags"]["rating_disagreement"]}
    assert set(by_view.queryset.values_list("pk", flat=True)) == wanted and wanted


def test_deleting_the_project_deletes_its_views(seeded):
    saved_views.create_view(seeded.project, seeded.project.user, "Gone with it", "language=de")
    removed = delete_project(seeded.project)
    assert removed["saved_views"] == 1 and not SavedView.objects.exists()
