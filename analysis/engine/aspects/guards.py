"""What is never quoted and what is never read as praise.

**Profanity and personal attacks** (:func:`is_offensive`): a sentence is offensive when it holds
a word of the project's own list (:data:`PROFANE`, :data:`PROFANE_PREFIXES`: swear words and
slurs in the eight aspect languages, plus common romanised Hindi ones), a censored word
("f*ck", "sh!t", "a$$"), an insult aimed at a person (:data:`INSULTS`: "idiot", "moron",
"clown", ...), or an insulting adjective next to a person ("lazy devs", "you are pathetic":
:data:`ATTACK_ADJECTIVES` within three words of :data:`PEOPLE`). Offensive sentences still count
(what people say about an aspect is counted whatever the words), but they are never quoted, never
a pro or con point of a result, and their swear words are never aspects.

**Sarcasm** (:func:`sarcastic_sentences`): patterns that often mean the opposite of their words.
A sentence that matches one is read conservatively: its aspects count as criticised, never as
praised, and it is never quoted. The patterns:

- markers: "/s", "#sarcasm", a closing "NOT!";
- set phrases: "yeah right", "thanks for nothing", "great, just great", "just great",
  "oh great", "oh joy", "so-called", and their like in Spanish, French, German, Italian and
  Portuguese ("gracias por nada", "merci pour rien", "danke für nichts", ...);
- praise in scare quotes ("the 'improved' controls");
- "love how / love it when / gotta love / nice job / well done / bravo / best ... ever" in the
  same sentence as a negative event (:data:`NEGATIVE_EVENTS`: crashed, broke, deleted, lost,
  refund, ...), with no contrast word ("but", "although") between them;
- an exclamation made only of praise ("Great!", "Wow, amazing!", "Love it!") next to a
  sentence about a negative event (the sentence before or after it), with no contrast word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from analysis.engine.aspects.lexicon import TOKEN_RE

PROFANE = frozenset(
    # A word list reads and diffs better as text than as a list of string literals.
    """
    fuck fucks fucked fucker fuckers fucking fuckin fck fcking fk fuk fukin fuking shit shits shitty
    shite bullshit crap crappy arse ass asses asshole assholes arsehole dumbass jackass bitch bitches
    bitching bastard bastards dick dicks dickhead cock cocks cunt cunts piss pissed prick pricks twat
    wanker wankers bollocks slut sluts whore whores fag fags faggot faggots retard retards retarded
    nigger niggers nigga niggas douche douchebag goddamn goddamnit wtf stfu gtfo fml motherfucker
    motherfuckers motherfucking chutiya chutiye madarchod bhenchod behenchod bhosdike gandu saala
    mierda puta puto putas putos joder jodido coño cabrón cabron pendejo pendejos gilipollas
    merde putain connard connards connasse salope salopes enculé enculés encule foutre chier
    scheiße scheisse scheiß scheiss arschloch arschlöcher fotze wichser hurensohn
    cazzo cazzi merda stronzo stronzi vaffanculo puttana minchia coglione coglioni
    porra caralho foda foder fodido buceta babaca
    خرا زفت شرموطة منيوك
    चूतिया मादरचोद बहनचोद भोसड़ी गांडू हरामी कमीना
    """.split()  # noqa: SIM905
)
PROFANE_PREFIXES = (
    "fuck", "motherfuck", "bullshit", "asshole", "shitt", "bitch", "cunt", "wank", "nigg",
    "scheiß", "scheiss", "vaffancul", "stronz", "coglion", "caralh", "chutiy", "madarch", "bhench",
)  # fmt: skip
# Insults: attacks whoever they are aimed at.
INSULTS = frozenset(
    """
    idiot idiots idiotic moron morons moronic imbecile imbeciles cretin cretins dimwit dimwits
    halfwit nitwit loser losers clown clowns scum scumbag scumbags jerk jerks dipshit numbnuts
    idiota idiotas imbécil imbéciles estúpido estúpidos estúpida tonto tontos subnormal
    imbécile imbéciles abruti abrutis débile débiles crétin crétins
    vollidiot vollidioten depp deppen dummkopf trottel spast
    imbecille imbecilli cretino cretini deficiente
    otário otários idiotas imbecil
    غبي أغبياء حقير حمار
    बेवकूफ मूर्ख गधा
    """.split()  # noqa: SIM905
)
# Adjectives that attack when they are said of people: "lazy devs", "you are pathetic".
ATTACK_ADJECTIVES = frozenset(
    [
        "stupid",
        "dumb",
        "pathetic",
        "incompetent",
        "lazy",
        "greedy",
        "worthless",
        "useless",
        "braindead",
        "brainless",
        "clueless",
    ]
)
PEOPLE = frozenset(
    """
    you your you're youre u ur dev devs developer developers publisher publishers author authors
    creator creators streamer streamers admin admins mod mods moderator moderators staff owner
    owners he she him her guy guys people person team company
    """.split()  # noqa: SIM905
)
# Only in this language: "con" is French for idiot but Spanish and Italian for "with".
_PROFANE_IN = {"fr": frozenset({"con", "cons", "conne"}), "pt": frozenset({"cu"})}
# A censored swear word: letters with *, #, @, $ or ! inside ("f*ck", "sh!t", "a$$").
_CENSORED_RE = re.compile(r"(?i)(?<![\w*])[a-z]+[*#@$!]+[a-z]*[*#@$]*(?![\w*])|(?<![\w*])[a-z]\$\$")

# --- sarcasm ----------------------------------------------------------------------------------------

NEGATIVE_EVENTS = frozenset(
    """
    crash crashes crashed crashing crashy broke broken breaks breaking bug bugs bugged buggy glitch
    glitches glitched glitchy lost lose loses losing deleted delete deletes wiped wipes corrupt
    corrupted freeze freezes froze frozen freezing lag lags lagging laggy stutter stutters
    stuttering disconnect disconnects disconnected kicked banned ban refund refunded uninstall
    uninstalled unplayable error errors fail fails failed stuck wasted waste died dies removed
    nerfed ruined ruins ruin charged overcharged scam scammed
    """.split()  # noqa: SIM905
)
_PRAISE_WORDS = frozenset(
    """
    great amazing awesome wonderful fantastic brilliant perfect excellent lovely nice superb
    love loved loving incredible fabulous marvelous marvellous outstanding splendid terrific cool
    sweet best greatest genius thanks thank bravo congrats congratulations
    """.split()  # noqa: SIM905
)
# Words that may stand beside praise in a praise-only exclamation ("Wow, just great!", "Love it!").
_EXCLAMATION_FILLERS = frozenset(
    [
        "wow",
        "oh",
        "just",
        "so",
        "really",
        "simply",
        "truly",
        "absolutely",
        "well",
        "it",
        "this",
        "that",
        "very",
        "yay",
    ]
)
_NEGATORS = frozenset(
    [
        "no",
        "not",
        "never",
        "without",
        "zero",
        "nothing",
        "none",
        "isn't",
        "wasn't",
        "don't",
        "doesn't",
        "didn't",
    ]
)
_CONTRAST_RE = re.compile(
    r"(?i)\b(?:but|however|although|though|even though|despite|except|yet|still|pero|aunque|mais|aber|ma|mas)\b"
)
_SARCASM_RE = re.compile(
    r"(?i)(?:(?<!\w)/s(?!\w)|#sarcasm\b|(?-i:\bNOT!)|"
    r"\byea(?:h)?,?\s+right\b|\bthanks?\s+(?:a\s+lot\s+)?for\s+nothing\b|"
    r"\bgreat,?\s+just\s+great\b|^\W*just\s+great\b|\boh,?\s+(?:great|joy|wonderful|perfect|brilliant)\b|"
    r"\bso[- ]called\b|"
    r"\bgracias\s+por\s+nada\b|\bs[ií],?\s+claro\b|\bmerci\s+pour\s+rien\b|\bc'est\s+ça,?\s+oui\b|"
    r"\bdanke\s+f[üu]r\s+nichts\b|\bja,?\s+klar\b|\bgrazie\s+per\s+niente\b|\bobrigad[oa]\s+por\s+nada\b|"
    r"\bvaleu\s+por\s+nada\b|"
    r"[\"\u201c'\u2018](?:great|best|amazing|good|improved|fixed|awesome|fantastic|perfect|better|smart|"
    r"balanced|optimi[sz]ed|polished|working)[\"\u201d'\u2019])"
)
# "Love how it crashes", "nice job breaking saves", "best update ever, lost my progress".
_IRONIC_PRAISE_RE = re.compile(
    r"(?i)\b(?:(?:i\s+)?(?:just\s+)?love\s+(?:it\s+)?(?:how|when|that)|gotta\s+love|got\s+to\s+love|"
    r"you\s+(?:have|got)\s+to\s+love|nice\s+(?:job|work|one)|good\s+job|great\s+job|well\s+done|"
    r"way\s+to\s+go|bravo|congrat(?:s|ulations)|(?:best|greatest)\b.{0,40}\bever)\b"
)


def _words(text: str) -> list[str]:
    return [m.group().lower().replace("\u2019", "'") for m in TOKEN_RE.finditer(text)]


def profane_word(word: str, language: str | None = None) -> bool:
    """Whether one lower-case word is a swear word or a slur (never an aspect, never quoted)."""
    word = word.lower()
    return (
        word in PROFANE
        or word.startswith(PROFANE_PREFIXES)
        or word in INSULTS
        or (language is not None and word in _PROFANE_IN.get(language, ()))
    )


def is_offensive(text: str, language: str | None = None, words: list[str] | None = None) -> bool:
    """Whether ``text`` swears, holds a slur or a censored swear word, or attacks a person (see
    the module docstring). ``words`` may carry its lower-case words when the caller has them."""
    if any(ch in text for ch in "*#@$!") and _CENSORED_RE.search(text):
        return True
    if words is None:
        words = _words(text)
    for i, word in enumerate(words):
        if profane_word(word, language):
            return True
        if word in ATTACK_ADJECTIVES and any(w in PEOPLE for w in words[max(0, i - 3) : i + 4]):
            return True
    return False


def _negative_event(words: list[str]) -> bool:
    """A negative event word not negated by one of the two words before it ("no bugs")."""
    for i, word in enumerate(words):
        if word in NEGATIVE_EVENTS and not any(w in _NEGATORS for w in words[max(0, i - 2) : i]):
            return True
    return False


def _praise_only(words: list[str]) -> bool:
    """A short exclamation made only of praise and fillers: "Great!", "Wow, just amazing..."."""
    if not words or len(words) > 4:
        return False
    return any(w in _PRAISE_WORDS for w in words) and all(
        w in _PRAISE_WORDS or w in _EXCLAMATION_FILLERS for w in words
    )


@lru_cache(maxsize=4096)
def _sentence_sarcastic(sentence: str) -> bool:
    if _SARCASM_RE.search(sentence):
        return True
    match = _IRONIC_PRAISE_RE.search(sentence)
    if match:
        after = sentence[match.end() :]
        before = sentence[: match.start()]
        # "Best game ever, even though it crashed once" contrasts; it is not irony.
        if not _CONTRAST_RE.search(after) and _negative_event(_words(after)):
            return True
        if not _CONTRAST_RE.search(before) and _negative_event(_words(before)) and len(_words(before)) <= 12:
            return True
    return False


def sarcastic_sentences(sentences: list[str], words: list[list[str]] | None = None) -> set[int]:
    """Indexes of the sentences (in text order) read as sarcastic (see the module docstring).
    ``words`` may carry each sentence's lower-case words when the caller has them."""
    if words is None:
        words = [_words(s) for s in sentences]
    flagged = {i for i, s in enumerate(sentences) if _sentence_sarcastic(s)}
    for i in range(len(sentences)):
        if i in flagged or not _praise_only(words[i]):
            continue
        for j in (i - 1, i + 1):
            if (
                0 <= j < len(sentences)
                and not _CONTRAST_RE.match(sentences[j].lstrip())
                and _negative_event(words[j])
            ):
                flagged.add(i)
                break
    return flagged
