"""Aspects on real recorded platform texts (Steam, Reddit, YouTube) and on constructed texts:
noise never becomes an aspect, forms merge, sentences (not reviews) are judged, sarcasm is never
praise, offensive sentences are never quoted, quotes never repeat, and one rule makes pros and
cons. Pure: no database."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from analysis.engine.aspects import (
    CLEAR_MAJORITY,
    MIN_JUDGED_RESULTS,
    AspectRow,
    default_scorer,
    find_mentions,
    near_duplicate,
    summarize_aspects,
    text_aspects,
    verdict,
)
from analysis.engine.aspects.noise import mask_noise

PLATFORMS = settings.SHARED_DATA_DIR / "platforms"
STEAM_LANGUAGES = {"english": "en", "spanish": "es", "french": "fr", "german": "de", "brazilian": "pt"}
# What broken markup, links and file names leave behind when they are read as words.
NOISE_WORDS = {
    "http", "https", "www", "com", "org", "net", "gif", "gifs", "gifv", "png", "jpg", "jpeg", "imgur",
    "youtube", "youtu", "watch", "href", "br", "amp", "quot", "nbsp", "url", "img", "list", "h1",
    "strike", "spoiler", "deleted", "removed", "reddit",
}  # fmt: skip


def steam_rows(app_id: str) -> list[AspectRow]:
    path = PLATFORMS / "steam" / f"steamreviews_review_{app_id}.json"
    reviews = json.loads(path.read_text(encoding="utf-8"))["reviews"].values()
    return [
        AspectRow(
            id=r["recommendationid"],
            text=r["review"],
            language=STEAM_LANGUAGES.get(r["language"], r["language"]),
            when=datetime.fromtimestamp(r["timestamp_created"], UTC),
        )
        for r in reviews
    ]


def _walk(value, key: str, out: list[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get(key), str):
            out.append(value[key])
        for inner in value.values():
            _walk(inner, key, out)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, key, out)


def recorded_texts(pattern: str, key: str) -> list[str]:
    """Every ``key`` string in the recorded files; a vcrpy cassette's response bodies are read
    as the JSON they hold."""
    texts: list[str] = []
    for path in sorted(PLATFORMS.glob(pattern)):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "interactions" in data:
            bodies = [i["response"]["body"]["string"] for i in data["interactions"]]
            data = [json.loads(b) for b in bodies if b.lstrip().startswith(("{", "["))]
        _walk(data, key, texts)
    return texts


def rows_of(texts: list[str], language: str = "en", prefix: str = "r") -> list[AspectRow]:
    return [AspectRow(id=f"{prefix}{i}", text=t, language=language) for i, t in enumerate(texts)]


def summarize(rows: list[AspectRow], **kwargs) -> list[dict]:
    return summarize_aspects(rows, default_scorer(), **kwargs)["aspects"]


def by_name(aspects: list[dict]) -> dict[str, dict]:
    return {a["aspect"]: a for a in aspects}


def assert_evidence_is_real(aspects: list[dict], rows: list[AspectRow]) -> None:
    """Every id is an input id, every quote an exact substring of its result, no quote twice,
    every form a surface form that occurs in the texts."""
    texts = {r.id: r.text for r in rows}
    quotes = []
    for aspect in aspects:
        assert aspect["count"] == len(aspect["result_ids"]) == len(set(aspect["result_ids"])) >= 2
        assert set(aspect["result_ids"]) <= set(texts)
        sentiment = aspect["sentiment"]
        assert sum(sentiment[k] for k in ("positive", "neutral", "negative", "unscored")) == aspect["count"]
        for form in [aspect["aspect"], *aspect["forms"]]:
            assert any(form.lower() in texts[i].lower() for i in aspect["result_ids"]), form
        for quote in aspect["quotes"]:
            assert quote["result_id"] in aspect["result_ids"]
            assert quote["span"] in texts[quote["result_id"]]
            quotes.append(quote["span"])
    for i, quote in enumerate(quotes):
        assert not any(near_duplicate(quote, other) for other in quotes[:i]), quote


# --- noise ------------------------------------------------------------------------------------


def test_links_markup_files_and_user_names_are_masked_in_place():
    text = (
        "See https://media.giphy.com/media/x/giphy.gif and www.example.org/page, meme.gif, "
        '[b]bold[/b] [url=http://x.example]link[/url] <a href="http://g.co">Google.com</a> &amp; '
        "@some_user u/someone r/gaming #ad 60fps v1.2\n> quoted from the parent comment\n[deleted]"
    )
    masked = mask_noise(text)
    assert len(masked) == len(text) and masked.count("\n") == text.count("\n")
    words = set(re.findall(r"[a-z]+", masked.lower()))
    assert words == {"see", "and", "bold", "link"}


def test_noise_never_becomes_an_aspect_on_constructed_texts():
    noisy = [
        "Check http://imgur.com/gallery/abc.gif the gif of the boss fight is great",
        "[h1]Graphics[/h1] [list][*]The graphics are gorgeous[/list] https://www.youtube.com/watch?v=x",
        "@dev_team the graphics are nice, see screenshot.png and www.example.com for the boss fight",
        '<a href="http://google.com/">Google.com</a> the boss fight<br />is great',
        "r/gaming u/someone: graphics look great at 60fps, 4K, v1.02 #gaming",
    ]
    aspects = summarize(rows_of(noisy))
    names = {a["aspect"] for a in aspects} | {f for a in aspects for f in a["forms"]}
    assert {"graphics", "boss fight"} <= names
    assert not names & NOISE_WORDS
    assert not [n for n in names if re.search(r"[\d./@#_<>\[\]]", n)]
    for aspect in aspects:
        for quote in aspect["quotes"]:
            assert not re.search(r"https?:|www\.|\.gif|\[/?\w|<\w|@\w", quote["span"]), quote


@pytest.mark.parametrize(
    "pattern,key",
    [
        ("reddit/reddit_comments_*.json", "body"),
        ("reddit/praw_cassette_*.json", "body"),
        ("youtube/*.json", "textDisplay"),
        ("youtube/*.json", "textOriginal"),
    ],
)
def test_noise_never_becomes_an_aspect_on_recorded_comments(pattern, key):
    texts = recorded_texts(pattern, key)
    assert texts
    rows = rows_of(texts)
    aspects = summarize(rows, limit=200)
    names = {a["aspect"].lower() for a in aspects} | {f for a in aspects for f in a["forms"]}
    assert not names & NOISE_WORDS, names & NOISE_WORDS
    assert not [n for n in names if re.search(r"[\d./@#_<>\[\]]", n)]
    assert_evidence_is_real(aspects, rows)


def test_real_steam_reviews_give_real_aspects():
    rows = steam_rows("573170")
    aspects = summarize(rows)
    names = [a["aspect"] for a in aspects]
    # The game itself, its name ("Fidel") and link leftovers are not aspects of it.
    assert not {"game", "games", "fidel", "http", "com", "gif"} & {n.lower() for n in names}
    assert "puzzle" in names[:3]
    assert {"art", "design", "gameplay", "mechanics"} <= set(names)
    assert_evidence_is_real(aspects, rows)
    puzzle = by_name(aspects)["puzzle"]
    assert puzzle["verdict"] == "pro" and set(puzzle["forms"]) == {"puzzle", "puzzles"}


def test_names_written_capitalised_are_not_aspects():
    rows = steam_rows("288120")
    names = {a["aspect"].lower() for a in summarize(rows, limit=100)}
    assert "dungeonmans" not in names and "dungeonman" not in names
    assert {"roguelike", "humor", "academy"} <= names


# --- forms ------------------------------------------------------------------------------------


def test_plural_and_singular_merge_and_the_most_frequent_form_is_shown():
    texts = [
        "The puzzles are clever.",
        "I solved every puzzle in a day.",
        "Great puzzles and a lovely soundtrack.",
        "The batteries died quickly.",
        "The battery is weak.",
        "My battery lasts an hour.",
    ]
    aspects = by_name(summarize(rows_of(texts)))
    assert aspects["puzzles"]["count"] == 3 and set(aspects["puzzles"]["forms"]) == {"puzzle", "puzzles"}
    assert aspects["battery"]["count"] == 3 and set(aspects["battery"]["forms"]) == {"battery", "batteries"}
    assert aspects["puzzles"]["search"] == "puzzle"  # a search for the shorter form finds both


@pytest.mark.parametrize(
    "language,texts,expected",
    [
        (
            "es",
            ["Me encantan los gráficos.", "El gráfico es precioso.", "Los gráficos son feos."],
            "gráficos",
        ),
        (
            "de",
            ["Die Grafik ist schön.", "Mir gefällt die Grafik.", "Schöne Grafiken, gute Musik."],
            "Grafik",
        ),
        (
            "fr",
            ["Les graphismes sont beaux.", "J'adore le graphisme.", "Les graphismes sont laids."],
            "graphismes",
        ),
        ("it", ["La grafica è bella.", "Mi piace la grafica.", "Che brutta la grafica."], "grafica"),
        ("pt", ["Os gráficos são lindos.", "Gostei do gráfico.", "Os gráficos são feios."], "gráficos"),
        ("ar", ["الرسومات جميلة جدا.", "أحببت الرسومات كثيرا.", "الرسومات سيئة."], "الرسومات"),
        ("hi", ["ग्राफिक्स में बहुत मेहनत है।", "ग्राफिक्स से मुझे प्यार है।", "ग्राफिक्स पर ध्यान दिया गया।"], "ग्राफिक्स"),
    ],
)
def test_aspects_in_each_language_skip_stop_words_and_merge_forms(language, texts, expected):
    aspects = summarize(rows_of(texts, language))
    assert aspects[0]["aspect"] == expected and aspects[0]["count"] == 3
    # The default scorer judges English only: other languages are counted, not guessed.
    assert aspects[0]["sentiment"]["unscored"] == 3 and aspects[0]["sentiment"]["mean"] is None
    assert aspects[0]["verdict"] is None


def test_a_language_without_aspects_is_counted_as_such():
    rows = [*rows_of(["The music is lovely."] * 2), AspectRow("zh", "这个游戏的音乐很好听", "zh")]
    summary = summarize_aspects(rows, default_scorer())
    assert summary["sample"]["results"] == 3 and summary["sample"]["without_aspects"] == 1
    assert text_aspects("这个游戏的音乐很好听", "zh") == []


# --- sentiment of sentences -------------------------------------------------------------------


def test_each_aspect_is_judged_by_its_own_sentences():
    texts = [
        "The graphics are stunning and beautiful. The price is ridiculous and greedy.",
        "Gorgeous graphics, but the price is a scam.",
        "I love the graphics. Sadly the price is terrible.",
        "The graphics are excellent; the price is awful.",
    ]
    aspects = by_name(summarize(rows_of(texts)))
    graphics, price = aspects["graphics"], aspects["price"]
    assert graphics["sentiment"]["positive"] == 4 and graphics["verdict"] == "pro"
    assert price["sentiment"]["negative"] == 4 and price["verdict"] == "con"
    assert {q["result_id"] for q in price["quotes"]} <= {"r0", "r1", "r2", "r3"}
    assert all(q["sentiment"] < 0 for q in price["quotes"]) and all(
        q["sentiment"] > 0 for q in graphics["quotes"]
    )


def test_the_scorer_is_a_parameter():
    texts = ["Die Grafik ist schön.", "Mir gefällt die Grafik.", "Die Grafik ist toll."]
    seen = []

    def german_scorer(sentences, language):
        seen.append(language)
        return [0.8 for _ in sentences]

    aspects = summarize_aspects(rows_of(texts, "de"), german_scorer)["aspects"]
    assert seen == ["de"] * 3
    assert aspects[0]["aspect"] == "Grafik" and aspects[0]["sentiment"]["positive"] == 3
    assert aspects[0]["verdict"] == "pro"


def test_stored_topic_sentiment_stands_in_where_the_scorer_cannot_judge():
    rows = [
        AspectRow(f"d{i}", text, "de", stored_topics=[("Akku", -0.6)])
        for i, text in enumerate(
            ["Der Akku hält nicht.", "Der Akku ist schwach.", "Mit dem Akku bin ich unzufrieden."]
        )
    ]
    aspects = summarize(rows)
    assert aspects[0]["aspect"] == "Akku" and aspects[0]["sentiment"]["negative"] == 3
    assert aspects[0]["verdict"] == "con"


# --- sarcasm, offence, duplicates -------------------------------------------------------------


SARCASTIC = [
    "Great, just great, the update deleted my saves.",
    "Yeah right, the update is the best thing ever.",
    "I love how the update crashes the game every five minutes.",
    "Thanks for nothing, the update is amazing.",
    "Wow, amazing! The update broke my saves again.",
    "Best update ever, lost all my progress.",
    "The update is perfect /s",
]


@pytest.mark.parametrize("text", SARCASTIC)
def test_a_sarcastic_sentence_never_makes_praise(text):
    found = find_mentions(text, "en", default_scorer())
    updates = [m for m in found.mentions if m.keys[-1] == "update"]
    assert updates and all(m.score is not None and m.score < 0 for m in updates)


def test_sarcasm_never_makes_a_pro_and_is_never_quoted():
    rows = rows_of([*SARCASTIC, "The update is fine.", "The update looks good."])
    update = by_name(summarize(rows))["update"]
    assert update["verdict"] == "con"
    assert update["sentiment"]["positive"] <= 2
    assert update["quotes"]
    for quote in update["quotes"]:
        assert not re.search(
            r"(?i)just great|yeah right|thanks for nothing|love how|wow|best update ever|/s", quote["span"]
        )


def test_praise_next_to_good_news_is_not_sarcasm():
    found = find_mentions(
        "Great! The update fixed my saves. Best update ever, no bugs at all.", "en", default_scorer()
    )
    assert not found.sarcastic


def test_profanity_and_personal_attacks_are_never_quoted_nor_aspects():
    texts = [
        "The controls are shit and the camera is fucking awful.",
        "The devs are idiots, the camera is broken.",
        "F*ck this camera, it ruins everything.",
        "You are pathetic, lazy devs. The camera is bad.",
        "The camera is clumsy and slow.",
        "The camera is frustrating.",
    ]
    aspects = by_name(summarize(rows_of(texts)))
    assert "shit" not in aspects and "fuck" not in aspects
    camera = aspects["camera"]
    assert camera["count"] == 6 and camera["verdict"] == "con"
    quoted = {q["result_id"] for a in aspects.values() for q in a["quotes"]}
    # r3's second sentence is clean: only the attack before it is left out.
    assert quoted <= {"r3", "r4", "r5"} and "r5" in quoted
    for aspect in aspects.values():
        for quote in aspect["quotes"]:
            assert not re.search(r"(?i)shit|fuck|f\*ck|idiot|pathetic", quote["span"])


def test_the_same_quote_never_appears_twice():
    copied = "The soundtrack is wonderful and the art is beautiful."
    texts = [copied, copied, copied + " ", "The soundtrack is wonderful and the art is really beautiful!"]
    texts += ["The soundtrack is relaxing.", "Beautiful art everywhere.", "Lovely soundtrack and art."]
    rows = rows_of(texts)
    aspects = summarize(rows)
    assert {"soundtrack", "art"} <= set(by_name(aspects))
    assert_evidence_is_real(aspects, rows)
    spans = [q["span"] for a in aspects for q in a["quotes"]]
    assert sum(copied.rstrip(".") in s for s in spans) <= 1


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "positive,negative,expected",
    [
        (3, 0, "pro"),
        (2, 1, "pro"),  # two thirds is a clear majority
        (5, 3, "mixed"),
        (0, 3, "con"),
        (1, 2, "con"),
        (2, 0, None),  # too few judge it
        (0, 0, None),
        (10, 10, "mixed"),
    ],
)
def test_pros_and_cons_rule(positive, negative, expected):
    assert MIN_JUDGED_RESULTS == 3 and pytest.approx(2 / 3) == CLEAR_MAJORITY
    assert verdict(positive, negative) == expected


def test_summary_verdicts_follow_the_rule():
    rows = steam_rows("288120")
    aspects = summarize(rows, limit=100)
    assert {a["verdict"] for a in aspects} >= {"pro", "mixed"}
    for aspect in aspects:
        s = aspect["sentiment"]
        assert aspect["verdict"] == verdict(s["positive"], s["negative"])


# --- trend ------------------------------------------------------------------------------------


def test_trend_compares_the_newer_half_with_the_older():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    older = ["The servers are fast and stable.", "Nice map design."] * 5
    newer = ["The servers are laggy and terrible.", "The servers crash all the time, awful."] * 4 + [
        "Nice map design."
    ] * 2
    rows = [
        AspectRow(f"r{i}", text, "en", when=start + timedelta(days=i)) for i, text in enumerate(older + newer)
    ]
    summary = summarize_aspects(list(reversed(rows)), default_scorer())
    servers = by_name(summary["aspects"])["servers"]
    assert servers["trend"]["older"]["results"] == 5 and servers["trend"]["recent"]["results"] == 8
    assert servers["trend"]["mentions"] == "rising" and servers["trend"]["sentiment"] == "worsening"
    assert summary["sample"]["recent"]["from"] == start + timedelta(days=10)
    assert summary["sample"]["older"]["to"] == start + timedelta(days=9)


def test_multiword_names_and_verbs_read_as_nouns_are_not_aspects():
    assert [a["topic"] for a in text_aspects("I love Fidel Dungeon Rescue, the dungeon is great.", "en")] == [
        "dungeon"
    ]
    assert [a["topic"] for a in text_aspects("The Steam Deck support is great.", "en")] == ["support"]
    assert [a["topic"] for a in text_aspects("My battery lasts an hour and the academy rocks.", "en")] == [
        "battery",
        "academy",
    ]
    assert [a["topic"] for a in text_aspects("Terrible customer service, they never answered.", "en")] == [
        "customer service"
    ]
