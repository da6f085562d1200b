"""The local analysis engine on fixed inputs: pure, no database."""

import csv
import subprocess
import sys
from datetime import UTC

import pytest
from django.conf import settings
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analysis.engine import AnalysisItem, AnalysisOptions, ItemAnalysis, LocalEngine, trained
from analysis.engine.base import normalise_rating, ratings_disagree
from analysis.engine.emotions import EKMAN, PLUTCHIK
from analysis.engine.sentiment import analyzer, label_for
from analysis.stats import bucket
from tests.workers import ROOT

ALL_ON = {"sentiment": True, "emotions": True, "summarize": True, "extract_insights": True}
VADER = SentimentIntensityAnalyzer()

# Short review phrases spanning VADER's range, from which the boundary tests pick the texts whose
# compound score lies closest to each threshold.
PHRASES = [
    "ok",
    "fine",
    "it is fine",
    "good",
    "pretty good",
    "not bad",
    "not good",
    "bad",
    "quite bad",
    "terrible",
    "love it",
    "I love it, it is great and amazing",
    "it works",
    "it works well enough",
    "meh",
    "a bit slow",
    "slightly disappointing",
    "somewhat useful",
    "nice",
    "decent",
    "could be better",
    "broke after a week",
    "I hate it, awful and useless",
    "I like it",
    "I kind of like it",
    "hard to say",
    "no complaints",
    "it is okay I guess",
    "acceptable",
    "a little disappointed",
    "happy with it",
    "very happy with it",
    "not happy",
    "the worst",
    "best purchase ever",
    "it arrived",
    "good but slow and noisy",
    "a minor problem but fine",
    "pretty bad",
    "worst ever",
    "fine but ugly",
    "really bad",
    "great",
    "excellent",
]


def spec_label(compound: float, classes: int) -> str:
    """The thresholds the issue specifies, written out independently of the engine."""
    if classes == 5 and compound >= 0.6:
        return "very_positive"
    if classes == 5 and compound <= -0.6:
        return "very_negative"
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"


def analyse(text, classes=3, title="", rating=None, scale=5.0, **switches):
    config = AnalysisOptions(sentiment_classes=classes, **switches)
    item = AnalysisItem(id="r1", text=text, title=title, rating=rating, rating_scale=scale)
    return LocalEngine().analyze([item], config)["r1"]


def test_label_thresholds_at_the_exact_boundaries():
    assert label_for(0.05, 3) == "positive"
    assert label_for(0.0499, 3) == "neutral"
    assert label_for(-0.05, 3) == "negative"
    assert label_for(-0.0499, 3) == "neutral"
    assert label_for(0.6, 3) == "positive"
    assert label_for(0.6, 5) == "very_positive"
    assert label_for(0.5999, 5) == "positive"
    assert label_for(-0.6, 5) == "very_negative"
    assert label_for(-0.5999, 5) == "negative"
    assert label_for(0.0, 5) == "neutral"


@pytest.mark.parametrize("classes", [3, 5])
def test_engine_labels_follow_the_trained_models_probabilities(classes):
    for text in PHRASES:
        block = analyse(text, classes=classes).analysis["sentiment"]
        [prediction] = trained.sentiment([text], "en", vader=[VADER.polarity_scores(text)])
        p = prediction.probabilities
        three = max(p, key=p.get)
        assert bucket(block["label"]) == three, text
        assert block["score"] == pytest.approx(p["positive"] - p["negative"], abs=2e-4), text
        assert block["confidence"] == p[three], text
        if classes == 5 and three != "neutral":
            very = abs(block["score"]) >= trained.VERY_THRESHOLD
            assert block["label"] == (f"very_{three}" if very else three), text
        elif classes == 3:
            assert block["label"] in ("positive", "neutral", "negative")


def test_clear_texts_get_their_labels():
    assert analyse("I love it, it is great and amazing").analysis["sentiment"]["label"] == "positive"
    assert analyse("I hate it, awful and useless").analysis["sentiment"]["label"] == "negative"
    broke = "The new update broke cloud saves, I lost 20 hours of progress. Please fix!"
    assert analyse(broke).analysis["sentiment"]["label"] == "negative"
    assert analyse("The package arrived on Tuesday.").analysis["sentiment"]["label"] == "neutral"


@pytest.mark.parametrize("classes", [3, 5])
def test_scores_are_the_class_probabilities_led_by_the_label(classes):
    for text in PHRASES:
        block = analyse(text, classes=classes).analysis["sentiment"]
        scores = block["scores"]
        assert set(scores) == {"positive", "neutral", "negative"}
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert scores[bucket(block["label"])] == max(scores.values()) == block["confidence"]
        assert 0.0 <= block["confidence"] <= 1.0 and -1.0 <= block["score"] <= 1.0


def test_confidence_is_higher_for_a_clear_text_than_for_a_mixed_one():
    clear = analyse("I love it, it is great and amazing").analysis["sentiment"]
    mixed = analyse("good but slow and noisy").analysis["sentiment"]
    assert clear["confidence"] > mixed["confidence"]
    assert analyse("").analysis["sentiment"]["confidence"] == 0.0


@pytest.mark.parametrize("model,names", [("ekman", (*EKMAN, "neutral")), ("plutchik", PLUTCHIK)])
def test_emotions_on_clear_sentences(model, names):
    cases = {
        "I am so angry and furious": "anger",
        "I love it, so happy and glad": "joy",
        "I am scared and terrified of this thing": "fear",
    }
    for text, emotion in cases.items():
        block = analyse(text, emotions=True, emotion_model=model).analysis["emotions"]
        assert block["model"] == model
        assert block["primary"] == emotion, text
        assert block["primary_score"] == block["detected"][0]["score"]
        assert {d["emotion"] for d in block["detected"]} <= set(names)
        assert all(0.0 < d["score"] <= 1.0 for d in block["detected"])
        scores = [d["score"] for d in block["detected"]]
        assert scores == sorted(scores, reverse=True)
        if model == "plutchik":  # the lexicon's shares of the emotion words found
            assert sum(scores) == pytest.approx(1.0, abs=1e-3)


def test_ekman_leaves_out_trust_and_anticipation_that_plutchik_keeps():
    text = "I trust this brand and I am excited and hopeful"
    plutchik = analyse(text, emotions=True, emotion_model="plutchik").analysis["emotions"]
    ekman = analyse(text, emotions=True, emotion_model="ekman").analysis["emotions"]
    assert {"trust", "anticipation"} <= {d["emotion"] for d in plutchik["detected"]}
    assert not {"trust", "anticipation"} & {d["emotion"] for d in ekman["detected"]}


def test_negated_emotion_words_do_not_count_in_the_lexicon():
    def plutchik(text):
        return analyse(text, emotions=True, emotion_model="plutchik").analysis["emotions"]

    assert plutchik("I am happy with it")["primary"] == "joy"
    assert "joy" not in {d["emotion"] for d in plutchik("I am not happy with it")["detected"]}
    never = plutchik("I was never scared")
    assert never["primary"] is None
    assert never["detected"] == []


def test_no_emotion_word_gives_no_primary_in_the_lexicon_and_neutral_in_the_model():
    text = "The package came on Tuesday."
    block = analyse(text, emotions=True, emotion_model="plutchik").analysis["emotions"]
    assert block == {**block, "primary": None, "primary_score": 0.0, "detected": []}
    ekman = analyse(text, emotions=True, emotion_model="ekman").analysis["emotions"]
    assert ekman["primary"] == "neutral" and ekman["detected"][0]["emotion"] == "neutral"


def test_goemotions_gives_its_27_emotions_and_neutral_locally():
    result = analyse("I am so angry and furious", emotions=True, emotion_model="goemotions")
    block = result.analysis["emotions"]
    assert block["model"] == "goemotions" and block["primary"] == "anger"
    labels = set(trained.model_info()["models"]["emotions-en"]["labels"])
    assert len(labels) == 28 and {d["emotion"] for d in block["detected"]} <= labels
    assert "emotions" not in result.notes
    assert LocalEngine().unsupported(AnalysisOptions(emotions=True, emotion_model="goemotions")) == {}
    grateful = analyse("Thank you so much, this fixed everything!", emotions=True, emotion_model="goemotions")
    assert grateful.analysis["emotions"]["primary"] == "gratitude"


@pytest.mark.parametrize(
    "text,code",
    [
        ("The battery lasts two days and the screen is bright enough to read outside.", "en"),
        ("Der Akku hält zwei Tage und der Bildschirm ist hell genug, um draußen zu lesen.", "de"),
        ("La batterie tient deux jours et l'écran est assez lumineux pour lire dehors.", "fr"),
        ("La batería dura dos días y la pantalla es lo bastante brillante para leer afuera.", "es"),
    ],
)
def test_language_on_real_sentences(text, code):
    assert analyse(text).language == code


def test_language_is_undetermined_for_too_short_text():
    assert analyse("ok").language == "und"
    assert analyse("").language == "und"
    assert analyse("👍 @someone http://example.com/x").language == "und"


def test_a_covered_language_gets_its_models_sentiment_and_no_emotions():
    text = "Super Spiel, macht richtig Spaß! Die Grafik ist toll."
    result = analyse(text, **ALL_ON)
    assert result.language == "de"
    assert result.analysis["sentiment"]["label"] == "positive" and "sentiment" not in result.notes
    assert result.analysis["emotions"] is None and "'de'" in result.notes["emotions"]
    assert not result.analysis.get("unsupported_language")
    angry = "Schrecklich, nach einem Tag kaputt, Geld zurück! Nie wieder."
    score = analyse(angry).analysis["sentiment"]["score"]
    assert analyse(angry, rating=5).rating_disagreement is ratings_disagree(score, 1.0)
    assert analyse("Jogo excelente, recomendo muito a todos!").analysis["sentiment"]["label"] == "positive"


def test_a_language_without_a_model_is_not_guessed():
    result = analyse("このゲームはとても面白いです。毎日遊んでいます。", **ALL_ON)
    assert result.language == "ja"
    analysis = result.analysis
    assert analysis["sentiment"] is None and analysis["emotions"] is None and analysis["insights"] is None
    assert analysis["unsupported_language"] == "ja"
    assert result.notes["sentiment"] == "not analysed locally: Japanese is not supported"
    assert analysis["summary"] is not None  # extractive: no language model needed
    assert analyse("このゲームはとても面白いです。", rating=1).rating_disagreement is False


def test_word_count_counts_words_of_the_text():
    words = ["battery"] * 17
    assert analyse(" ".join(words)).word_count == len(words)
    # Inner apostrophes and hyphens stay inside one word; numbers are words.
    assert analyse("Don't buy the battery-life upgrade, 2 stars.").word_count == 7
    assert analyse("body text here", title="A long title that is not counted").word_count == 3
    assert analyse("   ").word_count == 0


def test_rating_normalisation():
    assert normalise_rating(5, 5) == 1.0
    assert normalise_rating(1, 5) == -1.0
    assert normalise_rating(3, 5) == 0.0
    assert normalise_rating(10, 10) == 1.0
    assert normalise_rating(1, 1) == 1.0
    assert normalise_rating(0, 1) == -1.0
    assert normalise_rating(7, 5) == 1.0
    assert normalise_rating(None, 5) is None


def test_rating_disagreement():
    flagged = analyse("terrible, broke after a day, refund", rating=5)
    assert flagged.rating_disagreement is True
    assert flagged.rating_score == 1.0
    assert analyse("love it", rating=5).rating_disagreement is False
    assert analyse("love it", rating=1).rating_disagreement is True
    assert analyse("terrible, broke after a day, refund", rating=1).rating_disagreement is False
    assert analyse("terrible, broke after a day, refund", rating=3).rating_disagreement is False
    unrated = analyse("terrible, broke after a day, refund")
    assert unrated.rating_disagreement is False
    assert unrated.rating_score is None
    # The rating is compared with the text even when the sentiment part is switched off.
    quiet = analyse("terrible, broke after a day, refund", rating=5, sentiment=False)
    assert quiet.analysis["sentiment"] is None
    assert quiet.rating_disagreement is True


def test_switches_off_leave_parts_none():
    off = analyse("Great screen, but the battery dies fast.", sentiment=False)
    assert off.analysis == {"sentiment": None, "emotions": None, "summary": None, "insights": None}
    assert off.language == "en"
    only_sentiment = analyse("Great screen, but the battery dies fast.")
    assert only_sentiment.analysis["sentiment"] is not None
    assert [k for k, v in only_sentiment.analysis.items() if v is None] == ["emotions", "summary", "insights"]
    summary_only = analyse("Great screen. Weak battery.", sentiment=False, summarize=True)
    assert summary_only.analysis["summary"] is not None
    assert summary_only.analysis["insights"] is None


def test_empty_text_is_handled_with_every_switch_on():
    result = analyse("", classes=5, **ALL_ON)
    analysis = result.analysis
    assert analysis["sentiment"]["label"] == "neutral"
    assert analysis["sentiment"]["scores"]["neutral"] == 1.0
    assert analysis["emotions"]["primary"] == "neutral"  # the model's answer when nothing is said
    assert analysis["summary"]["text"] == ""
    assert analysis["summary"]["key_points"] == []
    assert (
        analysis["insights"]["pros"] == analysis["insights"]["cons"] == analysis["insights"]["topics"] == []
    )
    assert (result.language, result.word_count, result.rating_disagreement) == ("und", 0, False)


def test_schema_shape_and_timestamps():
    text = (
        "Great screen, but the battery dies fast. The camera is excellent and takes sharp photos. "
        "Customer service was terrible and slow; I had to wait two weeks for a reply. "
        "The battery is the only real problem."
    )
    result = analyse(text, classes=5, title="Mixed feelings", rating=4, **ALL_ON)
    assert isinstance(result, ItemAnalysis)
    analysis = result.analysis
    assert set(analysis["sentiment"]) == {"label", "score", "confidence", "scores", "analyzed_at"}
    assert set(analysis["emotions"]) == {"model", "primary", "primary_score", "detected", "analyzed_at"}
    assert set(analysis["summary"]) == {"text", "key_points", "generated_at"}
    assert set(analysis["insights"]) == {"pros", "cons", "topics", "extracted_at"}
    stamps = {
        analysis["sentiment"]["analyzed_at"],
        analysis["emotions"]["analyzed_at"],
        analysis["summary"]["generated_at"],
        analysis["insights"]["extracted_at"],
    }
    assert len(stamps) == 1
    stamp = stamps.pop()
    assert stamp.tzinfo is not None and stamp.utcoffset() == UTC.utcoffset(stamp)
    assert result.engine == "local"
    assert result.result_fields() == {"analysis": analysis, "language": "en", "word_count": result.word_count}
    assert dict(result) == result.to_dict()
    assert result["language"] == "en"


def test_insights_and_summary_come_from_the_text():
    title = "Mixed feelings"
    text = (
        "Great screen, but the battery dies fast. The camera is excellent and takes sharp photos. "
        "Customer service was terrible and slow; I had to wait two weeks for a reply. "
        "The battery is the only real problem."
    )
    full = f"{title}\n{text}"
    analysis = analyse(text, title=title, **ALL_ON).analysis
    insights = analysis["insights"]
    assert "Great screen" in insights["pros"]
    assert any("Customer service was terrible" in con for con in insights["cons"])
    for point in insights["pros"] + insights["cons"]:
        assert point in full
    topics = [t["topic"] for t in insights["topics"]]
    assert "battery" in topics
    for topic in insights["topics"]:
        assert -1.0 <= topic["sentiment"] <= 1.0
    summary = analysis["summary"]
    assert summary["text"]
    for sentence in summary["text"].split(". "):
        assert sentence.rstrip(".") in full
    assert 1 <= len(summary["key_points"]) <= 4


def test_config_from_dict():
    assert AnalysisOptions.from_dict(None) == AnalysisOptions()
    config = AnalysisOptions.from_dict(
        {"sentiment": True, "sentiment_classes": 5, "emotions": 1, "emotion_model": "Plutchik", "extra": 1}
    )
    assert (config.sentiment_classes, config.emotions, config.emotion_model) == (5, True, "plutchik")
    assert AnalysisOptions.from_dict({"sentiment_classes": None}).sentiment_classes == 3
    assert AnalysisOptions.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError):
        AnalysisOptions.from_dict({"sentiment_classes": 4})
    with pytest.raises(ValueError):
        AnalysisOptions.from_dict({"emotion_model": "wheel"})


def test_batch_is_keyed_by_item_id():
    items = [AnalysisItem(id=f"id-{i}", text=text) for i, text in enumerate(PHRASES[:5])]
    results = LocalEngine().analyze(items, AnalysisOptions())
    assert list(results) == [item.id for item in items]
    assert LocalEngine().analyze([], AnalysisOptions()) == {}


def test_real_review_sentences_read_with_quoting_off():
    path = settings.SHARED_DATA_DIR / "sentiment" / "uci_amazon_cells_labelled.txt"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) == 1000
    sample = rows[::5]
    items = [AnalysisItem(id=str(i), text=text) for i, (text, _) in enumerate(sample)]
    results = LocalEngine().analyze(items, AnalysisOptions(**ALL_ON))
    agree = sum(
        results[str(i)].analysis["sentiment"]["label"] == ("positive" if label == "1" else "negative")
        for i, (_, label) in enumerate(sample)
    )
    # VADER's published accuracy on these sentences is well above chance; this guards the wiring.
    assert agree / len(sample) > 0.6
    for i, (text, _) in enumerate(sample):
        insights = results[str(i)].analysis["insights"]
        for point in insights["pros"] + insights["cons"]:
            assert point in text


def test_engine_imports_without_django():
    code = (
        "import sys, analysis.engine, analysis.engine.project_insights; "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


def test_the_linear_time_vader_gives_the_stock_analyzers_answers():
    texts = [*PHRASES, *_sentence_texts()]
    long_review = " ".join(texts[:60])  # negations far into a long text
    stock = SentimentIntensityAnalyzer()
    # VADER's idioms read up to three words before a sentiment word and two after it.
    idioms = [
        "The new boss is the bomb and the music really does cut the mustard, I loved it.",
        "It was kind of good, sort of fun, a real kiss of death for the series, yeah right great.",
        "bad ass graphics, the shit, hand to mouth budget but a great game",
    ]
    for text in [*texts, long_review, *idioms, "not good, never so bad, without doubt great"]:
        assert analyzer().polarity_scores(text) == stock.polarity_scores(text), text
    assert len(texts) > 1000


def _sentence_texts() -> list[str]:
    path = settings.SHARED_DATA_DIR / "sentiment" / "tweets_GroundTruth.txt"
    return [
        line.split("\t")[2] for line in path.read_text(encoding="utf-8").splitlines() if line.count("\t") >= 2
    ]
