"""The local engine: the default analysis, with no API key and no network.

Sentiment from the trained models of :mod:`.trained` (a linear model per language, eight
languages, VADER's scores among the English model's features), emotions from the trained
GoEmotions model (English; its 27 emotions plus neutral, or their Ekman groups) or, for
Plutchik's eight, the NRC emotion lexicon (:mod:`.emotions`), language from py3langid
(:mod:`.language`), topics from aspects (:mod:`.aspects`: noun phrases judged by the sentences
that mention them), pros and cons from clause sentiment (:mod:`.pros_cons`) and an extractive
summary (:mod:`.summary`).

What is analysed: the item's title and text together (a title often carries the verdict);
``word_count`` counts the words of the text alone, the field it sits beside. The rating, when
the item has one, is normalised to -1..1 and compared with the text's score whatever the
sentiment switch says (see :func:`analysis.engine.base.ratings_disagree`). Every timestamp of
one batch is the same aware UTC datetime, taken when the batch starts. A batch is analysed at
once: each language's texts go through its model together.

Languages: a text too short to tell ("und") is read as English, as most such texts on the
platforms collected are. A language no local model covers is not guessed: the result gets no
sentiment, emotions or insights, ``analysis.unsupported_language`` names the language and
``notes`` says why; the statistics count such results apart. Emotions are English only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analysis.engine import emotions, sentiment, trained
from analysis.engine.aspects import TextMentions, find_mentions, score_batch, text_aspects
from analysis.engine.base import (
    AnalysisItem,
    AnalysisOptions,
    Engine,
    ItemAnalysis,
    normalise_rating,
    ratings_disagree,
)
from analysis.engine.language import detect_language, language_name
from analysis.engine.pros_cons import extract_pros_cons
from analysis.engine.summary import summary_block
from analysis.engine.text import sentence_spans, word_count

EMOTIONS_ENGLISH_ONLY = "the local emotion models are English and this text looks like '{language}'"
TRAINED_EMOTION_MODELS = frozenset({"goemotions", "ekman"})
EMOTIONS_NOT_TRAINED = (
    "the GoEmotions model was not trained with this installation (train_models without "
    "goemotions): use Plutchik's lexicon or an LLM engine for emotions"
)


def model_language(language: str) -> str:
    """The language whose model reads a text detected as ``language`` ("und" reads as English)."""
    return "en" if language in ("und", "") else language


def sentence_scores(texts, language):
    """The aspects' sentence scorer: the sentences of a whole batch through their language's
    model in one call (English ones with VADER's scores as features); None where no model
    covers the language."""
    language = model_language(language)
    if not texts or not trained.is_supported(language):
        return [None] * len(texts)
    raws = [sentiment.polarity(t) for t in texts] if language == "en" else None
    return [p.score for p in trained.sentiment(list(texts), language, vader=raws)]


def has_words(text: str) -> bool:
    """Whether the text holds anything a model could judge (a letter or a digit)."""
    return any(ch.isalnum() for ch in text)


def sentiment_block(
    prediction: trained.SentimentPrediction | trained.Unsupported, classes: int, now: datetime, text: str
) -> dict:
    """``analysis.sentiment`` of a trained model's prediction: the 3- or 5-class label, the
    score P(positive) - P(negative), the calibrated probability of the label as confidence, and
    the three class probabilities as ``scores`` (the "very" classes are bands of the score,
    not classes of the model, so they have no probability of their own). A text with no words
    has nothing to judge: neutral, with confidence 0."""
    if not has_words(text) or isinstance(prediction, trained.Unsupported):
        probabilities = {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
        return {
            "label": "neutral",
            "score": 0.0,
            "confidence": 0.0,
            "scores": probabilities,
            "analyzed_at": now,
        }
    return {
        "label": prediction.label5 if classes == 5 else prediction.label3,
        "score": prediction.score,
        "confidence": prediction.confidence,
        "scores": dict(prediction.probabilities),
        "analyzed_at": now,
    }


def goemotions_block(prediction: trained.EmotionPrediction, model: str, now: datetime) -> dict:
    """``analysis.emotions`` from the GoEmotions model: its labels, or their Ekman groups."""
    if model == "ekman":
        probabilities, detected = prediction.ekman, prediction.ekman_detected
    else:
        probabilities, detected = prediction.probabilities, prediction.detected
    # Nothing above its threshold: the most probable label stands, with its probability.
    ranked = detected or [max(probabilities, key=probabilities.get)]
    return {
        "model": model,
        "primary": ranked[0],
        "primary_score": probabilities[ranked[0]],
        "detected": [{"emotion": name, "score": probabilities[name]} for name in ranked],
        "analyzed_at": now,
    }


class LocalEngine(Engine):
    """Trained models and rules in this process (see the module docstring)."""

    name = "local"

    def unsupported(self, config: AnalysisOptions) -> dict[str, str]:
        """Parts of ``config`` this installation cannot produce at all."""
        if (
            config.emotions
            and config.emotion_model in TRAINED_EMOTION_MODELS
            and not trained.emotions_supported()
        ):
            return {"emotions": EMOTIONS_NOT_TRAINED}
        return {}

    def analyze(self, items: list[AnalysisItem], config: AnalysisOptions) -> dict[str, ItemAnalysis]:
        """Analyse ``items`` under ``config``; keyed by item id."""
        now = datetime.now(UTC)
        notes = self.unsupported(config)
        texts = [item.full_text for item in items]
        languages = [detect_language(text) for text in texts]
        raws = [sentiment.polarity(text) for text in texts]
        predictions = trained.sentiment_for(texts, [model_language(lang) for lang in languages], vader=raws)
        feelings: dict[int, trained.EmotionPrediction] = {}
        if config.emotions and config.emotion_model in TRAINED_EMOTION_MODELS and "emotions" not in notes:
            english = [i for i, lang in enumerate(languages) if model_language(lang) == "en"]
            feelings = dict(zip(english, trained.emotions([texts[i] for i in english]), strict=True))
        founds: dict[int, TextMentions] = {}
        if config.summarize or config.extract_insights:
            for i, text in enumerate(texts):
                if not isinstance(predictions[i], trained.Unsupported):
                    founds[i] = find_mentions(text, model_language(languages[i]), scorer=None)
            score_batch(list(founds.values()), sentence_scores)
        return {
            item.id: self._item(
                item, config, now=now, notes=notes, language=languages[i], prediction=predictions[i],
                feeling=feelings.get(i), found=founds.get(i),
            )
            for i, item in enumerate(items)
        }  # fmt: skip

    def _item(
        self,
        item: AnalysisItem,
        config: AnalysisOptions,
        *,
        now: datetime,
        notes: dict[str, str],
        language: str,
        prediction: trained.SentimentPrediction | trained.Unsupported,
        feeling: trained.EmotionPrediction | None,
        found: TextMentions | None,
    ) -> ItemAnalysis:
        """One item of :meth:`analyze` (``found``: its scored aspect mentions); an unsupported ``prediction`` of a text without words
        is an empty text, judged neutral with nothing to go on."""
        notes = dict(notes)
        text = item.full_text
        english = model_language(language) == "en"
        rating_score = normalise_rating(item.rating, item.rating_scale)
        analysis: dict = {"sentiment": None, "emotions": None, "summary": None, "insights": None}
        if isinstance(prediction, trained.Unsupported) and has_words(text):
            # Not guessed: the statistics count it apart, an LLM engine may take it.
            analysis["unsupported_language"] = language
            template = trained.TOO_LITTLE_KNOWN if prediction.cause == "coverage" else trained.NOT_SUPPORTED
            reason = template.format(language=language_name(language))
            for part in ("sentiment", "emotions", "insights"):
                if getattr(config, "extract_insights" if part == "insights" else part):
                    notes[part] = reason
            if config.summarize:
                analysis["summary"] = summary_block(text, sentence_spans(text), [], [], now)
            return ItemAnalysis(
                analysis=analysis, language=language, word_count=word_count(item.text),
                rating_score=rating_score, engine=self.name, notes=notes,
            )  # fmt: skip
        block = sentiment_block(prediction, config.sentiment_classes, now, text)
        if config.sentiment:
            analysis["sentiment"] = block
        if config.emotions and "emotions" not in notes:
            if not english:
                notes["emotions"] = EMOTIONS_ENGLISH_ONLY.format(language=language)
            elif feeling is not None:
                analysis["emotions"] = goemotions_block(feeling, config.emotion_model, now)
            else:
                analysis["emotions"] = emotions.emotions_block(text, config.emotion_model, now)

        if config.summarize or config.extract_insights:
            sentences = sentence_spans(text)
            pros, cons = extract_pros_cons(text, found)
            if config.extract_insights:
                # The schema's topics carry a number: an aspect nobody judged is left out.
                topics = [
                    t
                    for t in text_aspects(text, model_language(language), found=found)
                    if t["sentiment"] is not None
                ]
                analysis["insights"] = {
                    "pros": [p.text for p in pros],
                    "cons": [p.text for p in cons],
                    "topics": topics,
                    "extracted_at": now,
                }
            if config.summarize:
                analysis["summary"] = summary_block(text, sentences, pros, cons, now)

        return ItemAnalysis(
            analysis=analysis,
            language=language,
            word_count=word_count(item.text),
            rating_disagreement=ratings_disagree(block["score"], rating_score),
            rating_score=rating_score,
            engine=self.name,
            notes=notes,
        )
