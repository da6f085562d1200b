"""Topics of a text: its most frequent keywords and two-word noun-phrase-like n-grams, each with
the mean sentiment of the sentences that mention it.

No tagger or corpus is used (nothing to download). A keyword is a word of at least three letters
that is not a stop word (:data:`analysis.engine.text.STOP_WORDS`, plus a few generic verbs and
adjectives here) and not in VADER's sentiment lexicon: "great" or "broken" are how people judge
a thing, not the thing they judge; with no tagger, words ending in "-ly" (adverbs) or "-ed"
(past tenses) are left out too, and a word whose singular form is excluded is excluded ("dies"
is "die", which VADER scores). Two keywords next to each other, with nothing but a space or
a hyphen between them, form a two-word topic ("battery life", "customer service"). Words are
grouped in a crude singular form ("batteries" and "battery" are one topic).

Ranking: number of mentions, then two-word topics before single words, then first appearance.
A single word that only ever occurs inside a chosen two-word topic is not listed again.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from analysis.engine import sentiment
from analysis.engine.text import STOP_WORDS, singular, token_spans

MAX_TOPICS = 5

_GENERIC_WORDS = frozenset(
    # A word list reads and diffs better as text than as a list of string literals.
    """
    work works worked working look looks looked looking feel feels felt find found tell told call
    called start started seem seemed set sets big small little long short high low large huge
    whole full real able different certain main usual single half definitely actually totally
    absolutely highly extremely basically literally simply especially completely probably
    honestly seriously overall today yesterday tomorrow ago anymore already minute minutes hour
    hours week weeks second seconds came come going put goes hear heard hearing listen talk
    talking says said
    """.split()  # noqa: SIM905
)


@lru_cache(maxsize=1)
def sentiment_words() -> frozenset[str]:
    """The words of VADER's lexicon (lower-case): words that judge rather than name a thing."""
    return frozenset(sentiment.analyzer().lexicon)


_EXCLUDED = STOP_WORDS | _GENERIC_WORDS
# Nouns that the adverb (-ly) and past-tense (-ed) rules below would otherwise drop.
_LY_ED_NOUNS = frozenset(
    {"family", "supply", "assembly", "reply", "belly", "jelly", "rally", "ally", "anomaly", "monopoly"}
    | {"speed", "feed", "seed", "bed", "shed", "hundred"}
)


@lru_cache(maxsize=65536)
def _is_keyword(token: str) -> bool:
    if len(token) < 3 or "'" in token:
        return False
    if token in _LY_ED_NOUNS:
        return True
    # No tagger: "-ly" words are mostly adverbs and "-ed" words verbs, neither is a topic.
    if len(token) > 4 and token.endswith(("ly", "ed")):
        return False
    base = singular(token)
    lexicon = sentiment_words()
    return not (token in _EXCLUDED or base in _EXCLUDED or token in lexicon or base in lexicon)


def topic_key(topic: str) -> str:
    """The grouping form of a topic: lower-case, single spaces, each word in singular form."""
    return " ".join(singular(word) for word in topic.lower().split())


def keywords(text: str) -> list[str]:
    """The keywords of ``text`` (in grouping form, in order, repeats kept)."""
    return [singular(t) for t, _, _ in token_spans(text) if _is_keyword(t)]


def sentence_terms(text: str, start: int, end: int) -> list[str]:
    """Keyword and two-word topic terms of the sentence ``text[start:end]``, repeats kept."""
    terms = []
    previous = None  # (key, end offset) of the previous token when it was a keyword
    for token, t_start, t_end in token_spans(text[start:end]):
        if not _is_keyword(token):
            previous = None
            continue
        key = singular(token)
        terms.append(key)
        if previous is not None:
            gap = text[start + previous[1] : start + t_start]
            if gap.strip(" -") == "" and "\n" not in gap:
                terms.append(f"{previous[0]} {key}")
        previous = (key, t_end)
    return terms


def extract_topics(
    text: str,
    sentences: list[tuple[int, int]],
    sentence_scores: list[float],
    limit: int = MAX_TOPICS,
) -> list[dict]:
    """``[{"topic", "sentiment"}]`` for a text already split into ``sentences`` with VADER
    compound ``sentence_scores`` (one per sentence). Sentiment is the mean score of the
    sentences that mention the topic, rounded to 4 digits."""
    mentions: dict[str, int] = defaultdict(int)
    in_sentences: dict[str, list[int]] = defaultdict(list)
    first_seen: dict[str, int] = {}
    order = 0
    for index, (start, end) in enumerate(sentences):
        for term in sentence_terms(text, start, end):
            mentions[term] += 1
            if not in_sentences[term] or in_sentences[term][-1] != index:
                in_sentences[term].append(index)
            if term not in first_seen:
                first_seen[term] = order
                order += 1
    ranked = sorted(mentions, key=lambda t: (-mentions[t], -t.count(" "), first_seen[t]))
    chosen: list[str] = []
    for term in ranked:
        if len(chosen) >= limit:
            break
        # A word is counted at least as often as any pair containing it, and ties rank the pair
        # first, so a word that only occurs inside a chosen pair is met after it.
        if " " not in term and any(term in c.split() and mentions[c] >= mentions[term] for c in chosen):
            continue
        chosen.append(term)
    topics = []
    for term in chosen:
        scores = [sentence_scores[i] for i in in_sentences[term]]
        topics.append({"topic": term, "sentiment": round(sum(scores) / len(scores), 4)})
    return topics
