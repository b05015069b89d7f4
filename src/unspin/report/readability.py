"""Flesch reading ease for the report: the same ``unspin.metrics.readability`` that ``unspin fix`` reports.

That module computes textstat's Flesch formulas with syllables counted by pyphen (cached per word), without
importing textstat, so the numbers agree across commands and a worker process pays no NLTK import.
"""

from __future__ import annotations


def reading_ease(text: str) -> float | None:
    """Flesch reading ease of ``text`` (higher is easier; about 30-60 for news prose); None without words."""
    if not any(ch.isalpha() for ch in text):
        return None
    from ..metrics.readability import readability

    return float(readability(text).flesch_reading_ease)
