"""What people say across a project or a target: aspects with evidence, over many results, and
what changed between two runs.

:func:`summarize_results` takes result rows ``{"id", "text", "analysis", "rating"}``
(optionally ``"language"``, ``"rating_scale"`` and ``"date"``, when it was posted or else
collected) and returns:

- ``topics``: the aspects people write about (:mod:`analysis.engine.aspects`: noun phrases,
  grouped by lemma or stem, shown by a form that occurs in the texts), ranked by how many
  results mention them, each with the sentiment of the sentences that mention it, its verdict,
  its trend between the older and the newer half of the sample, the ids of the results that
  mention it, quotes, and ``search`` (what the explorer is searched for to list them);
- ``pros`` and ``cons``: the aspects whose verdict is "pro" or "con" under the one rule of
  :func:`analysis.engine.aspects.verdict` (stated in ``rules``), strongest evidence first;
- ``sample``: how many results were read, the dates of the two halves the trends compare, and
  how many results are in a language aspects are not extracted for;
- the sentiment average and distribution (3 classes) and the rating average with the ids of the
  results whose text sentiment disagrees strongly with their rating (``rating_scale`` in a row,
  default 5; see :func:`analysis.engine.base.ratings_disagree`). A row without
  ``analysis.sentiment`` is scored with VADER.

Aspects are computed from every row's text with the same rules whichever engine analysed it,
so counts mean the same in every project. A row's stored ``analysis.insights.topics`` (what the
local or an LLM engine wrote) give an aspect mention its sentiment when the sentence scorer
cannot judge that language. Every id returned is one of the input ids; every quote is an exact
substring of its result's text.

:func:`compare_insights` compares two such summaries ("what changed since the last run").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from analysis.engine import aspects, sentiment
from analysis.engine.aspects.lexicon import TOKEN_RE, language_of, word_key
from analysis.engine.aspects.summary import MAX_ASPECTS
from analysis.engine.base import normalise_rating, ratings_disagree

MAX_POINTS = 10
MAX_TOPICS = MAX_ASPECTS  # every listed aspect: the dashboard's chart shows the first of them
QUOTES_PER_ENTRY = 3
# compare_insights: a topic rose or fell when its share of results moved by at least this much
# (0.05 = five percentage points); the average sentiment moved when it changed by at least
# SENTIMENT_CHANGE (VADER's neutral band is 0.1 wide); a topic's sentiment moved at 0.2.
SHARE_CHANGE = 0.05
SENTIMENT_CHANGE = 0.05
TOPIC_SENTIMENT_CHANGE = 0.2


def _row_sentiment(row: dict[str, Any], text: str) -> tuple[float, str]:
    stored = (row.get("analysis") or {}).get("sentiment") or {}
    if stored.get("score") is not None:
        score = float(stored["score"])
        label = sentiment.three_class(stored.get("label") or "")
        if label not in sentiment.THREE_CLASSES:  # another engine's label set
            label = sentiment.label_for(score)
        return score, label
    score = sentiment.compound(text)
    return score, sentiment.label_for(score)


def _stored_topics(row: dict[str, Any]) -> list[tuple[str, float | None]]:
    insights = (row.get("analysis") or {}).get("insights") or {}
    topics = insights.get("topics") or []
    return [(t["topic"], t.get("sentiment")) for t in topics if isinstance(t, dict) and t.get("topic")]


def _point(entry: dict) -> dict:
    """A pro or a con: the aspect entry under the names the pros and cons lists use."""
    return {**entry, "text": entry["aspect"]}


def summarize_results(
    rows: list[dict[str, Any]],
    *,
    scorer: aspects.SentenceScorer | None = None,
    max_points: int = MAX_POINTS,
    max_topics: int = MAX_TOPICS,
    quotes_per_entry: int = QUOTES_PER_ENTRY,
) -> dict:
    """Aspects, pros, cons, sentiment and rating over ``rows`` (results of a project or a
    target). ``scorer`` judges sentences (default :func:`analysis.engine.aspects.default_scorer`).
    See the module docstring."""
    seen_ids: set[str] = set()
    prepared = []
    for row in rows:
        row_id = str(row["id"])
        if row_id in seen_ids:
            continue
        seen_ids.add(row_id)
        text = row.get("text") or ""
        score, label = _row_sentiment(row, text)
        rating = row.get("rating")
        rating_score = normalise_rating(rating, row.get("rating_scale") or 5.0)
        disagrees = label != "neutral" and ratings_disagree(score, rating_score)
        prepared.append((row_id, text, score, label, rating, disagrees, row))

    found = aspects.summarize_aspects(
        [
            aspects.AspectRow(
                id=row_id,
                text=text,
                language=row.get("language"),
                when=row.get("date"),
                stored_topics=_stored_topics(row),
            )
            for row_id, text, *_rest, row in prepared
        ],
        scorer or aspects.default_scorer(),
        quotes_per_aspect=quotes_per_entry,
    )
    entries = [
        {**entry, "topic": entry["aspect"], "mean_sentiment": entry["sentiment"]["mean"]}
        for entry in found["aspects"]
    ]
    pros = [_point(e) for e in entries if e["verdict"] == "pro"]
    cons = [_point(e) for e in entries if e["verdict"] == "con"]
    # Strongest evidence first: how many results praise (criticise) it, then how many mention it.
    pros.sort(key=lambda e: (-e["sentiment"]["positive"], -e["count"], e["aspect"]))
    cons.sort(key=lambda e: (-e["sentiment"]["negative"], -e["count"], e["aspect"]))

    distribution = dict.fromkeys(sentiment.THREE_CLASSES, 0)
    for item in prepared:
        distribution[item[3]] += 1
    ratings = [float(item[4]) for item in prepared if item[4] is not None]
    return {
        "total_results": len(prepared),
        "pros": pros[:max_points],
        "cons": cons[:max_points],
        "topics": entries[:max_topics],
        "sample": found["sample"],
        "rules": {
            "min_judged_results": aspects.MIN_JUDGED_RESULTS,
            "clear_majority": round(aspects.CLEAR_MAJORITY, 4),
        },
        "sentiment": {
            "average": round(sum(i[2] for i in prepared) / len(prepared), 4) if prepared else None,
            "distribution": distribution,
        },
        "rating": {
            "average": round(sum(ratings) / len(ratings), 4) if ratings else None,
            "count": len(ratings),
            "disagreements": [item[0] for item in prepared if item[5]],
        },
        "generated_at": datetime.now(UTC),
    }


def topic_key(topic: dict | str) -> str:
    """The grouping key of an aspect entry (or of an aspect's name, read as English)."""
    if isinstance(topic, dict):
        if topic.get("key"):
            return topic["key"]
        topic = topic.get("topic") or topic.get("text") or ""
    language = language_of("en")
    return " ".join(word_key(w.lower(), language) for w in TOKEN_RE.findall(topic or ""))


def _share(count: int, total: int | None) -> float:
    return count / total if total else float(count)


def _fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _compare_points(previous: list[dict], current: list[dict]) -> dict:
    before = {topic_key(p): p["text"] for p in previous}
    after = {topic_key(p): p["text"] for p in current}
    return {
        "appeared": [text for key, text in after.items() if key not in before],
        "disappeared": [text for key, text in before.items() if key not in after],
    }


def compare_insights(previous: dict, current: dict) -> dict:
    """What changed between two :func:`summarize_results` outputs.

    Aspects (matched by their grouping key) that ``appeared`` or ``disappeared``, and topics in
    both whose share of results ``rose`` or ``fell`` by at least :data:`SHARE_CHANGE` or whose
    mean sentiment moved by at least :data:`TOPIC_SENTIMENT_CHANGE` (``sentiment_moved``);
    the change of the average sentiment (``direction`` "up", "down" or "unchanged" at
    :data:`SENTIMENT_CHANGE`) and of the distribution's shares; aspects that became or stopped
    being pros or cons. Only what each summary lists is compared: a topic that dropped out of the top
    of the list counts as disappeared. Shares are counts over ``total_results``; a summary
    without that key is compared on raw counts.
    """
    prev_total = previous.get("total_results") or 0
    cur_total = current.get("total_results") or 0
    prev_topics = {topic_key(t): t for t in previous.get("topics") or []}
    cur_topics = {topic_key(t): t for t in current.get("topics") or []}

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
