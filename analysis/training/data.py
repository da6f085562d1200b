"""Readers of the shared training and evaluation data, and the contamination filter.

Pure Python (no scikit-learn): the benchmarks read the evaluation sets through this module too.
Every reader returns rows in file order, so training is deterministic. ``data_dir`` is the shared
data folder (``settings.SHARED_DATA_DIR``: ``training/`` and ``sentiment/`` inside it).

Raw tweets in UMSAB and SemEval carry JSON-style ``\\u2019`` escapes and CSV-style doubled
quotes; :func:`clean` undoes both so that the models learn from the text people actually write.
"""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

SOURCES = ("umsab", "semeval", "blitzer", "goemotions")
UMSAB_LANGUAGES = {
    "ar": "arabic",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "hi": "hindi",
    "it": "italian",
    "pt": "portuguese",
}
LABELS3 = ("negative", "neutral", "positive")
BLITZER_DOMAINS = ("books", "dvd", "electronics", "kitchen_&_housewares")


@dataclass(frozen=True)
class Row:
    """One labelled text. ``label`` is a 3-class name, or for GoEmotions a tuple of label ids."""

    text: str
    label: object
    source: str
    language: str = "en"


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def clean(text: str) -> str:
    """Undo the JSON escapes and CSV quoting of the raw tweet files."""
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    text = text.replace('\\"', '"')
    if "\\u" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        # Emoji come as surrogate pairs (\ud83d\ude02): join them into one character.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text.strip()


_KEY_DROP = re.compile(r"@\w+|https?://\S+|www\.\S+|[\W_]+")


def dedupe_key(text: str) -> str:
    """The key two copies of one text share: escapes and entities decoded, case folded, user
    names and links dropped, only letters and digits (of any script) kept."""
    return _KEY_DROP.sub("", html.unescape(clean(text)).casefold())


PREFIX = 30


class Contamination:
    """Keys of every evaluation text: a training row matches when its key equals one, or when
    both keys are at least :data:`PREFIX` characters long and start alike (a tweet copied with a
    link or a truncation mark added)."""

    def __init__(self, texts: list[str]):
        self.keys = {dedupe_key(t) for t in texts} - {""}
        self.prefixes = {k[:PREFIX] for k in self.keys if len(k) >= PREFIX}

    def __contains__(self, text: str) -> bool:
        key = dedupe_key(text)
        return key in self.keys or (len(key) >= PREFIX and key[:PREFIX] in self.prefixes)


def _lines(path: Path) -> list[str]:
    # The UMSAB and TweetEval files have no final newline: split, never count newlines.
    return path.read_text(encoding="utf-8").split("\n")


def _tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


# --- training sources ---------------------------------------------------------------------------


def umsab(data_dir: Path, language: str, split: str = "train") -> list[Row]:
    """UMSAB tweets of one language (``train`` or ``val``); labels 0/1/2 = negative/neutral/positive."""
    folder = Path(data_dir) / "training" / "umsab" / UMSAB_LANGUAGES[language]
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    rows = []
    for text, label in zip(texts, labels, strict=False):
        if label.strip():
            rows.append(Row(clean(text), LABELS3[int(label)], "umsab", language))
    return rows


def semeval(data_dir: Path) -> list[Row]:
    """The SemEval 2013-2016 English tweet pool, files in name order."""
    rows = []
    for path in sorted((Path(data_dir) / "training" / "semeval2017-task4A-en").glob("twitter-*.tsv")):
        for fields in _tsv(path):
            if len(fields) >= 3 and fields[1] in LABELS3:
                rows.append(Row(clean(fields[2]), fields[1], "semeval"))
    return rows


_REVIEW = re.compile(r"<review>(.*?)</review>", re.DOTALL)


def _tag(block: str, name: str) -> str:
    match = re.search(rf"<{name}>(.*?)</{name}>", block, re.DOTALL)
    return match.group(1).strip() if match else ""


def blitzer(data_dir: Path) -> list[Row]:
    """Amazon reviews (title and text), 1-2 stars negative, 4-5 positive; no neutral exists."""
    rows = []
    folder = Path(data_dir) / "training" / "blitzer-mdsd"
    for domain in BLITZER_DOMAINS:
        for polarity in ("negative", "positive"):
            raw = (folder / domain / f"{polarity}.review").read_bytes().decode("utf-8", "replace")
            for block in _REVIEW.findall(raw):
                title, body = _tag(block, "title"), _tag(block, "review_text")
                text = f"{title}\n{body}" if title else body
                rows.append(Row(html.unescape(text), polarity, "blitzer"))
    return rows


def goemotions_labels(data_dir: Path) -> list[str]:
    """The 28 GoEmotions label names, in id order (neutral last)."""
    path = Path(data_dir) / "training" / "goemotions" / "emotions.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def ekman_mapping(data_dir: Path) -> dict[str, list[str]]:
    """Ekman group -> GoEmotions labels (neutral is its own seventh group)."""
    path = Path(data_dir) / "training" / "goemotions" / "ekman_mapping.json"
    mapping = json.loads(path.read_text(encoding="utf-8"))
    return {group: list(labels) for group, labels in sorted(mapping.items())}


def goemotions(data_dir: Path, split: str = "train") -> list[Row]:
    """GoEmotions Reddit comments (``train``; ``dev`` for evaluation only); label = tuple of ids."""
    name = "train.tsv" if split == "train" else "dev.tsv"
    path = Path(data_dir) / "training" / "goemotions" / name
    rows = []
    for fields in _tsv(path):
        if len(fields) >= 2 and fields[1]:
            ids = tuple(sorted(int(i) for i in fields[1].split(",")))
            rows.append(Row(fields[0], ids, "goemotions"))
    return rows


# --- evaluation sets ----------------------------------------------------------------------------


def tweeteval_val(data_dir: Path) -> list[Row]:
    """TweetEval sentiment validation (2,000 tweets, drawn from the SemEval pool)."""
    folder = Path(data_dir) / "training" / "tweeteval-sentiment"
    texts, labels = _lines(folder / "val_text.txt"), _lines(folder / "val_labels.txt")
    return [
        Row(clean(t), LABELS3[int(lab)], "tweeteval")
        for t, lab in zip(texts, labels, strict=False)
        if lab.strip()
    ]


@dataclass(frozen=True)
class Rated:
    """A text with a human mean rating (-4..4, VADER sets) or a 0/1 label (binary sets)."""

    text: str
    rating: float


RATED_SETS = {
    "VADER tweets": "tweets_GroundTruth.txt",
    "VADER movie snippets": "movieReviewSnippets_GroundTruth.txt",
}
BINARY_SETS = {  # name: (file, has a header line)
    "SST-2 dev": ("sst2_glue_dev.tsv", True),
    "UCI Amazon": ("uci_amazon_cells_labelled.txt", False),
    "UCI IMDb": ("uci_imdb_labelled.txt", False),
    "UCI Yelp": ("uci_yelp_labelled.txt", False),
}


def rated_set(data_dir: Path, name: str) -> list[Rated]:
    """One of :data:`RATED_SETS`: ``id \\t mean_rating \\t text`` rows."""
    path = Path(data_dir) / "sentiment" / RATED_SETS[name]
    return [Rated(r[2], float(r[1])) for r in _tsv(path) if len(r) >= 3]


def binary_set(data_dir: Path, name: str) -> list[Rated]:
    """One of :data:`BINARY_SETS`: ``text \\t label`` rows."""
    filename, header = BINARY_SETS[name]
    rows = _tsv(Path(data_dir) / "sentiment" / filename)
    rows = rows[1:] if header else rows
    return [Rated(r[0].strip(), float(r[1])) for r in rows if len(r) >= 2]


def gold_label(mean_rating: float) -> str:
    """The VADER paper's 3-class reading of a mean human rating."""
    if mean_rating > 0.5:
        return "positive"
    if mean_rating < -0.5:
        return "negative"
    return "neutral"


def evaluation_texts(data_dir: Path) -> dict[str, list[str]]:
    """Every text any benchmark reports on, by set name: no model may train on one of them."""
    sets = {f"UMSAB val {lang}": [r.text for r in umsab(data_dir, lang, "val")] for lang in UMSAB_LANGUAGES}
    sets["TweetEval val"] = [r.text for r in tweeteval_val(data_dir)]
    for name in RATED_SETS:
        sets[name] = [r.text for r in rated_set(data_dir, name)]
    for name in BINARY_SETS:
        sets[name] = [r.text for r in binary_set(data_dir, name)]
    sets["GoEmotions dev"] = [r.text for r in goemotions(data_dir, "dev")]
    return sets
