"""Project-level insights (aspects, pros, cons, sentiment, rating) and run-to-run comparison:
pure, no database."""

import csv
from collections import Counter

import pytest
from django.conf import settings

from analysis.engine import AnalysisItem, AnalysisOptions, LocalEngine
from analysis.engine.aspects import verdict
from analysis.engine.project_insights import compare_insights, summarize_results, topic_key

INSIGHTS_ON = AnalysisOptions(sentiment=True, extract_insights=True, summarize=True, emotions=True)

REVIEWS = [
    "Great battery life. The screen is sharp, but the speaker is terrible.",
    "Excellent battery life! Shipping was slow.",
    "The battery life is amazing. The camera is great.",
    "Terrible speaker, it sounds awful. Battery is fine.",
    "The screen is gorgeous and bright. Love the camera too.",
    "Awful speaker. Great screen.",
    "It arrived on Tuesday.",
    "",
]

LATER_REVIEWS = [
    "Customer service was horrible and rude. The battery life is great.",
    "Terrible customer service, they never answered. Screen is great.",
    "Worst customer service ever; the refund took a month.",
    "The screen cracked after a week, awful.",
]


def rows_for(texts, prefix="r", ratings=None):
    items = [AnalysisItem(id=f"{prefix}{i}", text=text) for i, text in enumerate(texts)]
    analysed = LocalEngine().analyze(items, INSIGHTS_ON)
    return [
        {
            "id": item.id,
            "text": item.text,
            "analysis": analysed[item.id].analysis,
            "rating": ratings[i] if ratings else None,
        }
        for i, item in enumerate(items)
    ]


def assert_links_come_from_input(summary, rows):
    texts = {row["id"]: row["text"] for row in rows}
    for kind in ("pros", "cons", "topics"):
        for entry in summary[kind]:
            assert entry["result_ids"], entry
            assert set(entry["result_ids"]) <= set(texts)
            assert entry["count"] == len(entry["result_ids"]) == len(set(entry["result_ids"]))
            for quote in entry["quotes"]:
                assert quote["result_id"] in entry["result_ids"]
                assert quote["span"]
                assert quote["span"] in texts[quote["result_id"]]


def test_ids_and_quotes_come_from_the_input():
    rows = rows_for(REVIEWS)
    summary = summarize_results(rows)
    assert_links_come_from_input(summary, rows)
    assert summary["pros"] and summary["cons"] and summary["topics"]
    assert summary["generated_at"].tzinfo is not None


def test_counts_add_up():
    rows = rows_for(REVIEWS, ratings=[5, 4, 5, 2, 5, 3, None, None])
    summary = summarize_results(rows, max_points=100, max_topics=100)
    assert summary["total_results"] == len(rows)
    distribution = summary["sentiment"]["distribution"]
    assert sum(distribution.values()) == len(rows)
    labels = Counter(row["analysis"]["sentiment"]["label"] for row in rows)
    assert distribution == {label: labels.get(label, 0) for label in ("positive", "neutral", "negative")}
    scores = [row["analysis"]["sentiment"]["score"] for row in rows]
    assert summary["sentiment"]["average"] == pytest.approx(sum(scores) / len(scores), abs=1e-4)
    assert summary["rating"]["average"] == pytest.approx(4.0)
    assert summary["rating"]["count"] == 6
    disagreeing = [
        row["id"]
        for row, rating in zip(rows, [5, 4, 5, 2, 5, 3, None, None], strict=True)
        if rating is not None
        and (rating - 3) / 2 * row["analysis"]["sentiment"]["score"] < 0
        and abs((rating - 3) / 2 - row["analysis"]["sentiment"]["score"]) >= 1.0
        and row["analysis"]["sentiment"]["label"] != "neutral"
    ]
    assert summary["rating"]["disagreements"] == disagreeing

    # Each aspect counts the results that mention it, each judged once; pros and cons are the
    # aspects the one rule calls so.
    for entry in summary["topics"]:
        assert entry["count"] == len(entry["result_ids"])
        judged = entry["sentiment"]
        assert (
            judged["positive"] + judged["neutral"] + judged["negative"] + judged["unscored"] == entry["count"]
        )
        assert entry["verdict"] == verdict(judged["positive"], judged["negative"])
    assert [p["text"] for p in summary["pros"]] == [
        t["topic"] for t in summary["topics"] if t["verdict"] == "pro"
    ]
    assert [c["text"] for c in summary["cons"]] == [
        t["topic"] for t in summary["topics"] if t["verdict"] == "con"
    ]
    assert summary["rules"] == {"min_judged_results": 3, "clear_majority": 0.6667}


def test_pros_and_cons_are_aspects_judged_by_their_sentences():
    rows = rows_for(REVIEWS)
    summary = summarize_results(rows)
    pros = {p["text"]: p for p in summary["pros"]}
    cons = {c["text"]: c for c in summary["cons"]}
    # r0 praises the battery and curses the speaker in one review.
    assert pros["battery life"]["result_ids"] == ["r0", "r1", "r2"]
    assert cons["speaker"]["result_ids"] == ["r0", "r3", "r5"]
    # Two results judge the camera (both praise it): too few for a verdict.
    camera = next(t for t in summary["topics"] if t["topic"] == "camera")
    assert camera["sentiment"]["positive"] == 2 and camera["verdict"] is None and "camera" not in pros
    assert all(q["sentiment"] > 0 for q in pros["battery life"]["quotes"])
    assert all(q["sentiment"] < 0 for q in cons["speaker"]["quotes"])
    assert pros["battery life"]["search"] == '"battery life"'


def test_stored_llm_insights_are_accepted_and_aspects_come_from_the_text():
    llm = {
        "pros": ["Long-lasting battery"],
        "cons": ["Cheap-feeling case"],
        "topics": [{"topic": "Akku", "sentiment": 0.6}],
    }
    rows = [
        {
            "id": f"a{i}",
            "text": text,
            "analysis": {"sentiment": {"label": "positive", "score": 0.4}, "insights": llm},
        }
        for i, text in enumerate(
            ["The battery easily lasts two full days.", "Great battery.", "The battery is excellent."]
        )
    ]
    rows += [
        {"id": f"d{i}", "text": text, "language": "de", "analysis": {"insights": llm}}
        for i, text in enumerate(
            ["Der Akku hält lange.", "Der Akku ist stark.", "Mit dem Akku bin ich zufrieden."]
        )
    ]
    summary = summarize_results(rows)
    assert_links_come_from_input(summary, rows)
    topics = {t["topic"]: t for t in summary["topics"]}
    # An LLM's paraphrase is not counted as a mention: the texts are.
    assert "case" not in topics and topics["battery"]["count"] == 3
    # Where the sentence scorer cannot judge (German, by default), the stored topic's sentiment counts.
    assert topics["Akku"]["sentiment"]["positive"] == 3 and topics["Akku"]["verdict"] == "pro"
    assert {p["text"] for p in summary["pros"]} == {"battery", "Akku"}


def test_rows_without_analysis_are_analysed_locally_and_duplicates_dropped():
    rows = [
        {"id": 1, "text": "Great battery life. Terrible speaker.", "analysis": None, "rating": 5},
        {"id": 2, "text": "Excellent battery life, awful speaker!", "rating": None},
        {"id": 2, "text": "Excellent battery life, awful speaker!", "rating": None},
        {"id": 3, "text": "Superb battery life; the speaker is horrible.", "rating": None},
    ]
    summary = summarize_results(rows)
    assert summary["total_results"] == 3
    assert summary["pros"][0]["result_ids"] == ["1", "2", "3"]
    assert summary["cons"][0]["result_ids"] == ["1", "2", "3"]
    texts = {str(r["id"]): r["text"] for r in rows}
    for entry in summary["pros"] + summary["cons"] + summary["topics"]:
        for quote in entry["quotes"]:
            assert quote["span"] in texts[quote["result_id"]]


def test_five_class_and_foreign_labels_fold_onto_three_classes():
    rows = [
        {"id": "a", "text": "x", "analysis": {"sentiment": {"label": "very_positive", "score": 0.9}}},
        {"id": "b", "text": "y", "analysis": {"sentiment": {"label": "mixed", "score": -0.3}}},
        {"id": "c", "text": "z", "analysis": {"sentiment": {"label": "very_negative", "score": -0.8}}},
    ]
    summary = summarize_results(rows)
    assert summary["sentiment"]["distribution"] == {"positive": 1, "neutral": 0, "negative": 2}
    assert summary["sentiment"]["average"] == pytest.approx((0.9 - 0.3 - 0.8) / 3, abs=1e-4)


def test_results_whose_text_contradicts_their_rating_are_listed():
    rows = [
        {"id": "a", "text": "terrible, broke after a day, refund", "rating": 5},
        {"id": "b", "text": "love it", "rating": 5},
        {"id": "c", "text": "love it", "rating": 1},
        {"id": "d", "text": "love it", "rating": 2, "rating_scale": 10},
        {"id": "e", "text": "love it"},
    ]
    assert summarize_results(rows)["rating"]["disagreements"] == ["a", "c", "d"]


def test_empty_input():
    summary = summarize_results([])
    assert summary["total_results"] == 0
    assert summary["pros"] == summary["cons"] == summary["topics"] == []
    assert summary["sentiment"] == {
        "average": None,
        "distribution": {"positive": 0, "neutral": 0, "negative": 0},
    }


def test_compare_insights_finds_a_new_topic_and_a_sentiment_drop():
    before_rows = rows_for(REVIEWS[:6], prefix="old")
    after_rows = rows_for(LATER_REVIEWS, prefix="new")
    previous = summarize_results(before_rows)
    current = summarize_results(after_rows)
    change = compare_insights(previous, current)

    appeared = {topic_key(t["topic"]) for t in change["topics"]["appeared"]}
    assert "customer service" in appeared
    assert "customer service" not in {topic_key(t) for t in previous["topics"]}
    assert change["sentiment"]["previous"] == previous["sentiment"]["average"]
    assert change["sentiment"]["current"] == current["sentiment"]["average"]
    assert change["sentiment"]["change"] < 0
    assert change["sentiment"]["direction"] == "down"
    assert change["sentiment"]["distribution_change"]["negative"] > 0
    assert any("customer service" in c.lower() for c in change["cons"]["appeared"])
    disappeared = {topic_key(t["topic"]) for t in change["topics"]["disappeared"]}
    assert disappeared == {topic_key(t) for t in previous["topics"]} - {
        topic_key(t) for t in current["topics"]
    }
    assert change["results"] == {"previous": len(before_rows), "current": len(after_rows)}


def test_compare_insights_rising_and_unchanged():
    rows = rows_for(REVIEWS[:6])
    summary = summarize_results(rows)
    same = compare_insights(summary, summary)
    assert same["sentiment"]["direction"] == "unchanged"
    assert same["topics"]["appeared"] == same["topics"]["disappeared"] == []
    assert same["topics"]["rose"] == same["topics"]["fell"] == []
    assert same["pros"] == {"appeared": [], "disappeared": []}

    more_speaker = rows + rows_for(["The speaker is awful.", "Speaker is terrible and quiet."], prefix="s")
    grown = compare_insights(summary, summarize_results(more_speaker))
    assert "speaker" in {topic_key(t["topic"]) for t in grown["topics"]["rose"]}


def test_real_reviews_keep_every_link_in_the_input():
    path = settings.SHARED_DATA_DIR / "sentiment" / "uci_yelp_labelled.txt"
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row[0] for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)][:300]
    rows = rows_for(texts, prefix="y")
    summary = summarize_results(rows)
    assert_links_come_from_input(summary, rows)
    assert summary["sentiment"]["distribution"]["positive"] > 0
    assert summary["sentiment"]["distribution"]["negative"] > 0
    # Every aspect listed (up to 30), the most discussed first; restaurant reviews are about food.
    assert len(summary["topics"]) == 30 and summary["topics"][0]["topic"] == "food"
