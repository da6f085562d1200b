"""The trained local models: safe artifacts, sane predictions, abstention on unsupported
languages, and a training command that is reproducible and honours ``--sources``."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from analysis.engine import trained
from analysis.engine.sentiment import polarity

MODELS = trained.MODELS_DIR
TRAINING_DATA = settings.SHARED_DATA_DIR / "training"
needs_training_data = pytest.mark.skipif(not TRAINING_DATA.is_dir(), reason="shared training data absent")

# language: (clearly positive, clearly negative), in the style of each language's training tweets
# (the non-English models know only ~1,600 tweets each: everyday review words can be missing).
CLEAR = {
    "ar": ("الحمد لله، يوم جميل وسعيد 😍❤️", "للأسف الوضع سيء جدا والحكومة فاشلة"),
    "de": ("Das ist wunderbar, ich liebe es! Super 😍", "Das ist schrecklich, so ein Mist. Ich hasse es."),
    "en": (
        "I love this game, it is absolutely wonderful!",
        "This is terrible, I hate it. Worst purchase ever.",
    ),
    "es": ("Me encanta, es genial y muy bonito 😍", "Qué asco, es horrible y una mierda, lo odio"),
    "fr": ("Super soirée, merci à tous ! Bravo 👏", "C'est nul, horrible, je déteste ça. Honte !"),
    "hi": ("bahut accha, love you, best wishes, great ❤️", "bakwas, bekar, hate this, worst, sharam karo"),
    "it": ("Bellissimo, fantastico, ti amo! Grazie ❤️", "Governo di ladri, che schifo e che vergogna"),
    "pt": ("Maravilhoso, amei, que lindo! Perfeito ❤️", "Que horror, odeio isso, péssimo e ridículo"),
}


def manifest() -> dict:
    return json.loads((MODELS / trained.MANIFEST).read_text(encoding="utf-8"))


def test_artifacts_are_arrays_and_json_only_and_small():
    entries = manifest()["models"]
    assert {f"sentiment-{lang}" for lang in CLEAR} | {"emotions-en"} <= set(entries)
    total = 0
    for entry in entries.values():
        path = MODELS / entry["file"]
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        total += len(data)
        with zipfile.ZipFile(path) as archive:
            assert all(name.endswith(".npy") for name in archive.namelist())
        with np.load(path, allow_pickle=False) as npz:
            for name in npz.files:
                assert npz[name].dtype != object, f"{path.name}:{name}"
                assert npz[name].dtype.kind in "fu", f"{path.name}:{name} is {npz[name].dtype}"
    assert not [p.name for p in MODELS.iterdir() if p.suffix not in {".npz", ".json"}]
    assert total < 30_000_000


def test_supported_languages_are_the_umsab_eight():
    assert trained.supported_languages() == sorted(CLEAR)
    assert trained.emotions_supported()


@pytest.mark.parametrize("language", sorted(CLEAR))
def test_clear_examples_per_language(language):
    positive, negative = trained.sentiment(list(CLEAR[language]), language)
    assert positive.label3 == "positive", positive
    assert negative.label3 == "negative", negative
    assert positive.score > 0 > negative.score
    for p in (positive, negative):
        assert abs(sum(p.probabilities.values()) - 1) < 1e-3
        assert list(p.probabilities) == ["negative", "neutral", "positive"]
        assert p.confidence == max(p.probabilities.values())
        assert -1 <= p.score <= 1
        assert p.label5.removeprefix("very_") == p.label3
        assert p.language == language
        assert p.model == f"sentiment-{language}"


def test_batch_is_row_independent_and_handles_empty_texts():
    texts = ["", "   ", "great stuff", "😡😡", "The update broke cloud saves, I lost 20 hours. Please fix!"]
    batch = trained.sentiment(texts, "en")
    one_by_one = [trained.sentiment([t], "en")[0] for t in texts]
    assert [p.probabilities for p in batch] == [p.probabilities for p in one_by_one]
    assert batch[4].label3 == "negative"
    assert trained.sentiment([], "en") == []


def test_five_class_labels_follow_the_score():
    strong = trained.sentiment(["Absolutely amazing, I love it, best game ever! Thank you so much!"], "en")[0]
    assert strong.label5 == "very_positive" and strong.score >= trained.VERY_THRESHOLD
    mild = [p for p in trained.sentiment(["ok I guess", "it is fine"], "en") if p.label3 != "neutral"]
    assert all(p.label5 in {"positive", "negative"} or abs(p.score) >= trained.VERY_THRESHOLD for p in mild)


def test_unsupported_language_is_never_guessed():
    with pytest.raises(trained.UnsupportedLanguage) as raised:
        trained.sentiment(["这个游戏很好玩"], "zh")
    assert str(raised.value) == "not analysed locally: zh is not supported"
    for language in ("und", "", None):
        assert not trained.is_supported(language)
    mixed = trained.sentiment_for(
        ["I love it", "这个游戏很好玩", "???", "Je déteste ça"], ["en", "zh", None, "fr"]
    )
    assert isinstance(mixed[0], trained.SentimentPrediction) and mixed[0].label3 == "positive"
    assert mixed[1] == trained.Unsupported("zh", "not analysed locally: zh is not supported")
    assert mixed[2] == trained.Unsupported("und", "not analysed locally: und is not supported")
    assert isinstance(mixed[3], trained.SentimentPrediction) and mixed[3].model == "sentiment-fr"


def test_text_the_model_does_not_know_is_not_guessed():
    # Detected (or declared) English, but Chinese characters: the English model knows none of it
    # and would answer "neutral" from its prior alone.
    text = "这个游戏很好玩\uff0c我很喜欢"
    assert trained.sentiment([text], "en")[0].coverage == 0
    devanagari = "यह फिल्म बहुत अच्छी है, मुझे बहुत पसंद आई"  # the Hindi model knows romanised Hindi
    assert trained.sentiment_for([text, devanagari, "I love it"], ["en", "hi", "en"])[:2] == [
        trained.Unsupported(
            "en", "not analysed locally: the en model knows too little of this text", "coverage"
        ),
        trained.Unsupported(
            "hi", "not analysed locally: the hi model knows too little of this text", "coverage"
        ),
    ]
    assert trained.sentiment(["I love it"], "en")[0].coverage > 0.9


def test_vader_scores_passed_in_give_the_same_result():
    texts = ["Not bad at all, quite good actually", "meh"]
    given = trained.sentiment(texts, "en", vader=[polarity(t) for t in texts])
    assert given == trained.sentiment(texts, "en")
    mixed = trained.sentiment_for(
        ["Ich liebe es", *texts], ["de", "en", "en"], vader=[polarity(t) for t in ["Ich liebe es", *texts]]
    )
    assert mixed[1:] == given


def test_emotions():
    thanks, scared, plain = trained.emotions(
        [
            "Thank you so much, this is very kind of you!",
            "I'm so scared and nervous about tomorrow",
            "It is a table.",
        ]
    )
    assert len(thanks.probabilities) == 28
    assert thanks.primary == "gratitude" and thanks.ekman_primary == "joy"
    assert "fear" in scared.ekman_detected or "nervousness" in scared.detected
    assert plain.ekman_primary == "neutral"
    assert set(thanks.ekman) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
    assert thanks.detected == sorted(thanks.detected, key=lambda lab: -thanks.probabilities[lab])


def test_emotions_for_mixed_languages():
    thanks, german, unknown = trained.emotions_for(
        ["Thank you so much!", "Danke schön", "ok"], ["en", "de", None]
    )
    assert isinstance(thanks, trained.EmotionPrediction) and thanks.primary == "gratitude"
    assert german == trained.Unsupported(
        "de", "not analysed locally: the emotion model is English only, this text is de"
    )
    assert unknown.language == "und" and unknown.cause == "language"
    assert trained.emotions_for(["这个游戏很好玩"], ["en"])[0].cause == "coverage"


def test_model_info():
    trained.load_all()
    info = trained.model_info()
    assert info["sources"] == ["umsab", "semeval", "blitzer", "goemotions"]
    assert info["total_bytes"] == sum(m["bytes"] for m in info["models"].values())
    assert (
        len(info["version"]) == 12
        and info["models"]["sentiment-en"]["version"] == manifest()["models"]["sentiment-en"]["sha256"][:12]
    )
    assert all(m["load_seconds"] is not None for m in info["models"].values())
    assert info["removed_as_evaluation_texts"]["semeval"] > 2000


def test_training_features_match_inference():
    pytest.importorskip("sklearn")
    from analysis.training.features import Vocabulary  # noqa: PLC0415 - needs the development requirements

    texts = ["Great game!!! 😍 http://x.y/z", "@bob terrible, terrible update", "Das Spiel ist großartig", ""]
    vocabulary = Vocabulary.fit(texts * 2, min_df=2)
    coef = np.random.default_rng(0).normal(size=(len(vocabulary.keys), 3)).astype(np.float32)
    expected = vocabulary.transform(texts) @ coef
    got = trained.linear_scores(texts, trained.KeyIndex(vocabulary.keys), vocabulary.idf, coef)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@needs_training_data
def test_training_is_byte_for_byte_reproducible(tmp_path, capsys):
    pytest.importorskip("sklearn")
    for run in ("a", "b"):
        call_command("train_models", "--out", str(tmp_path / run), "--limit", "300")
    assert "removed as evaluation texts" in capsys.readouterr().out
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert first == second
    assert "manifest.json" in first and "sentiment-en.npz" in first and "emotions-en.npz" in first


@needs_training_data
def test_sources_option_leaves_a_source_out(tmp_path, capsys):
    pytest.importorskip("sklearn")
    call_command("train_models", "--sources", "umsab,semeval", "--out", str(tmp_path), "--limit", "300")
    output = capsys.readouterr().out
    assert "semeval: 300 rows" in output and "blitzer" not in output.split("sentiment-")[0]
    written = json.loads((tmp_path / trained.MANIFEST).read_text(encoding="utf-8"))
    assert written["sources"] == ["umsab", "semeval"]
    assert "emotions-en" not in written["models"] and not (tmp_path / "emotions-en.npz").exists()
    assert set(written["models"]["sentiment-en"]["training_rows"]) == {"semeval", "umsab"}
    assert trained.supported_languages(tmp_path) == sorted(CLEAR)
    assert not trained.emotions_supported(tmp_path)

    # Without UMSAB there is no model for the seven other languages: they are unsupported.
    call_command("train_models", "--sources", "semeval,goemotions", "--out", str(tmp_path), "--limit", "300")
    trained._cache.clear()
    assert trained.supported_languages(tmp_path) == ["en"]
    with pytest.raises(trained.UnsupportedLanguage):
        trained.sentiment(["Que lindo"], "pt", models_dir=tmp_path)
    assert trained.emotions(["thanks!"], models_dir=tmp_path)[0].model == "emotions-en"


def test_unknown_source_is_refused(tmp_path):
    with pytest.raises(CommandError, match="unknown"):
        call_command("train_models", "--sources", "umsab,twitter", "--out", str(tmp_path))
