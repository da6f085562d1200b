"""Two engines side by side on the same results, nothing written: how far they agree.

An analyst runs this before paying for an LLM to see what it would change. Both engines get
the same items and the same analysis switches; the report counts, over the items both engines
gave a sentiment, how often their 3-class labels agree, Cohen's kappa (agreement beyond what
the two label distributions would give by chance), the confusion matrix, the mean absolute
difference of their scores, how often their primary emotions agree, and how many items each
left without a sentiment (an engine that abstains, say on a language it does not cover).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.engine.base import AnalysisItem, AnalysisOptions, Engine
from analysis.stats import bucket

LABELS = ("negative", "neutral", "positive")


@dataclass
class Side:
    name: str
    sentiment: dict[str, dict] = field(default_factory=dict)  # item id -> sentiment block
    emotion: dict[str, str] = field(default_factory=dict)  # item id -> primary emotion
    abstained: int = 0


@dataclass
class Agreement:
    """What :func:`compare` measured; ``confusion[a][b]`` counts items labelled a by the first
    engine and b by the second."""

    first: str
    second: str
    items: int
    both: int
    agree: int
    kappa: float | None
    score_mae: float | None
    confusion: dict[str, dict[str, int]]
    abstained: dict[str, int]
    emotions_both: int
    emotions_agree: int
    changed: list[dict]

    @property
    def rate(self) -> float | None:
        return self.agree / self.both if self.both else None

    @property
    def emotions_rate(self) -> float | None:
        return self.emotions_agree / self.emotions_both if self.emotions_both else None


def _side(name: str, engine: Engine, items: list[AnalysisItem], config: AnalysisOptions) -> Side:
    side = Side(name)
    for item_id, result in engine.analyze(items, config).items():
        block = result.analysis.get("sentiment")
        if block:
            side.sentiment[item_id] = block
        else:
            side.abstained += 1
        emotions = result.analysis.get("emotions") or {}
        if emotions.get("primary"):
            side.emotion[item_id] = emotions["primary"]
    side.abstained += len(items) - len(side.sentiment) - side.abstained
    return side


def kappa(confusion: dict[str, dict[str, int]]) -> float | None:
    """Cohen's kappa of a square confusion matrix (None when it is undefined)."""
    total = sum(sum(row.values()) for row in confusion.values())
    if not total:
        return None
    observed = sum(confusion[label][label] for label in LABELS) / total
    expected = sum(
        sum(confusion[label].values()) * sum(confusion[other][label] for other in LABELS) for label in LABELS
    ) / (total * total)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def compare(
    first: tuple[str, Engine],
    second: tuple[str, Engine],
    items: list[AnalysisItem],
    config: AnalysisOptions,
    *,
    examples: int = 10,
) -> Agreement:
    """Run both engines on ``items`` under ``config`` and measure their agreement; ``changed``
    lists up to ``examples`` items whose label differs, largest score difference first."""
    a = _side(*first, items, config)
    b = _side(*second, items, config)
    confusion = {label: dict.fromkeys(LABELS, 0) for label in LABELS}
    differences, changed = [], []
    texts = {item.id: item.full_text for item in items}
    for item_id in a.sentiment.keys() & b.sentiment.keys():
        left, right = a.sentiment[item_id], b.sentiment[item_id]
        la, lb = bucket(left["label"]), bucket(right["label"])
        confusion[la][lb] += 1
        difference = abs(left["score"] - right["score"])
        differences.append(difference)
        if la != lb:
            changed.append(
                {"id": item_id, "text": texts[item_id], a.name: la, b.name: lb, "difference": difference}
            )
    both = sum(sum(row.values()) for row in confusion.values())
    emotion_ids = a.emotion.keys() & b.emotion.keys()
    changed.sort(key=lambda row: (-row["difference"], row["id"]))
    return Agreement(
        first=a.name,
        second=b.name,
        items=len(items),
        both=both,
        agree=sum(confusion[label][label] for label in LABELS),
        kappa=kappa(confusion),
        score_mae=sum(differences) / len(differences) if differences else None,
        confusion=confusion,
        abstained={a.name: a.abstained, b.name: b.abstained},
        emotions_both=len(emotion_ids),
        emotions_agree=sum(1 for i in emotion_ids if a.emotion[i] == b.emotion[i]),
        changed=changed[:examples],
    )


def report_lines(result: Agreement) -> list[str]:
    """The agreement as lines of text (the command and the bench print these)."""

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f} %"

    lines = [
        f"{result.items} results; both engines gave a sentiment to {result.both}",
        "abstained: " + ", ".join(f"{name} {count}" for name, count in result.abstained.items()),
        f"3-class label agreement: {pct(result.rate)} ({result.agree} of {result.both})",
        f"Cohen's kappa: {'n/a' if result.kappa is None else f'{result.kappa:.3f}'}",
        f"mean absolute score difference: {'n/a' if result.score_mae is None else f'{result.score_mae:.3f}'}",
        f"primary emotion agreement: {pct(result.emotions_rate)} ({result.emotions_agree} of {result.emotions_both})",
        f"confusion ({result.first} rows, {result.second} columns):",
        "  " + " ".join(f"{label:>9}" for label in ("", *LABELS)),
    ]
    for label in LABELS:
        row = result.confusion[label]
        lines.append("  " + " ".join(f"{value:>9}" for value in (label, *(row[c] for c in LABELS))))
    if result.changed:
        lines.append("labels that change, largest score difference first:")
        for row in result.changed:
            text = " ".join(row["text"].split())
            lines.append(f"  {row['id']}: {row[result.first]} -> {row[result.second]}: {text[:100]}")
    return lines
