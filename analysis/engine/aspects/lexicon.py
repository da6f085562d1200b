"""Word lists and word forms for aspects, per language.

Languages: Arabic (ar), German (de), English (en), Spanish (es), French (fr), Hindi (hi),
Italian (it) and Portuguese (pt); "und" (too short to tell) is read as English. Other languages
get no aspects (:func:`supported`).

- **Stop words**: the ``stop-words`` package's list for each language except English, whose
  list there (1,300 words) also drops aspect nouns ("value", "problem", "system", "room");
  English uses the project's own function-word list (:data:`analysis.engine.text.STOP_WORDS`)
  plus :data:`_EN_EXTRA_STOP`. A few nouns the packaged lists hold are kept (:data:`_KEEP`).
- **Not aspects** in any language: words that name the thing reviewed as a whole ("game",
  "app", "juego", "Spiel": :data:`WHOLE_THING`), generic nouns ("thing", "people", "reason"),
  link and file words left by broken markup ("http", "com", "gif").
- **Grouping key**: English nouns by their noun lemma from ``lemminflect``'s lexicon
  ("puzzles" -> "puzzle", "graphics" -> "graphic"), other words by their Snowball stem
  (``snowballstemmer``). A key is only ever a grouping key: what is shown is a surface form
  that occurs in the texts.
- **Nouns** (English): a word with a noun reading in ``lemminflect``'s lexicon, or a word the
  lexicon does not know ("gameplay", "roguelike"); see :mod:`.mentions` for the context rules.
"""

from __future__ import annotations

import re
from functools import lru_cache

import lemminflect
import snowballstemmer
from stop_words import get_stop_words

from analysis.engine.text import STOP_WORDS as EN_STOP_WORDS

LANGUAGES = ("ar", "de", "en", "es", "fr", "hi", "it", "pt")
_STEMMER_NAMES = {
    "ar": "arabic",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "hi": "hindi",
    "it": "italian",
    "pt": "portuguese",
}

# Letters (no digits, no underscore) and the combining marks that Devanagari and Arabic words
# are written with (Python's \w leaves the marks out, which would cut Hindi words apart).
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
_LETTER = rf"(?:[^\W\d_]|[{_MARKS}])"
TOKEN_RE = re.compile(rf"{_LETTER}+(?:['\u2019]{_LETTER}+)*")


def language_of(code: str | None) -> str | None:
    """The aspect language for a stored language code, or None when aspects are not extracted
    for it. "und" and an unknown code (None) are read as English."""
    code = (code or "und").lower().split("-")[0]
    if code in ("und", ""):
        return "en"
    return code if code in LANGUAGES else None


def supported(code: str | None) -> bool:
    """Whether texts in this language get aspects."""
    return language_of(code) is not None


# --- stop words ---------------------------------------------------------------------------------

_EN_EXTRA_STOP = frozenset(
    # A word list reads and diffs better as text than as a list of string literals.
    """
    ain't aint wanna gonna gotta kinda sorta u ur ya yeah yep nope hey hi hello pls plz tbh imo imho
    idk btw omg wtf lmao rofl smh fyi afaik iirc edit edited ps etc ect eg ie vs
    i'd i'll he's she's here's who's where's how's let's we'll they'll they've they'd it'll
    mr mrs ms dr also anyway everything anything nothing something somebody everybody nobody
    would've could've should've gets got become becomes
    """.split()  # noqa: SIM905
)
# Nouns the packaged lists drop that are aspects in reviews ("valor" is value, "trabalho" work).
_KEEP = frozenset({"valor", "valeur", "lavoro", "trabalho", "servicio", "service", "servizio"})

# The thing reviewed as a whole: saying the game is great is the overall sentiment, not an aspect.
WHOLE_THING = {
    "en": "game games product products app apps application software item items video videos title titles",
    "es": "juego juegos producto productos aplicación app vídeo video título",
    "fr": "jeu jeux produit produits application appli app vidéo titre",
    "de": "spiel spiele produkt produkte app anwendung video titel",
    "it": "gioco giochi prodotto prodotti applicazione app video titolo",
    "pt": "jogo jogos produto produtos aplicativo aplicação app vídeo título",
    "ar": "لعبة اللعبة ألعاب الألعاب منتج المنتج تطبيق التطبيق فيديو الفيديو",
    "hi": "गेम खेल उत्पाद प्रोडक्ट ऐप वीडियो",
}
# Nouns that name no aspect, and words left over from links, files and platform markup.
_GENERIC = {
    "en": """
        thing things stuff lot lots bit bits kind sort sorts type types way ways reason reasons people
        person guy guys dude man men woman women someone everyone anyone fact point opinion opinions
        review reviews reviewer recommendation recommend experience experiences hour hours minute
        minutes second seconds today tonight moment moments yesterday week weeks month months year
        years day days time times end start beginning beginnings one ones half whole rest number
        numbers percent amount example case cases question questions answer answers idea ideas
        word words part parts side sides place places something nothing anything everything
        http https www com org net html htm php gif gifs gifv jpg jpeg png webp imgur youtube youtu
        reddit subreddit steam link links url urls pic pics image images screenshot screenshots
        lol lmao xd ok okay yes no please thanks thank god omg wow oh ah uh um hmm haha hah
        little small big ton tons bunch plenty load loads couple variety amount deal pile heap
        pros cons tl dr tldr summary overview conclusion verdict note notes rating ratings problem
        problems issue issues aspect aspects feature features sense
        monday tuesday wednesday thursday friday saturday sunday january february march april may
        june july august september october november december weekend
        """,
    "es": "cosa cosas gente persona personas vez veces hora horas día días año años tiempo parte "
    "forma manera momento verdad opinión reseña http https www com gif",
    "fr": "chose choses gens personne personnes fois heure heures jour jours année années temps partie "
    "façon manière moment avis critique http https www com gif",
    "de": "sache sachen leute person personen mal stunde stunden tag tage jahr jahre zeit teil art weise "
    "moment meinung http https www com gif",
    "it": "cosa cose gente persona persone volta volte ora ore giorno giorni anno anni tempo parte modo "
    "maniera momento opinione recensione http https www com gif",
    "pt": "coisa coisas gente pessoa pessoas vez vezes hora horas dia dias ano anos tempo parte forma "
    "maneira momento opinião análise http https www com gif",
    "ar": "شيء أشياء الناس شخص مرة وقت الوقت يوم سنة ساعة ساعات",
    "hi": "चीज़ चीज लोग व्यक्ति बार समय दिन साल घंटे",
}


@lru_cache(maxsize=16)
def stop_words(language: str) -> frozenset[str]:
    """Lower-case stop words of ``language`` (one of :data:`LANGUAGES`)."""
    if language == "en":
        return EN_STOP_WORDS | _EN_EXTRA_STOP
    words = {w.lower() for w in get_stop_words(language)}
    # Elided forms are split off by the tokenizer ("l'" of "l'histoire"); keep the bare ones too.
    words |= {w.rstrip("'\u2019") for w in words}
    return frozenset(words - _KEEP)


@lru_cache(maxsize=1)
def foreign_stop_words() -> frozenset[str]:
    """Stop words of the other aspect languages: an "English" text that is really Spanish (a
    language guess on a short text can be wrong) must not make "que" or "por" an aspect."""
    return frozenset().union(*(stop_words(code) for code in LANGUAGES if code != "en"))


@lru_cache(maxsize=1)
def foreign_not_aspects() -> frozenset[str]:
    """Whole-thing and generic words of the other aspect languages ("juego" in a text taken for
    English)."""
    return frozenset().union(*(not_aspects(code) for code in LANGUAGES if code != "en"))


@lru_cache(maxsize=16)
def not_aspects(language: str) -> frozenset[str]:
    """Grouping keys of words that are never aspects in ``language`` (whole-thing and generic
    words), so that their inflected forms are caught too."""
    words = f"{WHOLE_THING.get(language, '')} {_GENERIC.get(language, '')}".split()
    return frozenset(word_key(w.lower(), language) for w in words) | frozenset(w.lower() for w in words)


# --- word forms ---------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _stemmer(language: str):
    return snowballstemmer.stemmer(_STEMMER_NAMES[language])


@lru_cache(maxsize=1)
def _lemmatizer():
    # lemminflect's lexicon is a lookup table shipped in the package (no model is loaded for it).
    return lemminflect


@lru_cache(maxsize=200_000)
def english_readings(word: str) -> frozenset[str]:
    """The parts of speech ``lemminflect``'s lexicon knows for a lower-case English word
    ("NOUN", "VERB", "ADJ", "ADV", ...); empty when the lexicon does not know the word."""
    return frozenset(_lemmatizer().getAllLemmas(word))


@lru_cache(maxsize=200_000)
def word_key(word: str, language: str) -> str:
    """The grouping form of a lower-case word (see the module docstring)."""
    word = word.replace("\u2019", "'")
    if language == "en":
        lemmas = _lemmatizer().getAllLemmas(word, upos="NOUN").get("NOUN")
        if lemmas:
            return lemmas[0].lower()
        return _stemmer("en").stemWord(word)
    return _stemmer(language).stemWord(word)


# --- words that mark nouns by position -----------------------------------------------------------

# English: a word that can be a noun or a verb/adjective is read as a noun after these.
EN_NOUN_BEFORE = frozenset(
    """
    the a an this that these those my your his her its our their no some any every each another
    such what which whose of for with in on at about from by without within into onto over under
    after before during between through than per like unlike via 's
    """.split()  # noqa: SIM905
)
# ...and before these (it is then the subject: "the controls feel tight").
EN_NOUN_AFTER = frozenset(
    """
    is are was were isn't aren't wasn't weren't has have had hasn't haven't feel feels felt look
    looks looked sound sounds seem seems seemed works worked make makes made gets got keeps needs
    could would should can will might must does doesn't did didn't
    """.split()  # noqa: SIM905
)
# ...and never after these (a verb: "to play", "I play", "can't run").
EN_VERB_AFTER = frozenset(
    """
    to i you we they he she it can could will would should must might may shall don't doesn't
    didn't can't won't wouldn't couldn't shouldn't never always just really also not please let's
    i'll you'll we'll they'll i'd you'd we'd they'd lets
    """.split()  # noqa: SIM905
)
# Spanish, French, Italian, Portuguese: a content word right after an article, a demonstrative
# or a possessive is read as a noun (Romance adjectives mostly follow their noun).
ROMANCE_DETERMINERS = {
    "es": "el la los las un una unos unas lo del al este esta estos estas ese esa esos esas aquel "
    "aquella mi mis tu tus su sus nuestro nuestra nuestros nuestras cada",
    "fr": "le la les l un une des du au aux ce cet cette ces mon ma mes ton ta tes son sa ses notre "
    "nos votre vos leur leurs chaque d",
    "it": "il lo la i gli le l un uno una del dello della dei degli delle dell al allo alla ai agli "
    "alle all nel nello nella nei negli nelle nell sul sullo sulla sui sugli sulle dal dallo dalla "
    "dai dagli dalle questo questa questi queste quel quello quella quei quegli quelle mio mia miei "
    "mie tuo tua tuoi tue suo sua suoi sue nostro nostra nostri nostre ogni",
    "pt": "o a os as um uma uns umas do da dos das no na nos nas ao à aos às pelo pela pelos pelas "
    "este esta estes estas esse essa esses essas aquele aquela meu minha meus minhas seu sua seus "
    "suas nosso nossa nossos nossas cada",
}
# Hindi: a content word right before a postposition is read as a noun.
HI_POSTPOSITIONS = frozenset(["का", "की", "के", "को", "में", "से", "पर", "ने", "तक", "वाला", "वाले", "वाली"])
# Arabic: the definite article, alone or after a one-letter conjunction or preposition.
AR_DEFINITE_RE = re.compile(r"^(?:[وفبكل]?ال|لل)(.{2,})$")
# Contrastive connectors that split a sentence into parts judged separately ("great graphics,
# but the price is a rip-off").
CONTRAST_WORDS = {
    "en": ("but", "however", "although", "though", "except", "whereas"),
    "es": ("pero", "aunque", "sin embargo", "sino"),
    "fr": ("mais", "cependant", "pourtant", "toutefois", "sauf"),
    "de": ("aber", "jedoch", "obwohl", "sondern", "trotzdem", "allerdings"),
    "it": ("ma", "però", "tuttavia", "anche se", "eppure"),
    "pt": ("mas", "porém", "contudo", "embora", "todavia"),
    "ar": ("لكن", "ولكن", "بينما"),
    "hi": ("लेकिन", "मगर", "किंतु", "परंतु"),
}


@lru_cache(maxsize=16)
def romance_determiners(language: str) -> frozenset[str]:
    return frozenset(ROMANCE_DETERMINERS.get(language, "").split())


@lru_cache(maxsize=16)
def contrast_re(language: str) -> re.Pattern:
    """Where a sentence of ``language`` splits into contrasted parts: semicolons, dashes between
    spaces, and the language's contrastive connectors as whole words."""
    phrases = sorted(CONTRAST_WORDS.get(language, CONTRAST_WORDS["en"]), key=len, reverse=True)
    alternatives = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf";|\s+[-\u2013\u2014]+\s+|,?\s*(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
