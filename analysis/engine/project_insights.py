"""What people say across a project or a target: local, extractive insights over many results,
and what changed between two runs.

:func:`summarize_results` takes result rows ``{"id", "text", "analysis", "rating"}`` (optionally
``"language"``) and returns the most frequent pros, cons and topics, each linked to the results
that support it by id and by quoted spans of their text, plus the sentiment average and
distribution, and the rating average with the ids of the results whose text sentiment disagrees
strongly with their rating (``rating_scale`` in a row, default 5; see
:func:`analysis.engine.base.ratings_disagree`). A row's stored ``analysis.insights`` is used
when present (whichever engine wrote it); a row without one is analysed here with the local
engine's modules. Likewise a row without ``analysis.sentiment`` is scored with VADER.

Near-duplicate pros (or cons) are clustered: each is reduced to its topic keywords
(:func:`analysis.engine.keywords.keywords`: singular content words without the sentiment words,
so that "great battery life" and "the battery life is excellent" meet), and a point joins the
cluster whose seed keywords have the highest Jaccard overlap with its own, when that overlap is
at least :data:`CLUSTER_SIMILARITY`. A cluster is shown by its most frequent wording (the
shortest, among equally frequent ones).

Quotes are always exact substrings of the row's text: the stored point itself when it occurs
in the text (also ignoring case), otherwise the sentence of the text that shares most, and at
least half, of its keywords (an LLM may paraphrase), otherwise no quote for that row. Every id
returned is one of the input ids.

:func:`compare_insights` compares two such summaries ("what changed since the last run").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from analysis.engine import sentiment
from analysis.engine.base import normalise_rating, ratings_disagree
from analysis.engine.keywords import extract_topics, keywords, sentence_terms, topic_key
from analysis.engine.language import detect_language
from analysis.engine.pros_cons import extract_pros_cons
from analysis.engine.text import content_words, sentence_spans

MAX_POINTS = 10
MAX_TOPICS = 15
QUOTES_PER_ENTRY = 3
CLUSTER_SIMILARITY = 0.5
# compare_insights: a topic rose or fell when its share of results moved by at least this much
# (0.05 = five percentage points); the average sentiment moved when it changed by at least
# SENTIMENT_CHANGE (VADER's neutral band is 0.1 wide); a topic's sentiment moved at 0.2.
SHARE_CHANGE = 0.05
SENTIMENT_CHANGE = 0.05
TOPIC_SENTIMENT_CHANGE = 0.2


@dataclass
class _Row:
    id: str
    text: str
    score: float
    label: str
    rating: float | None
    pros: list[tuple[str, str | None]] = field(default_factory=list)  # (point, quoted span)
    cons: list[tuple[str, str | None]] = field(default_factory=list)
    topics: list[tuple[str, float | None]] = field(default_factory=list)  # (topic, sentiment)
    disagrees: bool = False


@dataclass
class _Mention:
    result_id: str
    text: str
    span: str | None
    keys: frozenset[str]


def _point_keys(text: str) -> frozenset[str]:
    """The words a pro or con is clustered and matched on: its topic keywords, or for a point
    without any ("Love it!") its content words, or failing those its whole normalised text."""
    keys = frozenset(keywords(text))
    if not keys:
        keys = frozenset(content_words(text))
    if not keys:
        keys = frozenset({_normal(text)})
    return keys


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _quote(text: str, point: str) -> str | None:
    """An exact substring of ``text`` that supports ``point`` (see module docstring)."""
    point = (point or "").strip()
    if not point or not text:
        return None
    index = text.find(point)
    if index >= 0:
        return text[index : index + len(point)]
    index = text.lower().find(point.lower())
    if index >= 0 and text[index : index + len(point)].lower() == point.lower():
        return text[index : index + len(point)]
    wanted = _point_keys(point)
    # A sentence must share at least half of the point's keywords to stand for it.
    best, best_overlap = None, max(0, (len(wanted) + 1) // 2 - 1)
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        overlap = len(wanted & (set(keywords(sentence)) | set(content_words(sentence))))
        if overlap > best_overlap:
            best, best_overlap = text[start:end], overlap
    return best


def _topic_quote(text: str, topic: str) -> str | None:
    """The first sentence of ``text`` that mentions ``topic``, as an exact substring."""
    key = topic_key(topic)
    sentences = sentence_spans(text)
    for start, end in sentences:
        if key in sentence_terms(text, start, end):
            return text[start:end]
    wanted = topic.lower()
    for start, end in sentences:
        if wanted in text[start:end].lower():
            return text[start:end]
    return None


def _prepare(row: dict[str, Any]) -> _Row:
    text = row.get("text") or ""
    analysis = row.get("analysis") or {}
    stored = analysis.get("sentiment") or {}
    if stored.get("score") is not None:
        score = float(stored["score"])
        label = sentiment.three_class(stored.get("label") or "")
        if label not in sentiment.THREE_CLASSES:  # another engine's label set
            label = sentiment.label_for(score)
    else:
        score = sentiment.compound(text)
        label = sentiment.label_for(score)
    prepared = _Row(id=str(row["id"]), text=text, score=score, label=label, rating=row.get("rating"))
    rating_score = normalise_rating(prepared.rating, row.get("rating_scale") or 5.0)
    prepared.disagrees = label != "neutral" and ratings_disagree(score, rating_score)

    insights = analysis.get("insights")
    if insights is not None:
        prepared.pros = [(p, _quote(text, p)) for p in insights.get("pros") or [] if p]
        prepared.cons = [(c, _quote(text, c)) for c in insights.get("cons") or [] if c]
        topics = insights.get("topics") or []
        prepared.topics = [(t["topic"], t.get("sentiment")) for t in topics if t.get("topic")]
    elif text.strip() and (row.get("language") or detect_language(text)) in ("en", "und"):
        sentences = sentence_spans(text)
        scores = [sentiment.compound(text[s:e]) for s, e in sentences]
        pros, cons = extract_pros_cons(text, sentences, scores)
        prepared.pros = [(p.text, p.text) for p in pros]
        prepared.cons = [(c.text, c.text) for c in cons]
        prepared.topics = [(t["topic"], t["sentiment"]) for t in extract_topics(text, sentences, scores)]
    return prepared


def _cluster(mentions: list[_Mention]) -> list[list[_Mention]]:
    """Greedy clustering of near-duplicate points (see module docstring), in input order."""
    clusters: list[list[_Mention]] = []
    seeds: list[frozenset[str]] = []
    index: dict[str, list[int]] = defaultdict(list)
    for mention in mentions:
        candidates = sorted({c for key in mention.keys for c in index.get(key, ())})
        best, best_score = None, 0.0
        for c in candidates:
            score = _jaccard(seeds[c], mention.keys)
            if score > best_score:
                best, best_score = c, score
        if best is not None and best_score >= CLUSTER_SIMILARITY:
            clusters[best].append(mention)
            continue
        clusters.append([mention])
        seeds.append(mention.keys)
        for key in mention.keys:
            index[key].append(len(clusters) - 1)
    return clusters


def _point_entries(rows: list[_Row], kind: str, limit: int, quotes_per_entry: int) -> list[dict]:
    mentions = []
    for row in rows:
        seen: set[str] = set()
        for point, span in getattr(row, kind):
            normal = _normal(point)
            if normal in seen:
                continue
            seen.add(normal)
            mentions.append(_Mention(row.id, point, span, _point_keys(point)))
    entries = []
    for order, members in enumerate(_cluster(mentions)):
        wording = Counter(_normal(m.text) for m in members)
        top = max(wording.values())
        shown = min((m for m in members if wording[_normal(m.text)] == top), key=lambda m: len(m.text))
        result_ids = list(dict.fromkeys(m.result_id for m in members))
        quotes, quoted = [], set()
        for m in members:
            if m.span and m.result_id not in quoted and len(quotes) < quotes_per_entry:
                quotes.append({"result_id": m.result_id, "span": m.span})
                quoted.add(m.result_id)
        entry = {"text": shown.text, "count": len(result_ids), "result_ids": result_ids, "quotes": quotes}
        entries.append((order, entry))
    entries.sort(key=lambda e: (-e[1]["count"], e[0]))
    return [entry for _, entry in entries[:limit]]


def _topic_entries(rows: list[_Row], limit: int, quotes_per_entry: int) -> list[dict]:
    by_key: dict[str, dict] = {}
    for row in rows:
        seen: set[str] = set()
        for topic, value in row.topics:
            key = topic_key(topic)
            if not key or key in seen:
                continue
            seen.add(key)
            entry = by_key.setdefault(key, {"names": Counter(), "ids": [], "values": [], "rows": []})
            entry["names"][" ".join(topic.lower().split())] += 1
            entry["ids"].append(row.id)
            entry["rows"].append(row)
            entry["values"].append(value if value is not None else row.score)
    entries = []
    for order, (key, entry) in enumerate(by_key.items()):
        quotes = []
        for row in entry["rows"]:
            if len(quotes) >= quotes_per_entry:
                break
            span = _topic_quote(row.text, key)
            if span:
                quotes.append({"result_id": row.id, "span": span})
        name = min(entry["names"], key=lambda n: (-entry["names"][n], n))
        entries.append(
            (
                order,
                {
                    "topic": name,
                    "count": len(entry["ids"]),
                    "mean_sentiment": round(sum(entry["values"]) / len(entry["values"]), 4),
                    "result_ids": entry["ids"],
                    "quotes": quotes,
                },
            )
        )
    entries.sort(key=lambda e: (-e[1]["count"], e[0]))
    return [entry for _, entry in entries[:limit]]


def summarize_results(
    rows: list[dict[str, Any]],
    *,
    max_points: int = MAX_POINTS,
    max_topics: int = MAX_TOPICS,
    quotes_per_entry: int = QUOTES_PER_ENTRY,
) -> dict:
    """Insights over ``rows`` (results of a project or a target): pros, cons and topics with
    their counts and supporting result ids and quotes, and the sentiment average and
    distribution (3 classes). See the module docstring."""
    prepared = []
    seen_ids: set[str] = set()
    for row in rows:
        item = _prepare(row)
        if item.id in seen_ids:
            continue
        seen_ids.add(item.id)
        prepared.append(item)

    distribution = dict.fromkeys(sentiment.THREE_CLASSES, 0)
    for item in prepared:
        distribution[item.label] += 1
    ratings = [float(item.rating) for item in prepared if item.rating is not None]
    return {
        "total_results": len(prepared),
        "pros": _point_entries(prepared, "pros", max_points, quotes_per_entry),
        "cons": _point_entries(prepared, "cons", max_points, quotes_per_entry),
        "topics": _topic_entries(prepared, max_topics, quotes_per_entry),
        "sentiment": {
            "average": round(sum(i.score for i in prepared) / len(prepared), 4) if prepared else None,
            "distribution": distribution,
        },
        "rating": {
            "average": round(sum(ratings) / len(ratings), 4) if ratings else None,
            "count": len(ratings),
            "disagreements": [item.id for item in prepared if item.disagrees],
        },
        "generated_at": datetime.now(UTC),
    }


def _share(count: int, total: int | None) -> float:
    return count / total if total else float(count)


def _fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _compare_points(previous: list[dict], current: list[dict]) -> dict:
    before = [(p["text"], _point_keys(p["text"])) for p in previous]
    after = [(p["text"], _point_keys(p["text"])) for p in current]

    def matched(keys: frozenset[str], others: list[tuple[str, frozenset[str]]]) -> bool:
        return any(_jaccard(keys, other) >= CLUSTER_SIMILARITY for _, other in others)

    return {
        "appeared": [text for text, keys in after if not matched(keys, before)],
        "disappeared": [text for text, keys in before if not matched(keys, after)],
    }


def compare_insights(previous: dict, current: dict) -> dict:
    """What changed between two :func:`summarize_results` outputs.

    Topics (matched by their grouping form) that ``appeared`` or ``disappeared``, and topics in
    both whose share of results ``rose`` or ``fell`` by at least :data:`SHARE_CHANGE` or whose
    mean sentiment moved by at least :data:`TOPIC_SENTIMENT_CHANGE` (``sentiment_moved``);
    the change of the average sentiment (``direction`` "up", "down" or "unchanged" at
    :data:`SENTIMENT_CHANGE`) and of the distribution's shares; pros and cons that appeared or
    disappeared. Only what each summary lists is compared: a topic that dropped out of the top
    of the list counts as disappeared. Shares are counts over ``total_results``; a summary
    without that key is compared on raw counts.
    """
    prev_total = previous.get("total_results") or 0
    cur_total = current.get("total_results") or 0
    prev_topics = {topic_key(t["topic"]): t for t in previous.get("topics") or []}
    cur_topics = {topic_key(t["topic"]): t for t in current.get("topics") or []}

    def brief(t: dict) -> dict:
        return {"topic": t["topic"], "count": t["count"], "mean_sentiment": t.get("mean_sentiment")}

    rose, fell, moved = [], [], []
    for key in cur_topics.keys() & prev_topics.keys():
        before, after = prev_topics[key], cur_topics[key]
        change = _share(after["count"], cur_total) - _share(before["count"], prev_total)
        sentiment_change = None
        if after.get("mean_sentiment") is not None and before.get("mean_sentiment") is not None:
            sentiment_change = round(after["mean_sentiment"] - before["mean_sentiment"], 4)
        entry = {
            "topic": after["topic"],
            "previous_count": before["count"],
            "current_count": after["count"],
            "share_change": round(change, 4),
            "previous_sentiment": before.get("mean_sentiment"),
            "current_sentiment": after.get("mean_sentiment"),
            "sentiment_change": sentiment_change,
        }
        if change >= SHARE_CHANGE:
            rose.append(entry)
        elif change <= -SHARE_CHANGE:
            fell.append(entry)
        if sentiment_change is not None and abs(sentiment_change) >= TOPIC_SENTIMENT_CHANGE:
            moved.append(entry)
    rose.sort(key=lambda e: (-e["share_change"], e["topic"]))
    fell.sort(key=lambda e: (e["share_change"], e["topic"]))
    moved.sort(key=lambda e: (-abs(e["sentiment_change"]), e["topic"]))

    prev_sentiment = previous.get("sentiment") or {}
    cur_sentiment = current.get("sentiment") or {}
    before_avg, after_avg = prev_sentiment.get("average"), cur_sentiment.get("average")
    change = round(after_avg - before_avg, 4) if before_avg is not None and after_avg is not None else None
    if change is None or abs(change) < SENTIMENT_CHANGE:
        direction = "unchanged"
    else:
        direction = "up" if change > 0 else "down"
    prev_dist = prev_sentiment.get("distribution") or {}
    cur_dist = cur_sentiment.get("distribution") or {}
    prev_n, cur_n = sum(prev_dist.values()), sum(cur_dist.values())
    distribution_change = {
        label: round(_fraction(cur_dist.get(label, 0), cur_n) - _fraction(prev_dist.get(label, 0), prev_n), 4)
        for label in sentiment.THREE_CLASSES
    }

    appeared = [brief(cur_topics[k]) for k in cur_topics.keys() - prev_topics.keys()]
    disappeared = [brief(prev_topics[k]) for k in prev_topics.keys() - cur_topics.keys()]
    return {
        "topics": {
            "appeared": sorted(appeared, key=lambda t: (-t["count"], t["topic"])),
            "disappeared": sorted(disappeared, key=lambda t: (-t["count"], t["topic"])),
            "rose": rose,
            "fell": fell,
            "sentiment_moved": moved,
        },
        "sentiment": {
            "previous": before_avg,
            "current": after_avg,
            "change": change,
            "direction": direction,
            "distribution_change": distribution_change,
        },
        "pros": _compare_points(previous.get("pros") or [], current.get("pros") or []),
        "cons": _compare_points(previous.get("cons") or [], current.get("cons") or []),
        "results": {"previous": prev_total, "current": cur_total},
        "compared_at": datetime.now(UTC),
    }
