"""Readability scores for ``unspin fix`` summaries and ``unspin report``: textstat's Flesch formulas,
with syllables counted by pyphen.

These are textstat 0.7's ``flesch_reading_ease``, ``flesch_kincaid_grade`` and ``lexicon_count``
(language ``en_US``, no rounding) with every word's syllables taken from pyphen's en_US
hyphenation dictionary (``len(positions(word)) + 1``), which is textstat's own fallback for words
missing from NLTK's CMU dictionary. Earlier versions called textstat itself with the CMU lookup
switched off (it would need ``nltk.download('cmudict')``, which cannot happen offline or at run
time); the numbers are the same to the last bit (tests/test_fix.py compares the two when textstat
is installed). Doing it here avoids importing textstat, which imports NLTK: 3.3-3.5 s of CPU on
the loaded 2-core benchmark VM (docs/benchmarks.md), several times the rest of a one-paragraph
``fix``. Syllable counts are cached per word, so a feed's common words are hyphenated once per
process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

LANG = "en_US"
FRE_BASE, FRE_SENTENCE_LENGTH, FRE_SYLL_PER_WORD = 206.835, 1.015, 84.6  # textstat's "en" config

# textstat.backend.utils.constants and transformations.remove_punctuation (rm_apostrophe=False)
_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?!(?:[tsd]|ve|ll|re))")
_PUNCTUATION = re.compile(r"[^\w\s\']")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")  # textstat.backend.counts.count_sentences


@cache
def _pyphen():
    import pyphen

    return pyphen.Pyphen(lang=LANG)


LAZY_WORDS = 300  # words hyphenated from their own patterns before the whole dictionary is parsed
_DIGITS = str.maketrans("", "", "0123456789")


class _Hyphenator:
    """``pyphen.Pyphen(lang="en_US").positions``, without parsing pyphen's 11,000 patterns up front.

    Parsing the whole dictionary costs about 0.07-0.1 s of CPU, a quarter of a one-paragraph
    ``unspin fix``. So the dictionary's lines are only indexed by their letters (one ``translate``
    over the file); the first LAZY_WORDS words each get a ``pyphen.HyphDict`` parsed by pyphen
    itself from just the lines whose letters occur in the word -- the only patterns its
    ``positions`` can use -- and after that (a feed) the whole dictionary is parsed once.
    tests/test_fix.py checks it against pyphen on every word of the fixtures."""

    def __init__(self) -> None:
        import pyphen

        self._pyphen = pyphen
        path = pyphen.LANGUAGES[pyphen.language_fallback(LANG)]
        raw = path.read_bytes()
        head, _, body = raw.partition(b"\n")
        self._head = head
        lines = [line.strip() for line in body.decode(head.decode().strip()).split("\n")]
        self._lines: dict[str, list[str]] | None = {}
        for key, line in zip("\n".join(lines).translate(_DIGITS).split("\n"), lines, strict=True):
            if not line or line.startswith(pyphen.ignored):
                continue
            if "^" in line or "/" in line:  # hex escapes, nonstandard hyphenation: pyphen's own parse only
                self._lines = None
                break
            self._lines.setdefault(key, []).append(line)
        self._maxlen = max(map(len, self._lines), default=0) if self._lines else 0
        self._lazy = 0

    def _hyph_dict(self, word: str):
        import io

        if self._lines is None or self._lazy >= LAZY_WORDS:
            return _pyphen().hd
        self._lazy += 1
        pointed = f".{word}."
        n = len(pointed)
        needed = [line for i in range(n - 1) for j in range(i + 1, min(i + self._maxlen, n) + 1)
                  for line in self._lines.get(pointed[i:j], ())]
        if not needed:
            return None
        text = self._head + b"\n" + "\n".join(needed).encode("utf-8")

        class _Text:  # what HyphDict reads from a path
            def open(self, mode: str):
                return io.BytesIO(text)

            def read_text(self, encoding: str) -> str:
                return text.decode(encoding)

        try:
            return self._pyphen.HyphDict(_Text())
        except ValueError:  # only all-zero patterns: no hyphenation point
            return None

    def positions(self, word: str) -> list[int]:
        """Like ``Pyphen(lang=LANG).positions(word)`` (left and right minimum 2)."""
        hd = self._hyph_dict(word.lower())
        if hd is None:
            return []
        right = len(word) - 2
        return [i for i in hd.positions(word) if 2 <= i <= right]


@cache
def _hyphenator() -> _Hyphenator:
    return _Hyphenator()


class _SyllableCache(dict):
    """word -> syllables, filled on first look-up (``sum(map(cache.__getitem__, words))`` stays in C
    for the words seen before, which in a feed are nearly all of them)."""

    def __missing__(self, word: str) -> int:
        if len(self) >= MAX_CACHED_WORDS:
            self.clear()
        count = self[word] = len(_hyphenator().positions(word.lower())) + 1  # textstat lowercases after punctuation
        return count


MAX_CACHED_WORDS = 500_000
_SYLLABLES = _SyllableCache()
_HAS_WORD_CHAR = re.compile(r"\w")


def _words(text: str) -> list[str]:
    """textstat's list_words(text): punctuation but contraction apostrophes removed, split on space."""
    return _PUNCTUATION.sub("", _NONCONTRACTION_APOSTROPHE.sub("", text)).split()


def _more_than_two_words(sentence: str) -> bool:
    """``len(_words(sentence)) > 2``, usually without the substitutions: removing punctuation never
    splits or joins tokens, and a token holding a word character always survives it."""
    tokens = sentence.split(None, 3)
    if len(tokens) <= 2:
        return False
    if sum(1 for t in tokens[:3] if _HAS_WORD_CHAR.search(t)) == 3:
        return True
    return len(_words(sentence)) > 2


def _sentences(text: str) -> int:
    if not text:
        return 0
    found = _SENTENCE.findall(text)
    short = sum(1 for s in found if not _more_than_two_words(s))
    return max(1, len(found) - short)


def syllables(text: str) -> int:
    """Syllables in text, counted by pyphen (textstat's ``syllable_count`` without the CMU dictionary)."""
    return _syllables(_words(text))


def _syllables(words: list[str]) -> int:
    return sum(map(_SYLLABLES.__getitem__, words))


@dataclass(frozen=True)
class Readability:
    flesch_reading_ease: float
    flesch_kincaid_grade: float
    words: int

    def describe(self) -> str:
        return f"Flesch reading ease {self.flesch_reading_ease:.1f}, grade {self.flesch_kincaid_grade:.1f}"


def readability(text: str) -> Readability:
    found = _words(text)
    words, sentences = len(found), _sentences(text)
    per_sentence = words / sentences if sentences else 0.0
    per_word = _syllables(found) / words if words else 0.0
    if per_sentence == 0 or per_word == 0:
        return Readability(0.0, 0.0, words)
    return Readability(FRE_BASE - FRE_SENTENCE_LENGTH * per_sentence - FRE_SYLL_PER_WORD * per_word,
                       0.39 * per_sentence + 11.8 * per_word - 15.59, words)
