"""The local engine: the default analysis, with no API key and no network.

Sentiment from VADER (:mod:`.sentiment`), emotions from the NRC emotion lexicon
(:mod:`.emotions`), language from py3langid (:mod:`.language`), topics from aspects
(:mod:`.aspects`: noun phrases judged by the sentences that mention them), pros and cons from
clause sentiment (:mod:`.pros_cons`) and an extractive summary (:mod:`.summary`).

What is analysed: the item's title and text together (a title often carries the verdict);
``word_count`` counts the words of the text alone, the field it sits beside. The rating, when
the item has one, is normalised to -1..1 and compared with the text's score whatever the
sentiment switch says (see :func:`analysis.engine.base.ratings_disagree`). Every timestamp of
one batch is the same aware UTC datetime, taken when the batch starts.

The lexicons are English. A text detected as another language still gets VADER's score (with a
note), but no emotions, pros, cons, topics or rating disagreement (lexicon matches there are
false friends: German "gut" is EmoLex's "gut", disgust); ``notes`` says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analysis.engine import emotions, sentiment
from analysis.engine.aspects import find_mentions, text_aspects
from analysis.engine.base import (
    AnalysisConfig,
    AnalysisItem,
    Engine,
    ItemAnalysis,
    normalise_rating,
    ratings_disagree,
)
from analysis.engine.language import detect_language
from analysis.engine.pros_cons import extract_pros_cons
from analysis.engine.summary import summary_block
from analysis.engine.text import sentence_spans, word_count

# Languages the English lexicons (VADER, EmoLex, the stop words) are applied to: English, and
# texts too short to tell ("love it"), which are mostly English on the platforms collected.
ENGLISH_OR_UNDETERMINED = frozenset({"en", "und"})
NOT_ENGLISH_NOTE = (
    "the local engine's lexicons are English and this text looks like '{language}': "
    "use the LLM engine for other languages"
)


def _memo(known: dict[str, float]):
    """VADER's compound score, remembered per text for one item (sentences, clauses and aspect
    parts overlap)."""

    def score(text: str) -> float:
        if text not in known:
            known[text] = sentiment.compound(text)
        return known[text]

    return score


def _scorer(score):
    """The aspects' sentence scorer over ``score``: English only."""

    def scorer(texts, language):
        return [score(t) for t in texts] if language == "en" else [None] * len(texts)

    return scorer


class LocalEngine(Engine):
    """Lexicon- and rule-based analysis in this process (see the module docstring)."""

    name = "local"

    def unsupported(self, config: AnalysisConfig) -> dict[str, str]:
        """GoEmotions is the one part of ``config.analysis`` this engine cannot do."""
        if config.emotions and config.emotion_model not in emotions.MODELS:
            return {"emotions": emotions.GOEMOTIONS_UNSUPPORTED}
        return {}

    def analyze(self, items: list[AnalysisItem], config: AnalysisConfig) -> dict[str, ItemAnalysis]:
        """Analyse ``items`` under ``config``; keyed by item id."""
        now = datetime.now(UTC)
        notes = self.unsupported(config)
        return {item.id: self.analyze_item(item, config, now, notes) for item in items}

    def analyze_item(
        self,
        item: AnalysisItem,
        config: AnalysisConfig,
        now: datetime,
        notes: dict[str, str] | None = None,
    ) -> ItemAnalysis:
        """Analyse one item; ``now`` stamps every part, ``notes`` explains parts left out."""
        notes = dict(notes if notes is not None else self.unsupported(config))
        text = item.full_text
        language = detect_language(text)
        english = language in ENGLISH_OR_UNDETERMINED
        rating_score = normalise_rating(item.rating, item.rating_scale)

        raw = sentiment.polarity(text) if (config.sentiment or rating_score is not None) else None
        analysis: dict = {"sentiment": None, "emotions": None, "summary": None, "insights": None}
        if config.sentiment:
            analysis["sentiment"] = sentiment.sentiment_block(text, config.sentiment_classes, now, raw)
            if not english:
                notes["sentiment"] = NOT_ENGLISH_NOTE.format(language=language)
        if config.emotions and "emotions" not in notes:
            # The lexicon is English: on other languages it matches false friends ("gut").
            analysis["emotions"] = emotions.emotions_block(text if english else "", config.emotion_model, now)
            if not english:
                notes["emotions"] = NOT_ENGLISH_NOTE.format(language=language)

        if config.summarize or config.extract_insights:
            sentences = sentence_spans(text)
            pros, cons, topics = [], [], []
            if english:
                known = {text.strip(): raw["compound"]} if raw is not None else {}
                found = find_mentions(text, "en", _scorer(_memo(known)))
                pros, cons = extract_pros_cons(text, found)
                if config.extract_insights:
                    # The schema's topics carry a number: an aspect nobody judged is left out.
                    topics = [
                        t for t in text_aspects(text, language, found=found) if t["sentiment"] is not None
                    ]
            if config.extract_insights:
                analysis["insights"] = {
                    "pros": [p.text for p in pros],
                    "cons": [p.text for p in cons],
                    "topics": topics,
                    "extracted_at": now,
                }
                if not english:
                    notes["insights"] = NOT_ENGLISH_NOTE.format(language=language)
            if config.summarize:
                analysis["summary"] = summary_block(text, sentences, pros, cons, now)

        return ItemAnalysis(
            analysis=analysis,
            language=language,
            word_count=word_count(item.text),
            rating_disagreement=ratings_disagree(raw["compound"] if raw and english else None, rating_score),
            rating_score=rating_score,
            engine=self.name,
            notes=notes,
        )
