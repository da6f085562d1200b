"""Aspect mentions of one text: which noun phrases it names, in which sentence, judged how.

No tagger model exists here, so nouns are found by words and their neighbours:

- **English**: a word is a candidate when it is not a stop word, a swear word, a whole-thing or
  generic word (:mod:`.lexicon`), nor a word that judges rather than names (VADER's lexicon:
  "great", "fun", "love"; a few nouns of that lexicon that name aspects are kept:
  :data:`ASPECT_NOUNS_IN_LEXICON`). It must have a noun reading in ``lemminflect``'s lexicon, or
  be unknown to it ("gameplay", "roguelike": such words count only once two results use them,
  so one-off typos never show). A word that is also a verb or an adjective ("play", "sound")
  is a noun only in a noun's place: after an article, a possessive, a preposition or an
  adjective, before a verb such as "is" or "feels", or before another noun of the phrase; never
  after "to", a pronoun or a modal ("to play", "I play", "can't run"). Up to three such words
  next to each other (a space or a hyphen between them) form a phrase ("battery life",
  "boss fights").
- **German**: a capitalised word that is not a stop word (German writes nouns capitalised); one
  that is only ever seen at the start of a sentence is not taken.
- **Spanish, French, Italian, Portuguese**: the content word right after an article, a
  demonstrative or a possessive ("la batería", "l'histoire"), skipping a few adjectives that
  stand before nouns ("un gran juego": "gran").
- **Arabic**: the first word of a run of words with the definite article ("الرسومات").
- **Hindi**: a content word right before a postposition ("कीमत में"), or the first content word
  of a clause.
- In every language: a word written capitalised in the middle of sentences (seven times in ten
  or more) is a name ("Fidel", "Dungeonmans", "Google"), not an aspect; all-caps words of two to
  five letters are acronyms ("UI", "DLC") and are kept.

**Judged how**: each sentence is split into parts at contrast words and semicolons ("great
graphics, but the price is a rip-off" has two parts) and each part into clauses at commas.
A mention takes the score of its clause when that clause is positive or negative, else the score
of its part: the sentiment of the words around the aspect, never of the whole review. Scores
come from a *sentence scorer*, a callable ``scorer(texts, language) -> [score or None]`` (-1..1;
None when it cannot judge that language): VADER for English by default
(:func:`vader_scorer`); another model plugs in through the same callable.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from analysis.engine import sentiment
from analysis.engine.aspects import guards, lexicon
from analysis.engine.aspects.noise import mask_noise
from analysis.engine.text import sentence_spans, trim_span

SentenceScorer = Callable[[Sequence[str], str], Sequence[float | None]]

MAX_PHRASE_WORDS = 3
# A sarcastic sentence counts as criticism at least this strong (VADER's "negative" starts at -0.05).
SARCASM_SCORE = -0.3
# A clause scored inside this band says nothing, so its part's score is used instead.
POLAR = sentiment.POSITIVE_THRESHOLD
# Nouns of VADER's lexicon that name an aspect rather than judge one: they may be aspects.
ASPECT_NOUNS_IN_LEXICON = frozenset(
    """
    humor humour comedy joke jokes support value reward rewards bonus bonuses prize prizes progress
    progression save saves security safety comfort friends party challenge challenges chance chances
    ability abilities talent strength difficulty weapon weapons enemy enemies monster monsters
    death deaths ghost ghosts fight fights battle battles war wars kill kills bomb bombs gun guns
    attack attacks defense defence trap traps fire damage poison villain villains hero heroes
    horror romance thriller tension pressure
    crash crashes lag error errors spam cheats cheaters cheating exploit exploits
    """.split()  # noqa: SIM905
)
# Of those, the ones whose own valence says nothing about them ("the enemies are clever"): they
# read as "thing" when a sentence is scored. The others are themselves the complaint ("crashes").
_COMPLAINT_NOUNS = frozenset(
    "crash crashes lag error errors spam cheats cheaters cheating exploit exploits".split()  # noqa: SIM905
)
_NEUTRALISED = ASPECT_NOUNS_IN_LEXICON - _COMPLAINT_NOUNS
_LEXICON_NOUN_RE = re.compile(r"(?i)\b(?:" + "|".join(sorted(_NEUTRALISED)) + r")\b")
# Romance adjectives that stand before their noun ("un gran juego", "une belle histoire").
_PRENOMINAL = frozenset(
    """
    gran grande grandes buen buena buenos buenas mal mala malos malas mejor mejores peor peores nuevo
    nueva pequeño pequeña enorme excelente increíble bon bonne bons bonnes beau belle bel beaux
    mauvais mauvaise meilleur meilleure petit petite grand grands vrai vraie gros grosse super
    superbe vero vera bello bella bel buono buona brutto brutta miglior migliore peggior peggiore
    piccolo piccola nuovo nuova bom boa bons boas ótimo ótima péssimo péssima melhor pior novo nova
    pequeno pequena primeiro primeira primer primera premier première primo prima
    """.split()  # noqa: SIM905
)
# Hindi words that judge: never the noun of a clause.
_HI_JUDGING = frozenset(
    [
        "अच्छा",
        "अच्छी",
        "अच्छे",
        "बुरा",
        "बुरी",
        "बुरे",
        "बेकार",
        "शानदार",
        "बढ़िया",
        "सुंदर",
        "खराब",
        "बेहतरीन",
        "मस्त",
        "ज़बरदस्त",
        "जबरदस्त",
        "घटिया",
        "महंगा",
        "सस्ता",
    ]
)
_CAPITALISED_NAMES = ("en", "es", "fr", "it", "pt")
# Words that follow a verb rather than a noun: pronouns and adverbs ("lasts an hour", "runs well").
_VERB_FOLLOWERS = frozenset(
    """
    it me you him her us them itself myself well fine badly really very so too just always never
    quickly slowly fast forever again up down out off away back here there now then
    """.split()  # noqa: SIM905
)
_NOT_NOUN_SUFFIXES = (
    "able",
    "ible",
    "ous",
    "ful",
    "less",
    "ish",
    "ive",
    "ical",
    "esque",
    "ly",
    "ed",
    "dy",
    "gy",
    "ky",
    "py",
)
_ELISION_RE = re.compile(r"^([^'\u2019]+['\u2019])(.+)$")


def vader_scorer(texts: Sequence[str], language: str) -> list[float | None]:
    """The default sentence scorer: VADER's compound score for English, None (no judgement) for
    any other language."""
    if language != "en":
        return [None] * len(texts)
    return [sentiment.compound(t) for t in texts]


class Word(NamedTuple):
    """One token: its lower-case form, offsets, and how it was written."""

    # A named tuple, not a frozen dataclass: a batch makes tens of thousands of them, and a
    # frozen dataclass's __init__ costs several times more.

    lower: str
    start: int
    end: int
    cased: str
    initial: bool  # first word of its sentence


@dataclass
class Mention:
    """One mention of a candidate aspect: up to three words in one clause."""

    words: list[Word]
    keys: tuple[str, ...]
    sentence: int
    clause: tuple[int, int]
    part: tuple[int, int]
    unknown: tuple[bool, ...]  # per word: not in the lexicon (English only)
    ambiguous_modifier: bool = False  # a modifier that may be an adjective ("sound design")
    initial: bool = False  # German: a capitalised word seen only at the start of its sentence
    # Per word: "noun", "ambiguous" (noun or verb...: a noun by its neighbours), "continued" (a
    # noun only as the next word of the phrase), "unknown" (not in the lexicon).
    kinds: tuple[str, ...] = ()
    score: float | None = None
    sarcastic: bool = False

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    @property
    def key(self) -> str:
        return " ".join(self.keys)

    def head(self) -> Mention:
        """The word the phrase is about: the last one, or the one before it when the last was
        read as a noun only as part of the phrase and looks like the verb of the one before
        ("the academy rocks", but "customer service" is about the service)."""
        at = len(self.words) - 1
        last = self.words[at].lower
        if (
            at > 0
            and self.kinds[at] == "continued"
            and last.endswith("s")
            and not self.words[at - 1].lower.endswith("s")
            and "VERB" in lexicon.english_readings(last)
        ):
            at -= 1
        return Mention(
            words=self.words[at : at + 1],
            keys=self.keys[at : at + 1],
            sentence=self.sentence,
            clause=self.clause,
            part=self.part,
            unknown=self.unknown[at : at + 1],
            kinds=self.kinds[at : at + 1],
            initial=self.initial,
            score=self.score,
            sarcastic=self.sarcastic,
        )


@dataclass
class TextMentions:
    """Everything found in one text."""

    text: str
    language: str
    masked: str
    sentences: list[tuple[int, int]]
    mentions: list[Mention] = field(default_factory=list)
    offensive: set[int] = field(default_factory=set)  # sentence indexes
    sarcastic: set[int] = field(default_factory=set)
    # (key, capitalised) for each word seen in the middle of a sentence: names are told by case.
    case_evidence: list[tuple[str, bool]] = field(default_factory=list)
    # The scorer's score of each clause that mentions an aspect.
    clause_scores: dict[tuple[int, int], float | None] = field(default_factory=dict)
    _scored_texts: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)

    def scored_text(self, span: tuple[int, int]) -> str:
        """The text of ``span`` as the scorer reads it (kept: a batch asks up to three times)."""
        text = self._scored_texts.get(span)
        if text is None:
            text = self.masked[span[0] : span[1]]
            if self.language == "en":
                # "The enemies are clever" praises the enemies: an aspect's own name is no verdict.
                text = _LEXICON_NOUN_RE.sub("thing", text)
            self._scored_texts[span] = text
        return text


# --- tokens -------------------------------------------------------------------------------------


def _words(masked: str, start: int, end: int, language: str) -> list[Word]:
    words: list[Word] = []
    elides = language in ("fr", "it", "es", "pt")
    for match in lexicon.TOKEN_RE.finditer(masked, start, end):
        cased = match.group()
        if "\u2019" in cased:
            cased = cased.replace("\u2019", "'")
        w_start = match.start()
        if elides:
            elided = _ELISION_RE.match(cased)
            if elided:
                prefix = elided.group(1)
                words.append(Word(prefix.lower(), w_start, w_start + len(prefix), prefix, not words))
                cased = elided.group(2)
                w_start += len(prefix)
        words.append(Word(cased.lower(), w_start, w_start + len(cased), cased, not words))
    return words


def _acronym(word: Word) -> bool:
    """All capitals, two to five letters, maybe a plural "s" ("UI", "NPCs")."""
    return _acronym_form(word.cased)


@lru_cache(maxsize=100_000)
def _acronym_form(cased: str) -> bool:
    letters = cased[:-1] if cased.endswith("s") and len(cased) > 2 else cased
    return 2 <= len(letters) <= 5 and letters.isupper() and letters.isalpha()


@lru_cache(maxsize=1)
def _judging_words() -> frozenset[str]:
    return frozenset(sentiment.analyzer().lexicon) - ASPECT_NOUNS_IN_LEXICON


@lru_cache(maxsize=200_000)
def _excluded(lower: str, language: str) -> bool:
    if lower in lexicon.stop_words(language) or guards.profane_word(lower, language):
        return True
    return lower in lexicon.not_aspects(language) or lexicon.word_key(lower, language) in lexicon.not_aspects(
        language
    )


# --- English --------------------------------------------------------------------------------------


def _english_class(word: Word) -> str | None:
    """ "noun", "ambiguous" (noun or something else), "unknown" (not in the lexicon), or None."""
    return _english_class_as_written(word.cased)


@lru_cache(maxsize=200_000)
def _english_class_as_written(cased: str) -> str | None:
    # One cache look-up a word: the class depends on the lower-case form and on the capitals.
    return _english_class_of(cased.lower(), _acronym_form(cased))


@lru_cache(maxsize=200_000)
def _english_class_of(lower: str, acronym: bool) -> str | None:
    if "'" in lower or (len(lower) < 3 and not acronym):
        return None
    if _excluded(lower, "en") or lower in _judging_words():
        return None
    readings = lexicon.english_readings(lower)
    if not readings:
        # Unknown words are mostly nouns ("gameplay"), unless they look like adjectives,
        # adverbs or past participles ("replayable", "grindy", "overhyped"), or are function
        # words of another language.
        if (
            (not acronym and lower.endswith(_NOT_NOUN_SUFFIXES))
            or lower in lexicon.foreign_stop_words()
            or lower in lexicon.foreign_not_aspects()
        ):
            return None
        return "unknown"
    if "NOUN" not in readings:
        return None
    return "ambiguous" if readings - {"NOUN", "PROPN"} else "noun"


@lru_cache(maxsize=200_000)
def _adjective_like(lower: str) -> bool:
    readings = lexicon.english_readings(lower)
    return "ADJ" in readings or lower in _judging_words()


def _noun_place(
    words: list[Word], classes: list[str | None], accepted: list[str | None], i: int, masked: str
) -> str | None:
    """How a word that may be a noun or something else stands where a noun stands: "ambiguous"
    (by its own neighbours), "continued" (only as the next word of a phrase), or None (it does
    not). ``accepted``: the decisions already taken for the words before it."""
    prev = words[i - 1].lower if i > 0 else None
    nxt = words[i + 1].lower if i + 1 < len(words) else None
    if prev in lexicon.EN_VERB_AFTER:
        return None
    if (
        nxt is not None
        and classes[i + 1] is None
        and "ADJ" in lexicon.english_readings(words[i].lower)
        and "NOUN" in lexicon.english_readings(nxt)
    ):
        return None  # "a great little game": an adjective of a noun that is no aspect
    if i > 0 and accepted[i - 1] is not None and _joined(masked, words[i - 1], words[i]):
        # The second noun of a phrase ("boss fight"), unless it reads as the verb of the first
        # ("the battery lasts an hour").
        if nxt is not None and (
            nxt in lexicon.EN_NOUN_BEFORE or nxt in _VERB_FOLLOWERS or _adjective_like(nxt)
        ):
            return None
        return "continued"
    if (
        prev in lexicon.EN_NOUN_BEFORE
        or (prev is not None and _adjective_like(prev) and classes[i - 1] is None)
        or nxt in lexicon.EN_NOUN_AFTER
        or (nxt is not None and classes[i + 1] in ("noun", "unknown"))
    ):
        return "ambiguous"
    return None


def _trim_adjective(words: list[Word], run: list[int], masked: str) -> list[int]:
    """Drop a run's last words while they can be adjectives right before a noun that is no
    aspect ("a total rip-off")."""
    while run:
        last = run[-1]
        nxt = words[last + 1] if last + 1 < len(words) else None
        if not (
            nxt is not None
            and _joined(masked, words[last], nxt)
            and "ADJ" in lexicon.english_readings(words[last].lower)
            and "NOUN" in lexicon.english_readings(nxt.lower)
        ):
            break
        run = run[:-1]
    return run


def _english_runs(words: list[Word], masked: str) -> list[list[tuple[Word, str]]]:
    classes = [_english_class(w) for w in words]
    accepted: list[str | None] = []
    for i, kind in enumerate(classes):
        accepted.append(kind if kind != "ambiguous" else _noun_place(words, classes, accepted, i, masked))
    # A word hyphenated to a word that is no candidate is part of a modifier ("turn-based").
    dropped = {
        i
        for i in range(len(words))
        for j in (i - 1, i + 1)
        if accepted[i] is not None
        and 0 <= j < len(words)
        and accepted[j] is None
        and _hyphenated(masked, words[min(i, j)], words[max(i, j)])
    }
    runs: list[list[int]] = []
    for i in range(len(words)):
        if accepted[i] is None or i in dropped:
            continue
        if runs and runs[-1][-1] == i - 1 and _joined(masked, words[i - 1], words[i]):
            runs[-1].append(i)
        else:
            runs.append([i])
    trimmed = (_trim_adjective(words, run, masked) for run in runs)
    return [[(words[i], accepted[i]) for i in run] for run in trimmed if run]


def _joined(masked: str, left: Word, right: Word) -> bool:
    gap = masked[left.end : right.start]
    return gap.strip(" -") == "" and len(gap) <= 2 and "\n" not in gap


def _hyphenated(masked: str, left: Word, right: Word) -> bool:
    return masked[left.end : right.start] == "-"


# --- other languages -----------------------------------------------------------------------------


def _german_runs(words: list[Word]) -> list[list[tuple[Word, str]]]:
    runs = []
    for word in words:
        if len(word.lower) < 3 or not word.cased[0].isupper() or _excluded(word.lower, "de"):
            continue
        if word.lower in lexicon.stop_words("en"):
            continue  # "The", "This": an English sentence in a text taken for German
        runs.append([(word, "initial" if word.initial else "noun")])
    return runs


def _romance_runs(words: list[Word], language: str) -> list[list[tuple[Word, str]]]:
    determiners = lexicon.romance_determiners(language)
    runs = []
    for i, word in enumerate(words):
        if i == 0 or words[i - 1].lower.rstrip("'") not in determiners:
            continue
        candidate = word
        if word.lower in _PRENOMINAL and i + 1 < len(words):
            candidate = words[i + 1]
        if len(candidate.lower) < 3 or candidate.lower in _PRENOMINAL or _excluded(candidate.lower, language):
            continue
        runs.append([(candidate, "noun")])
    return runs


def _arabic_runs(words: list[Word]) -> list[list[tuple[Word, str]]]:
    runs = []
    previous_definite = False
    for word in words:
        definite = bool(lexicon.AR_DEFINITE_RE.match(word.lower))
        # In a run of definite words the first is the noun, the others agree with it.
        if definite and not previous_definite and not _excluded(word.lower, "ar"):
            noun = word
            if word.lower[0] in "وفبك" and word.lower[1:3] == "ال":
                # A conjunction or preposition written onto the word ("والقصة"): the noun follows.
                noun = Word(word.lower[1:], word.start + 1, word.end, word.cased[1:], word.initial)
            runs.append([(noun, "noun")])
        previous_definite = definite
    return runs


def _hindi_runs(words: list[Word]) -> list[list[tuple[Word, str]]]:
    runs = []
    first_content = True
    for i, word in enumerate(words):
        if len(word.lower) < 2 or word.lower in lexicon.stop_words("hi"):
            continue
        before_postposition = i + 1 < len(words) and words[i + 1].lower in lexicon.HI_POSTPOSITIONS
        if (
            (before_postposition or first_content)
            and not _excluded(word.lower, "hi")
            and word.lower not in _HI_JUDGING
        ):
            runs.append([(word, "noun")])
        first_content = False
    return runs


# --- parts, clauses, scores -----------------------------------------------------------------------


def _parts(masked: str, sentence: tuple[int, int], language: str) -> list[tuple[int, int]]:
    start, end = sentence
    spans, cursor = [], start
    for match in lexicon.contrast_re(language).finditer(masked, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return [(s, e) for s, e in (trim_span(masked, *span) for span in spans) if e > s]


def _clauses(masked: str, part: tuple[int, int]) -> list[tuple[int, int]]:
    """The part split at commas, a piece of fewer than two words staying with its neighbour."""
    start, end = part
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in re.finditer("[,\u060c]", masked[start:end]):
        pieces.append((cursor, start + match.start()))
        cursor = start + match.end()
    pieces.append((cursor, end))
    merged: list[tuple[int, int]] = []
    for piece in pieces:
        if merged and (_word_total(masked, merged[-1]) < 2 or _word_total(masked, piece) < 2):
            merged[-1] = (merged[-1][0], piece[1])
        else:
            merged.append(piece)
    return [(s, e) for s, e in (trim_span(masked, *span) for span in merged) if e > s]


def _word_total(masked: str, span: tuple[int, int]) -> int:
    return len(lexicon.TOKEN_RE.findall(masked, span[0], span[1]))


# Sentence ends the shared splitter does not know: the Devanagari danda and the Arabic question mark.
_MORE_ENDS_RE = re.compile(r"[\u0964\u0965\u061f]+(?=\s|$)")


def _sentences(masked: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in sentence_spans(masked):
        cursor = start
        for match in _MORE_ENDS_RE.finditer(masked, start, end):
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, end))
    return [(s, e) for s, e in (trim_span(masked, *span) for span in spans) if e > s]


def find_mentions(text: str, language: str, scorer: SentenceScorer | None = vader_scorer) -> TextMentions:
    """The candidate aspect mentions of ``text`` in ``language`` (an aspect language of
    :mod:`.lexicon`), each scored with ``scorer`` (None: left unscored). Sentences that are
    offensive or sarcastic are marked (:mod:`.guards`); a sarcastic sentence's mentions count as
    criticism (:data:`SARCASM_SCORE` at least)."""
    text = text or ""
    masked = mask_noise(text)
    found = TextMentions(text=text, language=language, masked=masked, sentences=_sentences(masked))
    sentence_texts = [masked[s:e] for s, e in found.sentences]
    sentence_words: list[list[str]] = []
    for index, sentence in enumerate(found.sentences):
        lowered: list[str] = []
        for part in _parts(masked, sentence, language):
            for clause in _clauses(masked, part):
                words = _words(masked, clause[0], clause[1], language)
                if words and clause[0] > sentence[0]:
                    # Only the sentence's own first word is sentence-initial.
                    words[0] = Word(words[0].lower, words[0].start, words[0].end, words[0].cased, False)
                lowered.extend(w.lower for w in words)
                _collect(found, words, index, clause, part)
        sentence_words.append(lowered)
    found.sarcastic = guards.sarcastic_sentences(sentence_texts, sentence_words)
    found.offensive = {
        i for i, text in enumerate(sentence_texts) if guards.is_offensive(text, language, sentence_words[i])
    }
    for mention in found.mentions:
        mention.sarcastic = mention.sentence in found.sarcastic
    if scorer is not None:
        _score(found, scorer)
    return found


def _multiword_names(words: list[Word], masked: str, language: str) -> set[int]:
    """``id()`` of the words of capitalised multi-word names ("Fidel Dungeon Rescue", "Steam
    Deck"): two or more capitalised words next to each other, not stop words, one of them at
    least in the middle of its sentence."""

    def titled(word: Word) -> bool:
        return (
            word.cased[:1].isupper() and not _acronym(word) and word.lower not in lexicon.stop_words(language)
        )

    named: set[int] = set()
    for left, right in itertools.pairwise(words):
        if (
            titled(left)
            and titled(right)
            and not (left.initial and right.initial)
            and masked[left.end : right.start] == " "
        ):
            named.update((id(left), id(right)))
    return named


def _collect(found: TextMentions, words: list[Word], sentence: int, clause, part) -> None:
    language = found.language
    if language == "en":
        runs = _english_runs(words, found.masked)
    elif language == "de":
        runs = _german_runs(words)
    elif language == "ar":
        runs = _arabic_runs(words)
    elif language == "hi":
        runs = _hindi_runs(words)
    else:
        runs = _romance_runs(words, language)
    if language in _CAPITALISED_NAMES:
        for word in words:
            if not word.initial and not _acronym(word) and len(word.lower) >= 3:
                found.case_evidence.append((lexicon.word_key(word.lower, language), word.cased[0].isupper()))
        named = _multiword_names(words, found.masked, language)
        # "Steam Deck support": what follows a name may be an aspect, the name is not.
        runs = [
            run[max((i + 1 for i, (w, _) in enumerate(run) if id(w) in named), default=0) :] for run in runs
        ]
    for whole in runs:
        if not whole:
            continue
        run = whole[-MAX_PHRASE_WORDS:]
        run_words = [w for w, _ in run]
        found.mentions.append(
            Mention(
                words=run_words,
                keys=tuple(lexicon.word_key(w.lower, language) for w in run_words),
                sentence=sentence,
                clause=clause,
                part=part,
                unknown=tuple(kind == "unknown" for _, kind in run),
                kinds=tuple(kind for _, kind in run),
                initial=run[-1][1] == "initial",
                ambiguous_modifier=any(language == "en" and _adjective_like(w.lower) for w in run_words[:-1]),
            )
        )


def score_batch(founds: Sequence[TextMentions], scorer: SentenceScorer) -> None:
    """Score the mentions of many texts (found with ``scorer=None``) with as few ``scorer``
    calls as there are languages in each of two rounds, the same scores :func:`find_mentions`
    would give one text at a time: a model's cost per call dwarfs its cost per sentence.

    Round one asks for every clause, round two for the parts of clauses that say nothing; a
    last pass writes the scores."""
    known: dict[tuple[str, str], float | None] = {}

    def recording(texts: Sequence[str], language: str) -> list[float | None]:
        for text in texts:
            wanted.setdefault(language, set()).add(text)
        return [known.get((language, t)) for t in texts]

    for _ in range(2):
        wanted: dict[str, set[str]] = {}
        for found in founds:
            _score(found, recording)
        for language, texts in wanted.items():
            todo = sorted(t for t in texts if (language, t) not in known)
            if todo:
                known.update(((language, t), v) for t, v in zip(todo, scorer(todo, language), strict=True))
    for found in founds:
        _score(found, lambda texts, language: [known[(language, t)] for t in texts])


def _score(found: TextMentions, scorer: SentenceScorer) -> None:
    """Each mention's clause is scored; its part only when the clause says nothing."""
    scores: dict[tuple[int, int], float | None] = {}

    def score_all(spans: set[tuple[int, int]]) -> None:
        todo = sorted(spans - scores.keys())
        if not todo:
            return
        texts = [found.scored_text(span) for span in todo]
        scores.update(zip(todo, scorer(texts, found.language), strict=True))

    score_all({m.clause for m in found.mentions})
    found.clause_scores = {m.clause: scores[m.clause] for m in found.mentions}
    score_all(
        {m.part for m in found.mentions if scores[m.clause] is not None and abs(scores[m.clause]) < POLAR}
    )
    for mention in found.mentions:
        clause = scores[mention.clause]
        value = clause if clause is None or abs(clause) >= POLAR else scores[mention.part]
        if mention.sarcastic:
            value = min(-abs(value or 0.0), SARCASM_SCORE)
        mention.score = None if value is None else round(float(value), 4)
