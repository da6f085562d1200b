"""Aspects across many results: counts, sentence sentiment, verdict, trend and quotes.

Input: rows (:class:`AspectRow`) newest first, as the insights cache reads them. Output
(:func:`summarize_aspects`): the aspects ranked by how many results mention them, each with

- ``count`` (results that mention it), ``mentions`` (sentences), ``result_ids``;
- ``sentiment``: each result's judgement of the aspect is the mean score of *its sentences that
  mention it* (:mod:`.mentions`), labelled positive / negative beyond
  :data:`~analysis.engine.aspects.mentions.POLAR` (neutral between); ``positive``,
  ``neutral``, ``negative`` count results, ``unscored`` the results whose language the sentence
  scorer does not judge, ``mean`` is the mean over judged results (each result weighs one);
- ``verdict`` (:func:`verdict`, the one rule for pros and cons);
- ``trend``: the sample is cut in two halves by date (the newer ``n // 2`` results and the older
  rest; a result's date is when it was posted, else when it was collected); for each half the
  results that mention the aspect, their share of the half, and their mean sentiment; the
  mentions are ``rising`` / ``falling`` when the share moved by :data:`SHARE_CHANGE` or more,
  the sentiment ``improving`` / ``worsening`` when the mean moved by
  :data:`SENTIMENT_CHANGE` or more with at least two judged results in each half;
- ``quotes``: up to three sentences that mention it, from different results, in the verdict's
  direction (praise for a pro, criticism for a con, both for the others), never offensive or
  sarcastic (:mod:`.guards`), never a near-duplicate of a quote already chosen for this or a
  higher-ranked aspect (:func:`near_duplicate`: the same words, or content words overlapping by
  :data:`DUPLICATE_OVERLAP`);
- ``search``: what the explorer is searched for to list the results that mention it.

Which candidates become aspects across the sample: a phrase of two or three words when two
results or more use it and its modifier is a noun (it is also seen as the head of a phrase, or
it cannot be an adjective), else its last word; a word unknown to the English lexicon when two
results or more use it; never a name (capitalised in seven of ten mid-sentence uses or more),
never a German word seen only at the start of sentences. Aspects need two results or more to
be listed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from analysis.engine.aspects import lexicon
from analysis.engine.aspects.mentions import POLAR, Mention, SentenceScorer, TextMentions, find_mentions
from analysis.engine.text import trim_span

# The rule for pros and cons, defined here once: an aspect is a pro when at least
# MIN_JUDGED_RESULTS results judge it (positive or negative) and at least CLEAR_MAJORITY of those
# praise it; a con likewise with criticism; "mixed" otherwise; None with fewer judged results.
MIN_JUDGED_RESULTS = 3
CLEAR_MAJORITY = 2 / 3
MIN_RESULTS = 2  # to be listed at all, and for a phrase or an unknown word to count
MAX_ASPECTS = 30
QUOTES_PER_ASPECT = 3
MAX_QUOTE_WORDS = 30
MIN_QUOTE_WORDS = 3
DUPLICATE_OVERLAP = 0.7
SHARE_CHANGE = 0.05
SENTIMENT_CHANGE = 0.2
NAME_SHARE = 0.7


def verdict(positive: int, negative: int) -> str | None:
    """ "pro", "con" or "mixed" for an aspect praised by ``positive`` results and criticised by
    ``negative`` ones; None when fewer than :data:`MIN_JUDGED_RESULTS` judge it."""
    judged = positive + negative
    if judged < MIN_JUDGED_RESULTS:
        return None
    if positive >= CLEAR_MAJORITY * judged:
        return "pro"
    if negative >= CLEAR_MAJORITY * judged:
        return "con"
    return "mixed"


def label(score: float | None) -> str | None:
    """positive / neutral / negative for a sentence score (None stays None)."""
    if score is None:
        return None
    if score >= POLAR:
        return "positive"
    if score <= -POLAR:
        return "negative"
    return "neutral"


@dataclass
class AspectRow:
    """One result as aspects need it. ``stored_topics`` are the result's own stored
    ``(topic, sentiment)`` pairs (any engine's): their sentiment stands in for a mention the
    sentence scorer cannot judge."""

    id: str
    text: str
    language: str | None = None
    when: datetime | None = None
    stored_topics: list[tuple[str, float | None]] = field(default_factory=list)


@dataclass
class _Found:
    row: AspectRow
    language: str
    mentions: TextMentions


def _names(found: list[TextMentions]) -> set[str]:
    seen: Counter = Counter()
    capitalised: Counter = Counter()
    for item in found:
        for key, upper in item.case_evidence:
            seen[key] += 1
            capitalised[key] += upper
    return {key for key, n in seen.items() if capitalised[key] and capitalised[key] >= NAME_SHARE * n}


def resolve(found: list[TextMentions], *, corpus: bool) -> list[list[tuple[str, Mention]]]:
    """``(aspect key, mention)`` pairs of each text, with the rules of the module docstring
    (``corpus`` False: for one text alone, where a phrase stands when its modifier cannot be an
    adjective, and unknown words stand as they are)."""
    names = _names(found)
    results_of: dict[str, set[int]] = defaultdict(set)
    heads: set[str] = set()
    german_seen: set[str] = set()
    for index, item in enumerate(found):
        for mention in item.mentions:
            results_of[mention.key].add(index)
            head = mention.head().key
            heads.add(head)
            results_of[head].add(index)
            if not mention.initial:
                german_seen.add(head)

    def allowed_word(mention: Mention) -> bool:
        key = mention.keys[-1]
        if key in names:
            return False
        if mention.initial and key not in german_seen:
            return False
        return not (corpus and mention.unknown[-1] and len(results_of[key]) < MIN_RESULTS)

    resolved = []
    for item in found:
        pairs = []
        for mention in item.mentions:
            head = mention.head() if len(mention.keys) > 1 else mention
            verb_like = head.words[0] is not mention.words[-1]  # "the academy rocks"
            if len(mention.keys) > 1 and not verb_like and not any(k in names for k in mention.keys):
                modifiers_ok = not mention.ambiguous_modifier or (
                    corpus and all(k in heads for k in mention.keys[:-1])
                )
                enough = not corpus or len(results_of[mention.key]) >= MIN_RESULTS
                if modifiers_ok and enough:
                    pairs.append((mention.key, mention))
                    continue
            if allowed_word(head):
                pairs.append((head.key, head))
        resolved.append(pairs)
    return resolved


# --- quotes -----------------------------------------------------------------------------------


def _quote_words(text: str) -> list[str]:
    return [w.lower() for w in lexicon.TOKEN_RE.findall(text)]


_GAP_RE = re.compile(r"[^\S\n]{2,}|\n")
_SHRED = r"\S*[\"'()\[\]{}<>=]\S*"
_LEADING_SHRED_RE = re.compile(rf"{_SHRED}\s+")
_TRAILING_SHRED_RE = re.compile(rf"\s+{_SHRED}$")


def quote_span(found: TextMentions, mention: Mention) -> tuple[int, int] | None:
    """A quotable span of the original text around ``mention``: its sentence when that is short
    and free of noise, else the noise-free piece of its clause, cut to :data:`MAX_QUOTE_WORDS`
    words; None when the sentence is offensive or sarcastic, or too little is left."""
    if mention.sentence in found.offensive or mention.sentence in found.sarcastic:
        return None
    text, masked = found.text, found.masked
    start, end = found.sentences[mention.sentence]
    cut_before = cut_after = False
    if text[start:end] != masked[start:end] or len(_quote_words(text[start:end])) > MAX_QUOTE_WORDS:
        start, end = mention.clause
        # Noise inside the clause cuts it: keep the piece around the mention.
        for match in _GAP_RE.finditer(masked, start, end):
            if text[match.start() : match.end()] == masked[match.start() : match.end()]:
                continue  # plain whitespace the writer typed
            if match.end() <= mention.start:
                start, cut_before = match.end(), True
            elif match.start() >= mention.end:
                end, cut_after = match.start(), True
                break
        spans = [(m.start(), m.end()) for m in lexicon.TOKEN_RE.finditer(masked, start, end)]
        if len(spans) > MAX_QUOTE_WORDS:
            first = next(i for i, s in enumerate(spans) if s[1] >= mention.start)
            begin = max(0, min(first - 8, len(spans) - MAX_QUOTE_WORDS))
            start, end = spans[begin][0], spans[begin + MAX_QUOTE_WORDS - 1][1]
    start, end = trim_span(text, start, end)
    # A cut may leave a shred of the markup it removed ('x") The puzzles...'): drop that word.
    if cut_before and (shred := _LEADING_SHRED_RE.match(text, start, end)) and shred.end() <= mention.start:
        start = shred.end()
    if cut_after and (shred := _TRAILING_SHRED_RE.search(text, start, end)) and shred.start() >= mention.end:
        end = shred.start()
    start, end = trim_span(text, start, end)
    if not (start <= mention.start and mention.end <= end) or text[start:end] != masked[start:end]:
        return None
    if len(_quote_words(text[start:end])) < MIN_QUOTE_WORDS:
        return None
    return start, end


def near_duplicate(a: str, b: str) -> bool:
    """Whether two quotes say the same: the same words, or content-word sets (stop words left
    out) overlapping by :data:`DUPLICATE_OVERLAP` or more of the smaller one, so a quote inside
    another counts; quotes of two content words or fewer must have the same ones."""
    if " ".join(_quote_words(a)) == " ".join(_quote_words(b)):
        return True
    stop = lexicon.stop_words("en")
    wa = {w for w in _quote_words(a) if w not in stop}
    wb = {w for w in _quote_words(b) if w not in stop}
    if min(len(wa), len(wb)) <= 2:
        return bool(wa) and wa == wb
    return len(wa & wb) / min(len(wa), len(wb)) >= DUPLICATE_OVERLAP


# --- the summary ------------------------------------------------------------------------------


def _ordered(rows: list[AspectRow]) -> list[AspectRow]:
    """Newest first: by date when every row has one, else as given."""
    if rows and all(r.when is not None for r in rows):
        return sorted(rows, key=lambda r: r.when, reverse=True)
    return list(rows)


# Mentions of recently seen texts: a refresh reads mostly the same results as the one before.
_CACHE_SIZE = 4000
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def _mentions_of(row: AspectRow, language: str, scorer: SentenceScorer | None) -> TextMentions:
    key = (row.id, language, hashlib.blake2b(row.text.encode("utf-8"), digest_size=16).digest(), scorer)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    found = find_mentions(row.text, language, scorer)
    with _cache_lock:
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _stored_sentiment(row: AspectRow, key: str, language: str) -> float | None:
    for topic, value in row.stored_topics:
        if value is None:
            continue
        keys = " ".join(lexicon.word_key(w.lower(), language) for w in lexicon.TOKEN_RE.findall(topic or ""))
        if keys == key or (keys and keys.split()[-1] == key):
            return float(value)
    return None


def summarize_aspects(
    rows: Sequence[AspectRow],
    scorer: SentenceScorer | None,
    *,
    limit: int = MAX_ASPECTS,
    quotes_per_aspect: int = QUOTES_PER_ASPECT,
) -> dict:
    """The aspects of ``rows`` (see the module docstring): ``{"aspects": [...], "sample": {...}}``.
    ``scorer`` judges sentences (see :mod:`.mentions`)."""
    ordered = _ordered(list(rows))
    recent_n = len(ordered) // 2
    recent_ids = {r.id for r in ordered[:recent_n]}
    found: list[_Found] = []
    for row in ordered:
        language = lexicon.language_of(row.language)
        if language is None or not (row.text or "").strip():
            continue
        found.append(_Found(row, language, _mentions_of(row, language, scorer)))
    resolved = resolve([f.mentions for f in found], corpus=True)

    by_key: dict[str, dict] = {}
    for item, pairs in zip(found, resolved, strict=True):
        for key, mention in pairs:
            score = mention.score
            if score is None:
                score = _stored_sentiment(item.row, key, item.language)
            entry = by_key.setdefault(
                key,
                {"rows": {}, "forms": Counter(), "cased": Counter(), "mentions": 0, "languages": Counter()},
            )
            entry["rows"].setdefault(item.row.id, (item, []))[1].append((mention, score))
            entry["languages"][item.language] += 1
            entry["mentions"] += 1
            surface = item.mentions.text[mention.start : mention.end]
            entry["forms"][" ".join(surface.lower().split())] += 1
            if not mention.words[0].initial:
                entry["cased"][" ".join(surface.split())] += 1

    entries = []
    for key, entry in by_key.items():
        if len(entry["rows"]) < MIN_RESULTS:
            continue
        entries.append(_entry(key, entry, recent_ids, recent_n, len(ordered) - recent_n))
    entries.sort(key=lambda e: (-e["count"], -e["mentions"], e["aspect"]))
    entries = entries[:limit]
    _choose_quotes(entries, by_key, quotes_per_aspect)
    return {"aspects": entries, "sample": _sample(ordered, recent_n)}


def _display(entry: dict) -> str:
    """The most frequent form, in lower case except acronyms ("UI") and German nouns."""
    form = min(entry["forms"], key=lambda f: (-entry["forms"][f], len(f), f))
    cased = [c for c in entry["cased"] if c.lower() == form]
    if cased:
        best = max(cased, key=lambda c: (entry["cased"][c], c.islower()))
        german = entry["languages"].most_common(1)[0][0] == "de"
        letters = best.removesuffix("s")
        if (letters.isupper() and len(letters) >= 2) or (german and best[:1].isupper()):
            return best
    return form


def _entry(key: str, entry: dict, recent_ids: set[str], recent_n: int, older_n: int) -> dict:
    per_result: dict[str, float | None] = {}
    for result_id, (_item, mentions) in entry["rows"].items():
        scores = [score for _, score in mentions if score is not None]
        per_result[result_id] = sum(scores) / len(scores) if scores else None
    labels = Counter(label(v) for v in per_result.values())
    judged = [v for v in per_result.values() if v is not None]
    halves = {}
    for name, ids_in, size in (
        ("recent", lambda i: i in recent_ids, recent_n),
        ("older", lambda i: i not in recent_ids, older_n),
    ):
        ids = [i for i in per_result if ids_in(i)]
        values = [per_result[i] for i in ids if per_result[i] is not None]
        halves[name] = {
            "results": len(ids),
            "share": round(len(ids) / size, 4) if size else None,
            "mean_sentiment": _mean(values),
            "judged": len(values),
        }
    display = _display(entry)
    return {
        "aspect": display,
        "key": key,
        "forms": [f for f, _ in entry["forms"].most_common(3)],
        "count": len(per_result),
        "mentions": entry["mentions"],
        "result_ids": list(per_result),
        "sentiment": {
            "mean": _mean(judged),
            "positive": labels.get("positive", 0),
            "neutral": labels.get("neutral", 0),
            "negative": labels.get("negative", 0),
            "unscored": labels.get(None, 0),
        },
        "verdict": verdict(labels.get("positive", 0), labels.get("negative", 0)),
        "trend": _trend(halves, len(per_result)),
        "search": _search(entry["forms"]),
        "quotes": [],
    }


def _trend(halves: dict, count: int) -> dict:
    recent, older = halves["recent"], halves["older"]
    mentions = None
    if recent["share"] is not None and older["share"] is not None and count >= MIN_JUDGED_RESULTS:
        change = recent["share"] - older["share"]
        mentions = "rising" if change >= SHARE_CHANGE else "falling" if change <= -SHARE_CHANGE else "steady"
    mood = None
    if recent["judged"] >= 2 and older["judged"] >= 2:
        change = recent["mean_sentiment"] - older["mean_sentiment"]
        mood = (
            "improving"
            if change >= SENTIMENT_CHANGE
            else "worsening"
            if change <= -SENTIMENT_CHANGE
            else "steady"
        )
    return {"recent": recent, "older": older, "mentions": mentions, "sentiment": mood}


def _search(forms: Counter) -> str:
    """The explorer query for an aspect: its shortest form when that form is inside every other
    one ("puzzle" finds "puzzles"), else its most frequent; a phrase in quotes."""
    ordered = sorted(forms, key=lambda f: (len(f), -forms[f], f))
    shortest = ordered[0]
    chosen = shortest if all(shortest in f for f in forms) else max(forms, key=lambda f: (forms[f], -len(f)))
    return f'"{chosen}"' if " " in chosen else chosen


def _choose_quotes(entries: list[dict], by_key: dict, per_aspect: int) -> None:
    used: list[str] = []
    for entry in entries:
        candidates = []
        for result_id, (item, mentions) in by_key[entry["key"]]["rows"].items():
            for mention, score in mentions:
                span = quote_span(item.mentions, mention)
                if span is not None:
                    candidates.append((result_id, item.mentions.text[span[0] : span[1]], score))
        direction = entry["verdict"]
        positive = sorted((c for c in candidates if label(c[2]) == "positive"), key=lambda c: -c[2])
        negative = sorted((c for c in candidates if label(c[2]) == "negative"), key=lambda c: c[2])
        if direction == "pro":
            ordered = positive
        elif direction == "con":
            ordered = negative
        else:
            ordered = [c for pair in _interleave(positive, negative) for c in pair]
            ordered += [c for c in candidates if label(c[2]) in ("neutral", None)]
        quotes, quoted_results = [], set()
        for result_id, span, score in ordered:
            if len(quotes) >= per_aspect:
                break
            if result_id in quoted_results or any(near_duplicate(span, other) for other in used):
                continue
            quotes.append({"result_id": result_id, "span": span, "sentiment": score})
            quoted_results.add(result_id)
            used.append(span)
        entry["quotes"] = quotes


def _interleave(first: list, second: list) -> list[tuple]:
    pairs = []
    for i in range(max(len(first), len(second))):
        pairs.append(tuple(x[i] for x in (first, second) if i < len(x)))
    return pairs


def _sample(ordered: list[AspectRow], recent_n: int) -> dict:
    def dates(rows: list[AspectRow]) -> dict:
        whens = [r.when for r in rows if r.when is not None]
        return {
            "results": len(rows),
            "from": min(whens) if whens else None,
            "to": max(whens) if whens else None,
        }

    languages = Counter(lexicon.language_of(r.language) or (r.language or "und") for r in ordered)
    return {
        "results": len(ordered),
        "recent": dates(ordered[:recent_n]),
        "older": dates(ordered[recent_n:]),
        "without_aspects": sum(n for code, n in languages.items() if not lexicon.supported(code)),
    }
