"""Flesch reading ease for the report: ``unspin.rewrite.readability`` when installed, else a pyphen count.

textstat's syllable counter needs nltk's cmudict, which is not available offline, so the fallback counts
syllables with pyphen's hyphenation dictionary (a word has one more syllable than hyphenation points).
"""

from __future__ import annotations

from functools import cache

from ..text import WORD_RE, sentences


@cache
def _hyphenator():
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    """Syllables of one word from pyphen's hyphenation points; at least one."""
    return max(1, len(_hyphenator().positions(word.lower())) + 1)


def pyphen_reading_ease(text: str) -> float | None:
    """Flesch reading ease 206.835 - 1.015 words/sentences - 84.6 syllables/words; None without words."""
    words = [m.group() for m in WORD_RE.finditer(text) if m.group()[:1].isalpha()]
    if not words:
        return None
    n_sent = max(1, len(sentences(text)))
    n_syl = sum(syllables(w) for w in words)
    return 206.835 - 1.015 * (len(words) / n_sent) - 84.6 * (n_syl / len(words))


@cache
def _shared_scorer():
    """The project-wide readability function, when the rewrite package provides one."""
    try:
        from ..rewrite import readability as shared
    except ImportError:
        return None
    return getattr(shared, "flesch_reading_ease", None)


def reading_ease(text: str) -> float | None:
    """Flesch reading ease of ``text`` (higher is easier; about 30-60 for news prose)."""
    fn = _shared_scorer()
    if fn is None:
        return pyphen_reading_ease(text)
    if not any(ch.isalpha() for ch in text):
        return None
    return float(fn(text))
