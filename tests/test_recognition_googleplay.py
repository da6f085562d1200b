"""Recognising Google Play apps: every link shape that names an app, and clear refusals."""

import pytest

from projects.platforms import DetectedType, Platform
from projects.recognition import UnrecognizedURL, parse_bulk, recognize

STORE = "https://play.google.com/store/apps/details"


@pytest.mark.parametrize(
    ("url", "package", "language", "country"),
    [
        (f"{STORE}?id=com.spotify.music", "com.spotify.music", "en", "us"),
        (f"{STORE}?id=com.spotify.music&hl=en_US", "com.spotify.music", "en-US", "us"),
        (f"{STORE}?id=com.whatsapp&hl=de&gl=DE", "com.whatsapp", "de", "de"),
        (f"{STORE}?hl=pt-br&gl=br&id=com.nubank.app", "com.nubank.app", "pt-BR", "br"),
        (f"{STORE}?id=com.king.candycrush_saga&showAllReviews=true", "com.king.candycrush_saga", "en", "us"),
        (f"{STORE}?id=com.spotify.music&reviewId=abc123&utm_source=news", "com.spotify.music", "en", "us"),
        (f"{STORE}/Spotify?id=com.spotify.music", "com.spotify.music", "en", "us"),
        (
            "https://play.google.com/store/apps/datasafety?id=com.spotify.music&hl=fr",
            "com.spotify.music",
            "fr",
            "us",
        ),
        (
            "https://m.play.google.com/store/apps/details?id=org.mozilla.firefox&gl=gb",
            "org.mozilla.firefox",
            "en",
            "gb",
        ),
        ("play.google.com/store/apps/details?id=com.spotify.music", "com.spotify.music", "en", "us"),
        ("https://market.android.com/details?id=com.spotify.music", "com.spotify.music", "en", "us"),
        ("market://details?id=com.spotify.music", "com.spotify.music", "en", "us"),
        ("market://details?id=com.whatsapp&hl=es&gl=MX", "com.whatsapp", "es", "mx"),
        ("MARKET://details?id=com.whatsapp", "com.whatsapp", "en", "us"),
    ],
)
def test_every_app_link_shape_is_a_google_play_app(url, package, language, country):
    recognition = recognize(url)
    assert recognition.platform == Platform.GOOGLE_PLAY
    assert recognition.detected_type == DetectedType.APP
    assert recognition.platform_data == {"package_id": package, "country": country}
    assert recognition.canonical_url == f"{STORE}?id={package}&hl={language}&gl={country}"
    assert recognition.default_options == {"language": language, "country": country, "sort_by": "newest"}
    assert recognition.label == f"Google Play app {package} ({language}, {country.upper()})"
    assert recognition.url.startswith("https://")
    assert not recognition.needs_resolution


def test_one_app_in_one_language_is_one_target_however_it_is_spelt():
    spellings = [
        f"{STORE}?id=com.spotify.music",
        f"{STORE}?id=com.spotify.music&hl=en&gl=us&showAllReviews=true",
        "https://m.play.google.com/store/apps/details?id=com.spotify.music&utm_campaign=x",
        "market://details?id=com.spotify.music",
        "https://play.google.com/store/apps/datasafety?id=com.spotify.music",
    ]
    assert len({recognize(url).canonical_url for url in spellings}) == 1


def test_the_same_app_in_two_languages_is_two_targets():
    # Google Play serves reviews per language: each language is its own collection.
    english = recognize(f"{STORE}?id=com.spotify.music&hl=en")
    german = recognize(f"{STORE}?id=com.spotify.music&hl=de")
    assert english.canonical_url != german.canonical_url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (STORE, "no app id in this Google Play URL"),
        (f"{STORE}?hl=en", "no app id in this Google Play URL"),
        (f"{STORE}?id=", "no app id in this Google Play URL"),
        (f"{STORE}?id=spotify", "'spotify' is not a valid Google Play package id"),
        (f"{STORE}?id=com.spotify..music", "is not a valid Google Play package id"),
        (f"{STORE}?id=1com.spotify.music", "is not a valid Google Play package id"),
        (f"{STORE}?id=com.spot-ify.music", "is not a valid Google Play package id"),
        (f"{STORE}?id=com." + "a" * 300, "is not a valid Google Play package id"),
        ("https://play.google.com/store/apps/dev?id=5700313618786177705", "a Google Play developer page"),
        ("https://play.google.com/store/apps/developer?id=Spotify+AB", "a Google Play developer page"),
        ("https://play.google.com/store/apps/category/GAME", "a Google Play category"),
        ("https://play.google.com/store/search?q=notes&c=apps", "a Google Play search"),
        ("https://play.google.com/store/books/details?id=abc", "a Google Play book"),
        ("https://play.google.com/store/movies/details?id=abc", "a Google Play film"),
        ("https://play.google.com/store/apps", "the Google Play home page"),
        ("https://play.google.com/", "the Google Play home page"),
        ("market://search?q=notes", "a Google Play search"),
        ("com.spotify.music", "'com.spotify.music' looks like a Google Play package id, not a URL"),
        ("com.king.candycrush_saga", "looks like a Google Play package id"),
    ],
)
def test_refuses_what_is_no_app_with_the_reason(url, reason):
    with pytest.raises(UnrecognizedURL) as caught:
        recognize(url)
    assert reason in caught.value.message
    assert caught.value.platform == Platform.GOOGLE_PLAY


def test_a_bare_package_id_is_refused_with_the_link_to_paste():
    with pytest.raises(UnrecognizedURL) as caught:
        recognize("com.spotify.music")
    assert f"{STORE}?id=com.spotify.music" in caught.value.message


def test_host_names_that_only_look_dotted_stay_web_pages():
    assert recognize("www.example.com").platform == Platform.WEB
    assert recognize("news.example.org").platform == Platform.WEB


def test_the_google_play_hint_takes_google_play_links_and_refuses_others():
    assert recognize(f"{STORE}?id=com.spotify.music", hint="googleplay").platform == Platform.GOOGLE_PLAY
    with pytest.raises(UnrecognizedURL, match="this is a App Store link"):
        recognize("https://apps.apple.com/us/app/id389801252", hint="googleplay")


def test_bulk_add_recognises_google_play_links_and_reports_bad_ones():
    parsed = parse_bulk(
        "\n".join(
            [
                f"{STORE}?id=com.spotify.music&hl=de, Spotify DE",
                "market://details?id=com.whatsapp",
                f"{STORE}?id=com.spotify.music&hl=de&gl=us",
                f"{STORE}?id=",
                "com.spotify.music",
            ]
        )
    )
    assert [(line.line_no, line.recognition.platform, line.label) for line in parsed.valid] == [
        (1, Platform.GOOGLE_PLAY, "Spotify DE"),
        (2, Platform.GOOGLE_PLAY, "Google Play app com.whatsapp (en, US)"),
    ]
    assert [(line.line_no, line.first_line_no) for line in parsed.duplicates] == [(3, 1)]
    reasons = {line.line_no: line.reason for line in parsed.invalid}
    assert "no app id in this Google Play URL" in reasons[4]
    assert "looks like a Google Play package id" in reasons[5]
