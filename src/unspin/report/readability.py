"""Flesch reading ease for the report: ``unspin.rewrite.readability`` when installed, else a pyphen count.

The shared module (textstat with its syllable counter pointed at pyphen) is what ``unspin fix`` reports,
so the numbers agree across commands. Without it, the fallback counts syllables with pyphen's
hyphenation dictionary (a word has one more syllable than hyphenation points); textstat's own counter
would need nltk's cmudict, which is not available offline.
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
    """The project-wide readability function (``unspin.rewrite.readability``), when it is installed."""
    try:
        from ..rewrite.readability import readability
    except ImportError:
        return None
    return lambda text: readability(text).flesch_reading_ease


def reading_ease(text: str) -> float | None:
    """Flesch reading ease of ``text`` (higher is easier; about 30-60 for news prose); None without words."""
    if not any(ch.isalpha() for ch in text):
        return None
    fn = _shared_scorer()
    return pyphen_reading_ease(text) if fn is None else float(fn(text))
