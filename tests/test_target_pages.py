"""Target pages: add by link, feed, web page or uploaded file; bulk add; duplicates, plan
limits, options; pause, scrape one, remove (with its results and daily statistics)."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from analysis.models import Result
from projects.models import Project, Target
from projects.recognition import UnrecognizedURL, parse_bulk, recognize, recognize_upload
from scraping.collectors.fileimport import resolve_upload
from scraping.collectors.registry import collector_class
from scraping.models import ScrapeJob
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user
from tests.page_helpers import add_results, add_target, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

STEAM = "https://store.steampowered.com/app/{}/"
REVIEWS_CSV = b"review,rating,date\nGreat sound,5,2026-01-02\nBattery died fast,2,2026-01-03\n"


def add(client, project, kind, **fields):
    data = {"kind": kind, **{f"{kind}-{name}": value for name, value in fields.items()}}
    return client.post(reverse("projects:add_target", args=[project.pk]), data)


def total_targets(project) -> int:
    return collection("projects").find_one({"_id": project.pk})["stats"]["total_targets"]


# --- one target ---------------------------------------------------------------------------------


def test_a_pasted_link_becomes_a_recognised_target_with_its_caveat(client, project):
    page = client.get(reverse("projects:add_target", args=[project.pk]))
    assert page.status_code == 200 and set(page.context["forms"]) == {"link", "feed", "web", "file"}

    response = add(client, project, "link", url=STEAM.format(570) + "?utm_source=newsletter")
    assert response.status_code == 302
    target = Target.objects.get(project=project)
    expected = recognize(STEAM.format(570))
    assert (target.platform, target.detected_type) == ("steam", expected.detected_type)
    assert target.canonical_url == expected.canonical_url and target.label == expected.label
    assert target.platform_data.app_id == 570 and target.user_id == project.user_id
    assert target.options.language == expected.default_options["language"]
    assert target.caveat == collector_class("steam").caveat
    assert total_targets(project) == 1

    google = "https://www.google.com/maps?cid=123456789"
    response = add(client, project, "link", url=google, label="Flagship store", language="de")
    assert response.status_code == 302
    place = Target.objects.get(project=project, platform="google")
    assert place.label == "Flagship store" and place.options.language == "de"
    assert place.caveat and place.caveat == collector_class("google").caveat
    # The caveat is told on the project page the add leads to, once (not also as a message).
    assert place.caveat not in messages_of(response)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Flagship store" in page and "Google&#x27;s Places API" in page
    assert page.count(f"<strong>Google Maps:</strong> {place.caveat.replace(chr(39), '&#x27;')}") == 1


REFUSED_LINKS = [
    "https://www.amazon.com/s?k=wireless+earbuds",  # a search page, not a product
    "https://www.youtube.com/@somechannel",  # a channel, not a video
    "ftp://example.com/reviews",
    "hello world",
    "http://10.0.0.1/admin",
]


def test_unknown_or_malformed_links_get_the_precise_reason_and_add_nothing(client, project):
    for url in REFUSED_LINKS:
        response = add(client, project, "link", url=url)
        assert response.status_code == 200, url
        errors = " ".join(response.context["forms"]["link"].errors.get("url", []))
        with pytest.raises(UnrecognizedURL) as refused:
            recognize(url)
        assert refused.value.message.lower().rstrip(".") in errors.lower(), url
    empty = add(client, project, "link", url="")
    assert "required" in " ".join(empty.context["forms"]["link"].errors["url"])
    assert not Target.objects.filter(project=project).exists() and total_targets(project) == 0


def test_the_same_target_twice_is_refused_whatever_the_spelling(client, project):
    assert add(client, project, "link", url=STEAM.format(620)).status_code == 302
    again = add(client, project, "link", url="store.steampowered.com/app/620/Portal_2/?snr=1_7_7")
    assert "already in the project" in " ".join(again.context["forms"]["link"].non_field_errors())
    assert Target.objects.filter(project=project).count() == 1 and total_targets(project) == 1


def test_options_are_checked_against_the_platform(client, project):
    bad = add(client, project, "link", url=STEAM.format(440), sort_by="loudest")
    assert "Steam sorts by recent" in " ".join(bad.context["forms"]["link"].errors["sort_by"])
    country = add(client, project, "link", url=STEAM.format(440), country="Germany")
    assert "two-letter" in " ".join(country.context["forms"]["link"].errors["country"])
    assert add(client, project, "link", url=STEAM.format(440), sort_by="updated").status_code == 302
    assert Target.objects.get(project=project).options.sort_by == "updated"


def test_a_feed_and_a_web_page_with_css_selectors(client, project):
    assert add(client, project, "feed", url="https://example.com/blog/updates").status_code == 302
    feed = Target.objects.get(project=project, platform="feed")
    assert feed.platform_data.feed_url == "https://example.com/blog/updates"

    invalid = add(client, project, "web", url="https://example.com/reviews", item_selector="div[")
    assert "not a valid CSS selector" in " ".join(invalid.context["forms"]["web"].errors["item_selector"])
    missing = add(client, project, "web", url="https://example.com/reviews")
    assert "item_selector" in missing.context["forms"]["web"].errors
    response = add(
        client,
        project,
        "web",
        url="https://example.com/reviews",
        item_selector=".review",
        rating_selector=".stars",
    )
    assert response.status_code == 302
    page = Target.objects.get(project=project, platform="web")
    assert page.platform_data.page_url == "https://example.com/reviews"
    assert page.platform_data.selectors == {"item_selector": ".review", "rating_selector": ".stars"}
    assert total_targets(project) == 2


def test_an_uploaded_file_is_stored_per_user_under_the_media_root(client, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("reviews.csv", REVIEWS_CSV, content_type="text/csv")
    response = add(client, project, "file", file=upload)
    assert response.status_code == 302
    target = Target.objects.get(project=project)
    expected = recognize_upload("reviews.csv", REVIEWS_CSV)
    data = target.platform_data
    assert (data.filename, data.format, data.sha256, data.size) == (
        expected.platform_data["filename"],
        expected.platform_data["format"],
        hashlib.sha256(REVIEWS_CSV).hexdigest(),
        len(REVIEWS_CSV),
    )
    assert not Path(data.file_path).is_absolute() and data.file_path.startswith(f"{project.user_id}/")
    stored = Path(settings.MEDIA_ROOT) / data.file_path
    assert stored.read_bytes() == REVIEWS_CSV
    assert resolve_upload(data.file_path) == stored.resolve()  # where the import collector looks

    renamed = SimpleUploadedFile("copy.csv", REVIEWS_CSV, content_type="text/csv")
    again = add(client, project, "file", file=renamed)
    assert "already a target" in " ".join(again.context["forms"]["file"].errors["file"])
    wrong = add(client, project, "file", file=SimpleUploadedFile("reviews.xlsx", b"PK\x03\x04"))
    assert ".xlsx" in " ".join(wrong.context["forms"]["file"].errors["file"])

    client.post(reverse("analysis:target_remove", args=[project.pk, target.pk]))
    assert not stored.exists()  # nothing else used the file


def test_the_plan_limits_targets_per_project(client, owner, project):
    limit = owner.get_plan().max_targets_per_project
    for app_id in range(limit):
        assert add(client, project, "link", url=STEAM.format(1000 + app_id)).status_code == 302
    refused = add(client, project, "link", url=STEAM.format(9999))
    assert f"allows {limit} targets per project" in " ".join(
        refused.context["forms"]["link"].non_field_errors()
    )
    assert Target.objects.filter(project=project).count() == limit == total_targets(project)


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_add_keeps_the_valid_lines_and_lists_the_others_with_their_reason(client, project):
    add(client, project, "link", url=STEAM.format(570))  # already in the project
    text = "\n".join(
        [
            STEAM.format(440) + ", Team Fortress 2",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "not a url at all",
            STEAM.format(440) + "?utm_campaign=spring",  # repeats line 1
            "# a comment",
            STEAM.format(570),
            "https://www.amazon.com/s?k=earbuds",
            "https://example.com/blog/feed.xml",
        ]
    )
    expected = parse_bulk(text, existing={recognize(STEAM.format(570)).canonical_url})
    response = client.post(reverse("projects:bulk_add", args=[project.pk]), {"urls": text})
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert [t.canonical_url for t in outcome.added] == [
        line.recognition.canonical_url for line in expected.valid
    ]
    assert (
        [line.line_no for line in outcome.invalid] == [line.line_no for line in expected.invalid] == [3, 6, 7]
    )
    assert [(d.line_no, d.first_line_no) for d in outcome.duplicates] == [(4, 1)]
    reasons = {line.line_no: line.reason for line in outcome.invalid}
    assert "already in the project" in reasons[6] and "search page" in reasons[7]
    assert Target.objects.get(project=project, platform_data__app_id=440).label == "Team Fortress 2"
    assert Target.objects.filter(project=project).count() == 4 == total_targets(project)
    page = response.content.decode()
    assert "Not added" in page and "search page" in page
    # The refused lines come back in the text box, to fix and resubmit.
    assert response.context["form"]["urls"].value().splitlines() == ["not a url at all", STEAM.format(570),
                                                                      "https://www.amazon.com/s?k=earbuds"]  # fmt: skip
    assert "Added 3 target(s)." in messages_of(response)


def test_bulk_add_from_a_csv_file_and_within_the_plan_limit(client, owner, project):
    limit = owner.get_plan().max_targets_per_project
    for app_id in range(limit - 2):
        add_target(project, STEAM.format(app_id + 1), recognize(STEAM.format(app_id + 1)).canonical_url)
    csv = (
        "url,label\n"
        + "".join(f"{STEAM.format(500 + i)},Game {i}\n" for i in range(4))
        + "ftp://nope,Broken\n"
    )
    upload = SimpleUploadedFile("targets.csv", csv.encode(), content_type="text/csv")
    response = client.post(reverse("projects:bulk_add", args=[project.pk]), {"csv_file": upload})
    outcome = response.context["outcome"]
    assert [t.label for t in outcome.added] == ["Game 0", "Game 1"]
    reasons = [line.reason for line in outcome.invalid]
    assert sum(f"allows {limit} targets per project" in r for r in reasons) == 2
    assert sum("unsupported scheme" in r.lower() for r in reasons) == 1
    assert Target.objects.filter(project=project).count() == limit == total_targets(project)

    empty = client.post(reverse("projects:bulk_add", args=[project.pk]), {"urls": "  "})
    assert "Paste at least one link" in " ".join(empty.context["form"].non_field_errors())
    too_many = client.post(reverse("projects:bulk_add", args=[project.pk]), {"urls": "x.com\n" * 501})
    assert "too many lines" in " ".join(too_many.context["form"].non_field_errors()).lower()


# --- table, pause, scrape one, remove --------------------------------------------------------------


def test_the_targets_table_shows_collected_against_available_and_the_last_error(client, project):
    target = add_target(project, STEAM.format(570), recognize(STEAM.format(570)).canonical_url)
    collection("targets").update_one(
        {"_id": target.pk},
        {
            "$set": {
                "stats.results_count": 100,
                "stats.available_total": 2340,
                "error_message": "<b>HTTP 429</b>",
            }
        },
    )
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "collected 100 of 2,340 available" in page
    assert "&lt;b&gt;HTTP 429&lt;/b&gt;" in page and "<b>HTTP 429</b>" not in page  # escaped


def test_pause_resume_and_scrape_a_single_target(client, project):
    first = add_target(project, STEAM.format(570), recognize(STEAM.format(570)).canonical_url)
    second = add_target(project, STEAM.format(440), recognize(STEAM.format(440)).canonical_url)
    client.post(reverse("projects:target_pause", args=[project.pk, first.pk]))
    first.refresh_from_db()
    assert first.status == "paused"
    refused = client.post(reverse("jobs:run_target", args=[project.pk, first.pk]))
    assert "paused" in " ".join(messages_of(refused)) and not ScrapeJob.objects.exists()
    client.post(reverse("projects:target_pause", args=[project.pk, first.pk]))
    first.refresh_from_db()
    assert first.status == "active"

    response = client.post(reverse("jobs:run_target", args=[project.pk, second.pk]))
    job = ScrapeJob.objects.get(project=project)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert [entry.target_id for entry in job.targets] == [second.pk]
    busy = client.post(reverse("jobs:run", args=[project.pk]))
    assert "already running" in " ".join(messages_of(busy))
    removing = client.post(reverse("analysis:target_remove", args=[project.pk, second.pk]))
    assert "collecting this target" in " ".join(messages_of(removing))
    assert Target.objects.filter(pk=second.pk).exists()


def test_removing_a_target_takes_its_results_and_daily_statistics_with_it(client, project):
    doomed = add_target(project, STEAM.format(570), recognize(STEAM.format(570)).canonical_url)
    kept = add_target(project, STEAM.format(440), recognize(STEAM.format(440)).canonical_url)
    add_results(doomed, [0.9, 0.7, -0.8])
    add_results(kept, [0.2, -0.6])
    before = Project.objects.get(pk=project.pk).stats
    kept_daily = list(collection("daily_stats").find({"target_id": kept.pk}).sort("_id"))
    assert collection("daily_stats").count_documents({"target_id": doomed.pk}) == 3

    confirm = client.get(reverse("analysis:target_remove", args=[project.pk, doomed.pk]))
    assert confirm.status_code == 200 and b"3 result(s)" in confirm.content
    response = client.post(reverse("analysis:target_remove", args=[project.pk, doomed.pk]))
    assert response.status_code == 302
    assert not Target.objects.filter(pk=doomed.pk).exists()
    assert not Result.objects.filter(target_id=doomed.pk).exists()
    assert collection("daily_stats").count_documents({"target_id": doomed.pk}) == 0
    assert list(collection("daily_stats").find({"target_id": kept.pk}).sort("_id")) == kept_daily
    after = Project.objects.get(pk=project.pk).stats
    assert after.total_results == before.total_results - 3 == Result.objects.filter(project=project).count()
    assert after.sentiment_count == before.sentiment_count - 3
    assert after.sentiment_sum == pytest.approx(0.2 - 0.6)
    assert after.total_targets == before.total_targets - 1 == 1


# --- access -------------------------------------------------------------------------------------

TARGET_VIEWS = [
    ("analysis:target_remove", "get", 200),
    ("projects:target_pause", "post", 302),
    ("projects:target_pause", "post", 302),  # and back
    ("jobs:run_target", "post", 302),
    ("analysis:target_remove", "post", 302),  # refused while its job runs
]


def test_every_target_view_belongs_to_the_owner(project, owner):
    other = make_user()
    target = add_target(project, STEAM.format(570), recognize(STEAM.format(570)).canonical_url)
    foreign_project = make_project(other)
    anonymous, intruder, mine = Client(), Client(), Client()
    intruder.force_login(other)
    mine.force_login(owner)
    for name, method, owner_status in TARGET_VIEWS:
        url = reverse(name, args=[project.pk, target.pk])
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), name
        assert getattr(intruder, method)(url).status_code == 404, name
        # Somebody else's project id with this target: still not found.
        crossed = reverse(name, args=[foreign_project.pk, target.pk])
        assert getattr(intruder, method)(crossed).status_code == 404, name
        assert getattr(mine, method)(crossed).status_code == 404, name
        assert getattr(mine, method)(url).status_code == owner_status, name
    assert Target.objects.filter(pk=target.pk).exists()
    assert ScrapeJob.objects.filter(project=project).count() == 1
