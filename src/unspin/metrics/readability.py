"""Readability scores for ``unspin fix`` summaries (textstat), with syllables counted by pyphen.

The pyphen shim lives here and nowhere else. textstat 0.7.x counts syllables with NLTK's CMU
dictionary first and falls back to pyphen for unknown words; fetching the CMU dictionary means a
download (``nltk.download('cmudict')``), which cannot happen offline and must never happen at run
time. ``_use_pyphen_syllables`` replaces the dictionary lookup that textstat's syllable counter calls
with one that returns nothing, so every word takes textstat's own pyphen path
(``len(pyphen.positions(word)) + 1``). Scores are then the same on every machine, online or not.

textstat costs over a second to import cold, so it is imported on first use, never by ``unspin check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@cache
def _textstat():
    import textstat
    from textstat.backend.counts import _count_syllables

    _use_pyphen_syllables(_count_syllables)
    return textstat


def _use_pyphen_syllables(module) -> None:
    """Point textstat's syllable counter at pyphen only (see the module docstring)."""

    def no_cmudict(lang: str) -> None:
        return None

    module.get_cmudict = no_cmudict
    module.count_syllables.cache_clear()


@dataclass(frozen=True)
class Readability:
    flesch_reading_ease: float
    flesch_kincaid_grade: float
    words: int

    def describe(self) -> str:
        return f"Flesch reading ease {self.flesch_reading_ease:.1f}, grade {self.flesch_kincaid_grade:.1f}"


def syllables(text: str) -> int:
    """Syllables in text, counted by pyphen through textstat."""
    return int(_textstat().syllable_count(text))


def readability(text: str) -> Readability:
    ts = _textstat()
    return Readability(float(ts.flesch_reading_ease(text)), float(ts.flesch_kincaid_grade(text)),
                       int(ts.lexicon_count(text)))
